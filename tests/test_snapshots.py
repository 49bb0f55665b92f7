"""State snapshots (``GET``/``PUT /mockprock/api/state``, ``mockprock state save|load``):
a save, reset, load round trip gives the same state back; pending callbacks are pending
again and go out once; no secret is in a document; a client saves and loads only its own
rows; a bad document is a 400 naming the field and changes nothing."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from mockprock.store.snapshots import TABLES
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, app_on, basic, get_token, wait_for

API = "/mockprock/api"
STATE = f"{API}/state"
SECOND_EXAM = {
    **EXAM,
    "id": 2,
    "content_id": "block-v1:edX+DemoX+Demo_Course+type@sequential+block@practice",
    "exam_name": "Practice",
    "is_practice_exam": True,
}
SCENARIO = {"rules": [{"match": {"email": "ids-2@*"}, "then": {"verdict": "suspicious"}}]}
LMS = {"lms_client_id": LMS_CLIENT[0], "lms_client_secret": LMS_CLIENT[1]}


def build_state(client: Any, client_id: str = "abcd") -> dict[str, str]:
    """Two exams; attempts submitted, started (with a queued verdict, a desktop
    application and its heartbeats) and created (its application crashed); an onboarding
    profile. Returns the ids."""
    auth = {"Authorization": f"JWT {get_token(client, client_id, client_id + 'secret')}"}
    control = basic(client_id)

    def call(method: str, path: str, body: Any = None, headers: Any = auth) -> Any:
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    ids = {"exam": call("POST", "/api/v1/exam/", EXAM)["id"]}
    ids["practice"] = call("POST", "/api/v1/exam/", SECOND_EXAM)["id"]
    learners = [("submitted", "ids-1", "exam"), ("started", "ids-2", "exam")]
    for status, user, exam in [*learners, ("created", "ids-3", "practice")]:
        attempt = {**ATTEMPT, "user_id": f"{client_id}-{user}", "email": f"{user}@example.com"}
        attempt_id = call("POST", f"/api/v1/exam/{ids[exam]}/attempt/", attempt)["id"]
        ids[status] = attempt_id
        path = f"/api/v1/exam/{ids[exam]}/attempt/{attempt_id}/"
        if status != "created":
            call("PATCH", path, {"status": "started"})
    call("POST", f"{API}/attempts/{ids['started']}/review", {"status": "violation"}, control)
    desktop = f"/desktop/{{}}?attempt={ids['started']}"
    assert client.post(desktop.format("start")).status_code == 200
    for _ in range(2):
        assert client.get(desktop.format("ping")).status_code == 200
    call("PUT", f"{API}/attempts/{ids['created']}/desktop", {"state": "crashed"}, control)
    path = f"/api/v1/exam/{ids['exam']}/attempt/{ids['submitted']}/"
    call("PATCH", path, {"status": "submitted"})
    body = {"status": "approved", "course_id": EXAM["course_id"]}
    call("PUT", f"{API}/users/{client_id}-ids-1/onboarding", body, control)
    call("PUT", f"{API}/scenario", SCENARIO, control)
    return ids


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "exported_at"}


def rows_of(app: Any) -> dict[str, list]:
    """Every row of every table, to see that nothing changed."""
    db = app.extensions["mockprock"].store.database.db
    return {
        t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()]
        for t in TABLES
        if t != "journal"  # the requests of the test itself land there
    }


@pytest.fixture
def built(tmp_path):
    """An app (LMS credentials set, so callbacks are pending) with abcd's state built."""
    with app_on(tmp_path, **LMS) as app:
        client = app.test_client()
        ids = build_state(client)
        yield app, client, ids


# -- what a document holds --------------------------------------------------------------


def test_every_table_of_the_store_is_in_a_snapshot_or_left_out_for_a_reason(tmp_path):
    with app_on(tmp_path) as app:
        tables = app.extensions["mockprock"].store.snapshots.tables()
    assert tables == set(TABLES)


def test_the_document_holds_the_clients_whole_state(built):
    _, client, ids = built
    document = client.get(STATE, headers=basic()).get_json()
    assert (document["mockprock_state"], document["client_id"]) == (1, "abcd")
    assert document["settings"] is None
    assert {e["id"] for e in document["exams"]} == {ids["exam"], ids["practice"]}
    attempts = {a["id"]: a for a in document["attempts"]}
    assert {s: attempts[ids[s]]["status"] for s in ("submitted", "started", "created")} == {
        "submitted": "submitted",
        "started": "started",
        "created": "created",
    }
    started = attempts[ids["started"]]
    assert started["review_decision"]["status"] == "violation"
    assert [h["ok"] for h in started["heartbeats"]] == [True, True]
    assert started["desktop_session"]["state"] == "running"
    assert attempts[ids["created"]]["desktop_session"]["state"] == "crashed"
    kinds = [e["kind"] for e in attempts[ids["submitted"]]["events"]]
    assert kinds[:3] == ["registered", "status", "status"]
    (review,) = [c for c in document["callbacks"] if c["kind"] == "reviewed"]
    assert (review["attempt_id"], review["state"]) == (ids["submitted"], "pending")
    (profile,) = document["onboarding_profiles"]
    assert (profile["user_id"], profile["status"]) == ("abcd-ids-1", "approved")


# -- the round trip ---------------------------------------------------------------------


def test_save_reset_load_gives_the_same_state_in_plain_python(built):
    app, _, ids = built
    services = app.extensions["mockprock"]
    provider, store = services.provider, services.store
    # One callback went out already: it stays delivered.
    (ready,) = store.callbacks.list_callbacks(ids["started"], "ready")
    store.callbacks.update_callback(ready["id"], state="delivered", tries=1, delivered_at=1.5)
    saved = provider.snapshots.export("abcd")
    states = {c["state"] for c in saved["callbacks"]}
    assert states == {"pending", "delivered"}
    provider.reset("abcd")
    emptied = provider.snapshots.export("abcd")
    assert [emptied[n] for n in ("exams", "attempts", "callbacks")] == [[], [], []]

    journal = store.journal.list_journal(client_id="abcd")
    loaded = provider.snapshots.load("abcd", copy.deepcopy(saved))
    assert without_time(loaded) == without_time(saved)
    assert without_time(provider.snapshots.export("abcd")) == without_time(saved)
    assert store.journal.list_journal(client_id="abcd") == journal  # history: not state
    # The rules work on what was loaded: the queued verdict still goes at submission.
    detail = provider.attempt_detail("abcd", ids["started"])
    assert detail["decision"]["status"] == "violation"


def test_save_reset_load_through_the_app_gives_the_same_state(built):
    _, client, ids = built
    saved = client.get(STATE, headers=basic()).get_json()
    assert client.post(f"{API}/reset", headers=basic()).status_code == 200
    assert client.get(f"{API}/attempts", headers=basic()).get_json() == []
    answer = client.put(STATE, json=saved, headers=basic())
    assert answer.status_code == 200, answer.get_json()
    assert without_time(answer.get_json()) == without_time(saved)
    again = client.get(STATE, headers=basic()).get_json()
    assert without_time(again) == without_time(saved)
    # The provider API answers from the loaded state as it did before.
    token = {"Authorization": f"JWT {get_token(client)}"}
    path = f"/api/v1/exam/{ids['exam']}/attempt/{ids['started']}/"
    assert client.get(path, headers=token).get_json()["status"] == "started"


def test_held_callbacks_go_when_due_once_loaded_where_the_lms_credentials_are(tmp_path):
    # Saved where the server had no LMS credentials (held), loaded into one that has them:
    # pending, as credentials set at run time release them; loaded into one that has none,
    # still held.
    for name in ("without", "with"):
        (tmp_path / name).mkdir()
    with app_on(tmp_path / "without") as app:
        client = app.test_client()
        build_state(client)
        saved = client.get(STATE, headers=basic()).get_json()
        assert {c["state"] for c in saved["callbacks"]} == {"held"}
        reloaded = client.put(STATE, json=saved, headers=basic()).get_json()
        assert {c["state"] for c in reloaded["callbacks"]} == {"held"}
    with app_on(tmp_path / "with", **LMS) as app:
        client = app.test_client()
        loaded = client.put(STATE, json=saved, headers=basic())
        assert loaded.status_code == 200, loaded.get_json()
        states = {c["id"]: c["state"] for c in loaded.get_json()["callbacks"]}
    assert set(states) == {c["id"] for c in saved["callbacks"]}
    assert set(states.values()) == {"pending"}


def test_a_callback_id_another_client_holds_gets_a_new_one_and_its_references_follow(built):
    app, client, ids = built
    saved = client.get(STATE, headers=basic()).get_json()
    store = app.extensions["mockprock"].store
    # zz's ready callback takes the id the document's has (as in a store elsewhere).
    (ready,) = [c for c in saved["callbacks"] if c["attempt_id"] == ids["started"]]
    client.post(f"{API}/reset", headers=basic())
    theirs = build_state(client, "zz")
    with store.database.transaction() as db:
        db.execute(
            "UPDATE callbacks SET id = ? WHERE attempt_id = ? AND kind = 'ready'",
            (ready["id"], theirs["started"]),
        )
    assert client.put(STATE, json=saved, headers=basic()).status_code == 200
    loaded = client.get(STATE, headers=basic()).get_json()
    (moved,) = [c for c in loaded["callbacks"] if c["attempt_id"] == ids["started"]]
    assert moved["id"] != ready["id"] and moved["kind"] == "ready"
    (event,) = [
        e
        for a in loaded["attempts"]
        if a["id"] == ids["started"]
        for e in a["events"]
        if e["kind"] == "callback"
    ]
    assert event["detail"]["callback_id"] == moved["id"]
    assert store.callbacks.get_callback(ready["id"])["attempt_id"] == theirs["started"]


# -- secrets and scoping -------------------------------------------------------------------


def test_no_secret_is_in_a_document(tmp_path):
    secrets = {
        "client": "a-client-secret-0451",
        "other": "another-client-secret-7788",
        "admin": "an-operator-secret-9931",
        "lms": "the-lms-secret-2024",
        "guest lms": "the-guests-lms-secret-5150",
    }
    settings = {
        "clients": (("abcd", secrets["client"]), ("zz", secrets["other"])),
        "admins": (("ops", secrets["admin"]),),
        "lms_client_id": "lms",
        "lms_client_secret": secrets["lms"],
    }
    with app_on(tmp_path, **settings) as app:
        client = app.test_client()
        store = app.extensions["mockprock"].store
        auth = {"Authorization": f"JWT {get_token(client, 'abcd', secrets['client'])}"}
        client.post("/api/v1/exam/", json=EXAM, headers=auth)
        guest = client.post(
            f"{API}/guests",
            json={
                "lms_url": "http://127.0.0.1:18000",
                "lms_client_id": "kit",
                "lms_client_secret": secrets["guest lms"],
            },
            auth=("ops", secrets["admin"]),
        ).get_json()
        secrets["guest"] = guest["client_secret"]
        secrets["signing key"] = store.settings.signing_key()
        secrets["session secret"] = store.settings.session_secret()
        secrets["token"] = auth["Authorization"].split()[1]
        documents = [
            client.get(STATE, auth=("abcd", secrets["client"])).get_data(as_text=True),
            client.get(STATE, auth=(guest["client_id"], secrets["guest"])).get_data(as_text=True),
        ]
    assert json.loads(documents[0])["exams"]
    assert json.loads(documents[1])["settings"]["review_delay_seconds"] is not None
    for text in documents:
        for what, secret in secrets.items():
            assert secret not in text, what


def test_another_clients_export_has_none_of_its_rows_and_a_load_leaves_them(built):
    _, client, ids = built
    theirs = build_state(client, "zz")
    mine = client.get(STATE, headers=basic()).get_data(as_text=True)
    other = client.get(STATE, headers=basic("zz")).get_data(as_text=True)
    for ident in ids.values():
        assert ident not in other
    for ident in theirs.values():
        assert ident not in mine
    assert "abcd-ids" not in other

    def zz_rows() -> dict:
        return without_time(client.get(STATE, headers=basic("zz")).get_json())

    before = zz_rows()
    client.post(f"{API}/reset", headers=basic())
    assert zz_rows() == before  # a reset of abcd's leaves zz's
    loaded = client.put(STATE, data=mine, headers=basic(), content_type="application/json")
    assert loaded.status_code == 200
    assert zz_rows() == before
    assert client.get(f"{API}/attempts/{theirs['started']}", headers=basic()).status_code == 404


# -- refusals -------------------------------------------------------------------------------


def _set(path: tuple, value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        place = document
        for key in path[:-1]:
            place = place[key]
        place[path[-1]] = value

    return change


def _drop(path: tuple) -> Any:
    def change(document: dict[str, Any]) -> None:
        place = document
        for key in path[:-1]:
            place = place[key]
        del place[path[-1]]

    return change


def _duplicate(name: str) -> Any:
    return lambda document: document[name].append(copy.deepcopy(document[name][0]))


BAD = [
    ("wrong version", _set(("mockprock_state",), 2), "mockprock_state"),
    ("no version", _drop(("mockprock_state",)), "mockprock_state"),
    ("missing list", _drop(("attempts",)), "attempts"),
    ("missing column", _drop(("attempts", 0, "status")), "attempts[0].status"),
    ("unknown key", _set(("exams", 0, "colour"), "red"), "exams[0].colour"),
    ("list not a list", _set(("callbacks",), {}), "callbacks"),
    ("wrong type", _set(("attempts", 0, "created_at"), "yesterday"), "attempts[0].created_at"),
    ("flag not a bool", _set(("exams", 0, "is_active"), 1), "exams[0].is_active"),
    ("null where required", _set(("exams", 0, "course_id"), None), "exams[0].course_id"),
    ("payload not an object", _set(("attempts", 0, "payload"), []), "attempts[0].payload"),
    ("unknown status", _set(("attempts", 0, "status"), "finished"), "attempts[0].status"),
    ("unknown callback state", _set(("callbacks", 0, "state"), "lost"), "callbacks[0].state"),
    ("nested row wrong", _set(("attempts", 1, "heartbeats", 0, "ok"), "y"), "heartbeats[0].ok"),
    ("another client", _set(("client_id",), "zz"), "client_id"),
    ("row names another client", _set(("exams", 0, "client_id"), "zz"), "exams[0].client_id"),
    (
        "profile names another client",
        _set(("onboarding_profiles", 0, "client_id"), "zz"),
        "onboarding_profiles[0].client_id",
    ),
    ("attempt on no exam", _set(("attempts", 0, "exam_id"), "nope"), "attempts[0].exam_id"),
    (
        "callback of no attempt",
        _set(("callbacks", 0, "attempt_id"), "x"),
        "callbacks[0].attempt_id",
    ),
    ("duplicate attempt", _duplicate("attempts"), "attempts[3].id"),
    ("duplicate exam", _duplicate("exams"), "exams[2].id"),
    ("second scenario", _duplicate("scenarios"), "scenarios"),
    (
        "scenario not a scenario",
        _set(("scenarios", 0, "document"), '{"rules": [{"match": {}, "then": {"verdict": "x"}}]}'),
        "scenarios[0].document",
    ),
    ("settings of a non-guest", _set(("settings",), {"review_delay_seconds": 1}), "settings"),
]


@pytest.mark.parametrize(("kind", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_document_is_a_400_naming_the_field_and_changes_nothing(built, kind, change, field):
    app, client, _ = built
    document = client.get(STATE, headers=basic()).get_json()
    client.post(f"{API}/reset", headers=basic())
    build_state(client)  # the state now differs from the document
    before = rows_of(app)
    change(document)
    answer = client.put(STATE, json=document, headers=basic())
    assert answer.status_code == 400, (kind, answer.get_json())
    assert answer.get_json()["error"] == "invalid_state"
    assert field in answer.get_json()["detail"], answer.get_json()
    assert rows_of(app) == before


def _places(node: Any, where: tuple = ()) -> Any:
    """Every key and first list item under ``node`` (the first row of each list)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*where, key)
            yield from _places(value, (*where, key))
    elif isinstance(node, list) and node:
        yield (*where, 0)
        yield from _places(node[0], (*where, 0))


def test_any_value_anywhere_is_refused_or_loaded_never_a_server_error(built):
    """Each place of the document given a value of each other kind: a 400, or a load after
    which the state and each attempt still read."""
    _, client, _ = built
    document = client.get(STATE, headers=basic()).get_json()
    tried = 0
    for place in _places(document):
        for value in (None, "x", -1, [1], {"a": 1}, True):
            changed = copy.deepcopy(document)
            _set(place, value)(changed)
            answer = client.put(STATE, json=changed, headers=basic())
            tried += 1
            assert answer.status_code in (200, 400), (place, value, answer.get_json())
            if answer.status_code == 200:
                assert client.get(STATE, headers=basic()).status_code == 200
                for attempt in changed["attempts"]:
                    detail = client.get(f"{API}/attempts/{attempt['id']}", headers=basic())
                    assert detail.status_code == 200, (place, value)
    assert tried > 300


def test_ids_another_client_holds_are_refused_and_change_nothing(built):
    app, client, _ = built
    mine = client.get(STATE, headers=basic()).get_json()
    theirs = client.get(STATE, headers=basic()).get_json()
    client.post(f"{API}/reset", headers=basic())
    # zz now holds abcd's old rows (its own document, with abcd's ids: loaded by zz).
    theirs["client_id"] = "zz"
    for row in theirs["exams"] + theirs["onboarding_profiles"] + theirs["scenarios"]:
        row["client_id"] = "zz"
    assert client.put(STATE, json=theirs, headers=basic("zz")).status_code == 200
    before = rows_of(app)
    answer = client.put(STATE, json=mine, headers=basic())
    assert answer.status_code == 400
    assert "exams[0].id" in answer.get_json()["detail"]
    assert "another client" in answer.get_json()["detail"]
    mine["exams"] = [{**e, "id": e["id"][::-1]} for e in mine["exams"]]
    for attempt in mine["attempts"]:
        attempt["exam_id"] = attempt["exam_id"][::-1]
    answer = client.put(STATE, json=mine, headers=basic())
    assert answer.status_code == 400
    assert "attempts[0].id" in answer.get_json()["detail"]
    assert rows_of(app) == before


def test_a_body_that_is_not_a_state_is_refused(built):
    app, client, _ = built
    before = rows_of(app)
    for body in (b"[1, 2]", b"not json", b""):
        answer = client.put(STATE, data=body, headers=basic(), content_type="application/json")
        assert answer.status_code == 400, body
    assert rows_of(app) == before


# -- a guest client's settings ------------------------------------------------------------------


def test_a_guest_clients_settings_come_back_with_its_state(tmp_path):
    with app_on(tmp_path) as app:
        client = app.test_client()
        guest = client.post(
            f"{API}/guests",
            json={
                "lms_url": "http://127.0.0.1:18000",
                "lms_client_id": "kit",
                "lms_client_secret": "kit-secret",
                "review_delay_seconds": 7,
            },
            auth=("abcd", "abcdsecret"),
        ).get_json()
        auth = (guest["client_id"], guest["client_secret"])
        saved = client.get(STATE, auth=auth).get_json()
        assert saved["settings"]["review_delay_seconds"] == 7
        assert "lms_client_secret" not in saved["settings"]
        client.post(f"{API}/reset", auth=auth)
        assert client.get(f"{API}/settings", auth=auth).get_json()["review_delay_seconds"] != 7
        assert client.put(STATE, json=saved, auth=auth).status_code == 200
        assert client.get(f"{API}/settings", auth=auth).get_json()["review_delay_seconds"] == 7
        saved["settings"]["lms_url"] = "http://elsewhere.example"
        answer = client.put(STATE, json=saved, auth=auth)
        assert answer.status_code == 400
        assert "settings.lms_url" in answer.get_json()["detail"]


# -- end to end: a real server, the LMS stand-in, the CLI -----------------------------------------


@pytest.mark.live
def test_a_pending_callback_is_pending_after_a_load_and_goes_once(start_mockprock, start_lms_stub):
    stub = start_lms_stub()
    server = start_mockprock(*LMS_CLIENT, "-l", stub.url, "--review-delay", "0")
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    control = ControlClient(server.url, "abcd", "abcdsecret")
    lms = LmsStubClient(stub.url)
    exam_id = provider.save_exam(EXAM)
    attempts = {}
    for name in ("delivered", "pending"):
        attempt = {**ATTEMPT, "lms_host": stub.url, "user_id": name}
        attempts[name] = provider.register_attempt(exam_id, attempt)["id"]
        lms.add_attempt(attempts[name])
    # The pending one's verdict is due in an hour.
    control.review(attempts["pending"], "violation", delay_seconds=3600)
    for attempt_id in attempts.values():
        for status in ("started", "submitted"):
            lms.set_status(attempt_id, status)
            provider.set_attempt_status(exam_id, attempt_id, status)

    def reviewed(name: str) -> list[dict]:
        return [c for c in control.callbacks(attempt=attempts[name]) if c["kind"] == "reviewed"]

    wait_for(lambda: reviewed("delivered")[0]["state"] == "delivered", what="the first review")
    assert reviewed("pending")[0]["state"] == "pending"
    saved = control.export_state()
    control.reset()
    assert control.export_state()["callbacks"] == []

    loaded = control.import_state(saved)
    assert without_time(loaded) == without_time(saved)
    (pending,) = reviewed("pending")
    (delivered,) = reviewed("delivered")
    assert (pending["state"], pending["tries"]) == ("pending", 0)
    assert (delivered["state"], delivered["tries"]) == ("delivered", 1)

    # Loaded again with the verdict due now: the dispatcher, woken by the load, sends it.
    for callback in saved["callbacks"]:
        if callback["attempt_id"] == attempts["pending"] and callback["kind"] == "reviewed":
            callback["due_at"] = time.time()
    control.import_state(saved)
    wait_for(lambda: reviewed("pending")[0]["state"] == "delivered", what="the loaded review")
    assert [c["json"]["status"] for c in lms.callbacks("reviewed", attempts["pending"])] == [
        "violation"
    ]
    assert len(lms.callbacks("reviewed", attempts["delivered"])) == 1
    assert reviewed("delivered")[0]["tries"] == 1


@pytest.mark.live
def test_state_save_and_load_on_the_command_line(start_mockprock, tmp_path):
    server = start_mockprock()
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    control = ControlClient(server.url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    attempt_id = provider.register_attempt(exam_id, ATTEMPT)["id"]
    control.set_onboarding(ATTEMPT["user_id"], "approved")
    file = tmp_path / "state.json"

    def cli(*args: str):
        return CliRunner().invoke(main, [*args, "--url", server.url], catch_exceptions=False)

    saved = cli("state", "save", str(file))
    assert saved.exit_code == 0, saved.output
    assert "1 exams, 1 attempts, 0 callbacks, 1 onboarding profiles" in saved.output
    document = json.loads(file.read_text())
    assert [a["id"] for a in document["attempts"]] == [attempt_id]

    control.reset()
    loaded = cli("state", "load", str(file))
    assert loaded.exit_code == 0, loaded.output
    assert f"loaded from {file}" in loaded.output
    assert without_time(control.export_state()) == without_time(document)

    document["mockprock_state"] = 99
    file.write_text(json.dumps(document))
    refused = cli("state", "load", str(file))
    assert refused.exit_code == 1
    assert "400" in refused.output and "mockprock_state" in refused.output
    file.write_text("{not json")
    broken = cli("state", "load", str(file))
    assert broken.exit_code == 1 and "is not a JSON state" in broken.output
