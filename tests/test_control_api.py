"""The control API, the download page and the review rules behind them, in process
(no dispatcher runs here: callbacks stay in the outbox where the tests can see them)."""

from __future__ import annotations

import base64

import pytest

from mockprock.web.app import create_app
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, get_token, make_settings

API = "/mockprock/api"


def basic(client_id: str = "abcd", secret: str = "abcdsecret") -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


BASIC = basic()


@pytest.fixture
def lms_app(tmp_path):
    """An app with LMS credentials: callbacks are queued ``pending``, not ``held``."""
    settings = make_settings(
        tmp_path,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        allowed_lms_origins=("http://lms.test:18000",),
    )
    app = create_app(settings)
    yield app
    app.extensions["mockprock"].close()


def register(client, auth, exam_id, **attempt) -> str:
    response = client.post(
        f"/api/v1/exam/{exam_id}/attempt/", json={**ATTEMPT, **attempt}, headers=auth
    )
    return response.get_json()["id"]


def patch_status(client, auth, exam_id, attempt_id, status) -> None:
    response = client.patch(
        f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", json={"status": status}, headers=auth
    )
    assert response.status_code == 200, response.get_json()


def callbacks(client, **query) -> list[dict]:
    response = client.get(f"{API}/callbacks", query_string=query, headers=BASIC)
    assert response.status_code == 200
    return response.get_json()


# -- auth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, basic("abcd", "wrong"), basic("", ""), {"Authorization": "JWT not-a-token"}],
    ids=["none", "wrong secret", "empty", "bad token"],
)
def test_every_route_needs_credentials(client, headers) -> None:
    for method, path in [
        ("GET", "/settings"),
        ("PATCH", "/settings"),
        ("GET", "/attempts"),
        ("POST", "/attempts/x/review"),
        ("PUT", "/users/u/onboarding"),
        ("GET", "/callbacks"),
        ("GET", "/requests"),
        ("POST", "/reset"),
    ]:
        response = client.open(API + path, method=method, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert set(response.get_json()) >= {"error", "detail"}


def test_basic_or_a_provider_token_is_accepted(client) -> None:
    assert client.get(f"{API}/settings", headers=BASIC).status_code == 200
    token = get_token(client)
    assert (
        client.get(f"{API}/settings", headers={"Authorization": f"JWT {token}"}).status_code == 200
    )


def test_only_configured_clients_when_clients_are_configured(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, clients=(("lms", "s3cret"),)))
    client = app.test_client()
    assert client.get(f"{API}/settings", headers=basic("lms", "s3cret")).status_code == 200
    assert client.get(f"{API}/settings", headers=BASIC).status_code == 401
    app.extensions["mockprock"].close()


# -- settings -------------------------------------------------------------------------


def test_settings_are_shown_without_secrets(lms_app) -> None:
    answer = lms_app.test_client().get(f"{API}/settings", headers=BASIC).get_json()
    assert answer["review_delay_seconds"] == 10.0
    assert answer["lms_client_id"] == LMS_CLIENT[0]
    assert answer["lms_client_secret_set"] is True
    assert "lms_client_secret" not in answer
    assert LMS_CLIENT[1] not in str(answer)
    assert "onboarding" in answer["changeable"]


def test_settings_change_at_run_time(client, app) -> None:
    response = client.patch(
        f"{API}/settings",
        json={
            "review_delay_seconds": 0,
            "default_review_status": "violation",
            "onboarding": "required",
        },
        headers=BASIC,
    )
    assert response.status_code == 200
    current = app.extensions["mockprock"].settings
    assert (current.review_delay_seconds, current.default_review_status, current.onboarding) == (
        0,
        "violation",
        "required",
    )
    assert app.extensions["mockprock"].provider.settings is current
    assert response.get_json()["onboarding"] == "required"


@pytest.mark.parametrize(
    "change",
    [
        {"review_delay_seconds": -1},
        {"review_delay_seconds": "soon"},
        {"default_review_status": "great"},
        {"onboarding": "sometimes"},
        {"verdict_from_session": "maybe"},
        {"lms_url": "ftp://lms"},
        {"lms_client_id": 42},
        {"port": 1234},
        {"no_such_setting": 1},
        {"onboarding": "required", "ready_delay_seconds": -5},  # all or nothing
    ],
)
def test_a_bad_setting_is_refused_and_nothing_changes(client, app, change) -> None:
    before = app.extensions["mockprock"].settings
    response = client.patch(f"{API}/settings", json=change, headers=BASIC)
    assert response.status_code == 400
    assert set(response.get_json()) == {"error", "detail"}
    assert app.extensions["mockprock"].settings == before


@pytest.mark.parametrize("body", [b"", b"[1]", b"{nope"])
def test_settings_need_a_json_object(client, body) -> None:
    response = client.patch(
        f"{API}/settings", data=body, headers={**BASIC, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_the_lms_secret_is_write_only(client, app, caplog) -> None:
    caplog.set_level("DEBUG")
    response = client.patch(
        f"{API}/settings",
        json={"lms_client_id": "new-id", "lms_client_secret": "very-secret-value"},
        headers=BASIC,
    )
    assert response.status_code == 200
    assert "very-secret-value" not in response.get_data(as_text=True)
    assert "very-secret-value" not in caplog.text
    assert app.extensions["mockprock"].settings.lms_client_secret == "very-secret-value"
    shown = client.get(f"{API}/settings", headers=BASIC).get_json()
    assert shown["lms_client_secret_set"] is True
    assert "very-secret-value" not in str(shown)


def test_changes_survive_a_restart_but_explicit_flags_win(tmp_path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    app.test_client().patch(
        f"{API}/settings",
        json={"review_delay_seconds": 1.5, "onboarding": "required"},
        headers=BASIC,
    )
    app.extensions["mockprock"].close()

    restarted = create_app(settings)
    assert restarted.extensions["mockprock"].settings.review_delay_seconds == 1.5
    assert restarted.extensions["mockprock"].settings.onboarding == "required"
    restarted.extensions["mockprock"].close()

    flagged = create_app(settings.replace(onboarding="optional"), explicit={"onboarding"})
    assert flagged.extensions["mockprock"].settings.onboarding == "optional"
    assert flagged.extensions["mockprock"].settings.review_delay_seconds == 1.5
    flagged.extensions["mockprock"].close()


def test_reset_wipes_the_state_and_the_stored_changes(client, app, auth, attempt_id) -> None:
    client.patch(f"{API}/settings", json={"onboarding": "required"}, headers=BASIC)
    assert client.post(f"{API}/reset", headers=BASIC).get_json() == {"status": "reset"}
    assert client.get(f"{API}/attempts", headers=BASIC).get_json() == []
    assert app.extensions["mockprock"].settings.onboarding == "optional"
    assert app.extensions["mockprock"].store.settings.settings_overrides() == {}


# -- attempts, reviews, ready -----------------------------------------------------------


def test_attempts_and_one_attempt_with_its_timeline(client, auth, exam_id, attempt_id) -> None:
    listed = client.get(f"{API}/attempts", headers=BASIC).get_json()
    assert [a["id"] for a in listed] == [attempt_id]
    patch_status(client, auth, exam_id, attempt_id, "started")
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    detail = client.get(f"{API}/attempts/{attempt_id}", headers=BASIC).get_json()
    assert detail["status"] == "submitted"
    assert detail["exam"]["id"] == exam_id
    kinds = [event["kind"] for event in detail["timeline"]]
    assert kinds == ["registered", "status", "status", "callback"]
    (review,) = detail["callbacks"]
    assert (review["kind"], review["state"]) == ("reviewed", "held")  # no LMS credentials
    assert "payload" not in detail  # the LMS's raw request stays out of the view
    paths = [(r["method"], r["path"]) for r in detail["requests"]]
    attempt_path = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    assert paths == [("PATCH", attempt_path), ("PATCH", attempt_path)]  # its own, not others'
    assert [r["request"]["json"]["status"] for r in detail["requests"]] == [
        "started",
        "submitted",
    ]
    assert detail["desktop"]["heartbeats"] == []
    assert detail["desktop"]["status"] == "not_started"
    missing = client.get(f"{API}/attempts/nope", headers=BASIC)
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"


def test_submission_queues_one_review_with_the_default_verdict(lms_app) -> None:
    client = lms_app.test_client()
    auth = {"Authorization": f"JWT {get_token(client)}"}
    exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
    attempt_id = register(client, auth, exam_id, lms_host="http://lms.test:18000/")
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    patch_status(client, auth, exam_id, attempt_id, "submitted")  # again: still one review
    (review,) = callbacks(client, attempt=attempt_id)
    assert review["state"] == "pending"
    assert review["url"] == (
        f"http://lms.test:18000/api/edx_proctoring/v1/proctored_exam/attempt/{attempt_id}/reviewed"
    )
    assert review["payload"]["status"] == "passed"
    comment = review["payload"]["comments"][0]
    assert set(comment) == {"comment", "status", "start", "stop"}
    assert "reviewed_by" not in review["payload"]
    assert review["due_at"] - review["created_at"] == pytest.approx(10.0, abs=0.01)


def test_a_review_is_composed_when_it_is_sent_not_when_it_is_queued(app, client, auth, exam_id):
    attempt_id = register(client, auth, exam_id)
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    (review,) = callbacks(client, attempt=attempt_id)
    store = app.extensions["mockprock"].store
    assert store.callbacks.get_callback(review["id"])["payload"] == {}  # queued, not composed
    assert review["payload"]["status"] == "passed"  # shown as it would go now
    # A setting changed before it goes counts: the body is composed at send time.
    client.patch(f"{API}/settings", json={"default_review_status": "suspicious"}, headers=BASIC)
    (review,) = callbacks(client, attempt=attempt_id)
    assert review["payload"]["status"] == "suspicious"


def test_the_keyword_in_the_email_picks_the_verdict(client, auth, exam_id) -> None:
    attempt_id = register(client, auth, exam_id, email="ada+suspicious@example.com")
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    (review,) = callbacks(client, attempt=attempt_id)
    assert review["payload"]["status"] == "suspicious"


def test_a_decision_before_submission_waits_for_it(client, auth, exam_id, attempt_id) -> None:
    response = client.post(
        f"{API}/attempts/{attempt_id}/review",
        json={"status": "violation", "comments": ["Phone in view"], "delay_seconds": 3},
        headers=BASIC,
    )
    assert response.status_code == 200
    assert response.get_json()["sends"] == "at submission"
    assert callbacks(client, attempt=attempt_id) == []
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    (review,) = callbacks(client, attempt=attempt_id)
    assert review["source"] == "decision"
    assert review["payload"]["status"] == "violation"
    assert review["payload"]["comments"][0]["comment"] == "Phone in view"
    assert review["due_at"] - review["created_at"] == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize(("source", "status"), [("console", 200), ("my script", 400)])
def test_a_decision_names_a_known_source(client, attempt_id, source, status) -> None:
    response = client.post(
        f"{API}/attempts/{attempt_id}/review",
        json={"status": "passed", "source": source},
        headers=BASIC,
    )
    assert response.status_code == status
    if status == 400:
        assert "source" in response.get_json()["detail"]
    else:
        assert response.get_json()["decision"]["source"] == source


def test_a_decision_after_submission_replaces_the_review_not_yet_sent(
    client, auth, exam_id, attempt_id
) -> None:
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    (automatic,) = callbacks(client, attempt=attempt_id)
    answer = client.post(
        f"{API}/attempts/{attempt_id}/review",
        json={"status": "not_reviewed", "reviewed_by": "staff@example.com"},
        headers=BASIC,
    ).get_json()
    assert answer["sends"] == "now"
    (review,) = callbacks(client, attempt=attempt_id)  # replaced, not added
    assert review["id"] == automatic["id"]
    assert review["payload"]["status"] == "not_reviewed"
    assert review["payload"]["reviewed_by"] == "staff@example.com"
    assert review["due_at"] <= automatic["due_at"] - 9  # now, not after the review delay
    assert answer["decision"]["callback_id"] == review["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "great"}, 400),
        ({}, 400),
        ({"status": "passed", "comments": "nice"}, 400),
        ({"status": "passed", "comments": [{"status": "ok"}]}, 400),
        ({"status": "passed", "delay_seconds": -1}, 400),
        ({"status": "passed", "delay_seconds": "soon"}, 400),
        ({"status": "passed", "reviewed_by": 7}, 400),
    ],
)
def test_a_bad_decision_is_refused_and_queues_nothing(
    client, app, attempt_id, body, status
) -> None:
    response = client.post(f"{API}/attempts/{attempt_id}/review", json=body, headers=BASIC)
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "detail"}
    assert app.extensions["mockprock"].store.callbacks.get_review_decision(attempt_id) is None


def test_a_decision_for_an_unknown_attempt_is_a_404(client) -> None:
    response = client.post(f"{API}/attempts/nope/review", json={"status": "passed"}, headers=BASIC)
    assert response.status_code == 404


def test_ready_now_sends_one_or_hurries_the_waiting_one(client, app, attempt_id) -> None:
    provider = app.extensions["mockprock"].provider
    assert provider.schedule_ready(attempt_id, delay_seconds=60) is True
    assert provider.schedule_ready(attempt_id) is False  # already queued
    (waiting,) = callbacks(client, kind="ready")
    hurried = client.post(f"{API}/attempts/{attempt_id}/ready", headers=BASIC).get_json()
    assert hurried["id"] == waiting["id"]
    assert hurried["due_at"] < waiting["due_at"] - 59
    assert len(callbacks(client, kind="ready")) == 1


def test_callbacks_filter_and_retry_errors(client, attempt_id) -> None:
    assert client.get(f"{API}/callbacks?state=lost", headers=BASIC).status_code == 400
    assert client.get(f"{API}/callbacks?limit=0", headers=BASIC).status_code == 400
    assert client.post(f"{API}/callbacks/999/retry", headers=BASIC).status_code == 404
    assert callbacks(client, state="held") == []


# -- onboarding ---------------------------------------------------------------------


def test_profiles_set_here_are_what_the_lms_reads(client, auth) -> None:
    user = ATTEMPT["user_id"]
    course = EXAM["course_id"]
    response = client.put(
        f"{API}/users/{user}/onboarding",
        json={"status": "approved", "course_id": course},
        headers=BASIC,
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved-in-course"
    seen = client.get(
        f"/api/v1/courses/{course}/onboarding_statuses?user_id={user}", headers=auth
    ).get_json()
    assert seen["status"] == "approved-in-course"
    assert seen["expiration_date"]
    client.put(f"{API}/users/{user}/onboarding", json={"status": "none"}, headers=BASIC)
    seen = client.get(
        f"/api/v1/courses/{course}/onboarding_statuses?user_id={user}", headers=auth
    ).get_json()
    assert seen["status"] == "no-profile"


@pytest.mark.parametrize("body", [{"status": "great"}, {}, {"status": "approved", "course_id": 3}])
def test_a_bad_profile_is_refused(client, app, body) -> None:
    response = client.put(f"{API}/users/u1/onboarding", json=body, headers=BASIC)
    assert response.status_code == 400
    assert app.extensions["mockprock"].store.onboarding.get_onboarding_profile("abcd", "u1") is None


@pytest.mark.parametrize(
    ("profile", "refusal"),
    [
        ("none", "onboarding_missing"),
        ("pending", "onboarding_pending"),
        ("rejected", "onboarding_failed"),
        ("expired", "onboarding_expired"),
        ("approved", None),
    ],
)
def test_the_gate_reads_the_profiles(client, auth, exam_id, profile, refusal) -> None:
    client.patch(f"{API}/settings", json={"onboarding": "required"}, headers=BASIC)
    client.put(
        f"{API}/users/{ATTEMPT['user_id']}/onboarding",
        json={"status": profile, "course_id": EXAM["course_id"]},
        headers=BASIC,
    )
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth)
    assert response.status_code == 200
    answer = response.get_json()
    if refusal:
        assert answer == {"status": refusal}
    else:
        assert answer["status"] == "created" and answer["id"]


def test_submitting_an_onboarding_attempt_makes_the_profile_pending(client, auth) -> None:
    practice = {**EXAM, "id": 2, "content_id": "block-v1:x+type@sequential+block@onb"}
    exam_id = client.post(
        "/api/v1/exam/", json={**practice, "is_practice_exam": True}, headers=auth
    ).get_json()["id"]
    attempt_id = register(client, auth, exam_id, is_sample_attempt=True)
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    seen = client.get(
        f"/api/v1/courses/{EXAM['course_id']}/onboarding_statuses?user_id={ATTEMPT['user_id']}",
        headers=auth,
    ).get_json()
    assert seen["status"] == "pending"


# -- the journal ------------------------------------------------------------------------


def test_the_journal_keeps_provider_requests_with_secrets_redacted(client, auth, exam_id) -> None:
    client.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "abcd",
            "client_secret": "abcdsecret",
        },
    )
    entries = client.get(f"{API}/requests?limit=5", headers=BASIC).get_json()
    assert 1 <= len(entries) <= 5
    text = str(entries)
    assert "abcdsecret" not in text
    assert auth["Authorization"].split()[1] not in text
    assert any(e["path"] == "/api/v1/exam/" for e in entries)
    assert client.get(f"{API}/requests?limit=0", headers=BASIC).status_code == 400
    # The control API itself is not journaled.
    assert not any(e["path"].startswith(API) for e in entries)


def test_the_journal_keeps_only_the_last_n(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, journal_size=3))
    client = app.test_client()
    auth = {"Authorization": f"JWT {get_token(client)}"}
    for _ in range(5):
        client.get("/api/v1/config/", headers=auth)
    entries = client.get(f"{API}/requests", headers=BASIC).get_json()
    assert len(entries) == 3
    assert [e["path"] for e in entries] == ["/api/v1/config/"] * 3
    app.extensions["mockprock"].close()


# -- the download page --------------------------------------------------------------------


def test_the_download_page_queues_ready_once(client, exam_id, attempt_id) -> None:
    url = f"/download?attempt={attempt_id}&exam={exam_id}"
    first = client.get(url)
    assert first.status_code == 200
    # No LMS credentials in the test settings: the page says the callback is held.
    assert "Held: the server has no LMS credentials" in first.get_data(as_text=True)
    assert client.get(url).status_code == 200
    (ready,) = callbacks(client, kind="ready")
    assert ready["payload"] == {"status": "ready"}
    assert ready["url"].endswith(f"/attempt/{attempt_id}/ready")
    assert ready["due_at"] - ready["created_at"] == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 400), ("?attempt=nope", 404), ("?attempt={attempt}&exam=other-exam", 404)],
)
def test_the_download_page_says_what_is_wrong(client, attempt_id, query, status) -> None:
    response = client.get("/download" + query.format(attempt=attempt_id))
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert callbacks(client) == []


# -- what the session saw ---------------------------------------------------------------


def crash_then_submit(client, auth, exam_id, attempt_id) -> dict:
    """The app starts, crashes (a ping fails), the learner submits: the queued review."""
    assert client.post(f"/desktop/start?attempt={attempt_id}").status_code == 200
    patch_status(client, auth, exam_id, attempt_id, "started")
    client.put(f"{API}/attempts/{attempt_id}/desktop", json={"state": "crashed"}, headers=BASIC)
    assert client.get(f"/desktop/ping?attempt={attempt_id}").status_code >= 400
    patch_status(client, auth, exam_id, attempt_id, "submitted")
    (review,) = callbacks(client, attempt=attempt_id, kind="reviewed")
    return review["payload"]


def test_a_crash_is_in_the_review_and_with_verdict_from_session_makes_it_suspicious(
    client, auth, exam_id
) -> None:
    plain = crash_then_submit(client, auth, exam_id, register(client, auth, exam_id))
    assert plain["status"] == "passed"  # verdict_from_session is off by default
    assert plain["comments"] and "MockProck review" not in plain["comments"][0]["comment"]

    client.patch(f"{API}/settings", json={"verdict_from_session": True}, headers=BASIC)
    learner = {"user_id": "second-learner"}
    flagged_id = register(client, auth, exam_id, **learner)
    flagged = crash_then_submit(client, auth, exam_id, flagged_id)
    assert flagged["status"] == "suspicious"
    for comment in flagged["comments"]:
        assert set(comment) >= {"comment", "status", "start", "stop"}
    assert any("crash" in c["comment"].lower() for c in flagged["comments"])
    # A keyword still wins over the session.
    keyword_id = register(client, auth, exam_id, user_id="third", email="c+passed@example.com")
    assert crash_then_submit(client, auth, exam_id, keyword_id)["status"] == "passed"


def test_the_attempts_list_pages_in_order_when_asked(client, auth, exam_id) -> None:
    ids = [register(client, auth, exam_id, user_id=f"pager{i}") for i in range(5)]
    every = client.get("/mockprock/api/attempts", headers=BASIC).get_json()
    assert [a["id"] for a in every] == ids  # unpaged: every attempt, oldest first
    pages = [
        client.get(f"/mockprock/api/attempts?page_size=2&page={n}", headers=BASIC).get_json()
        for n in (1, 2, 3, 4)
    ]
    assert [[a["id"] for a in page] for page in pages] == [ids[:2], ids[2:4], ids[4:], []]
    far = client.get(f"/mockprock/api/attempts?page_size=1000000&page={2**40}", headers=BASIC)
    assert far.status_code == 200 and far.get_json() == []
    refused = client.get("/mockprock/api/attempts?page_size=0", headers=BASIC)
    assert refused.status_code == 400 and "page_size" in refused.get_json()["detail"]
