"""Guest clients (``POST /mockprock/api/guests``): an operator's client with an LMS and
settings of its own, held in memory, that changes nothing of anyone else's."""

from __future__ import annotations

import pytest

from mockprock.web.app import create_app
from tests.helpers import ATTEMPT, EXAM, get_token, make_settings

GUEST_LMS = {
    "lms_url": "http://127.0.0.1:19999",
    "lms_client_id": "kit",
    "lms_client_secret": "kit-secret",
}
OPERATOR = ("ops", "a-long-operator-secret")


@pytest.fixture
def served(tmp_path):
    made = []

    def make(**settings):
        app = create_app(make_settings(tmp_path, **settings))
        made.append(app)
        return app, app.test_client()

    yield make
    for app in made:
        app.extensions["mockprock"].close()


def test_a_guest_has_its_own_lms_and_settings_and_leaves_the_servers(served):
    app, client = served(lms_client_id="user-lms", lms_client_secret="user-secret")
    before = client.get("/mockprock/api/settings", auth=("abcd", "abcdsecret")).get_json()
    made = client.post(
        "/mockprock/api/guests",
        json={**GUEST_LMS, "review_delay_seconds": 0},
        auth=("abcd", "abcdsecret"),
    )
    assert made.status_code == 201, made.get_json()
    guest = (made.get_json()["client_id"], made.get_json()["client_secret"])
    assert guest[0].startswith("guest-") and guest[1] != guest[0] + "secret"
    own = client.get("/mockprock/api/settings", auth=guest).get_json()
    assert own["guest"] is True and own["lms_url"] == GUEST_LMS["lms_url"]
    assert own["review_delay_seconds"] == 0 and own["lms_origins"] == [GUEST_LMS["lms_url"]]
    assert client.patch("/mockprock/api/settings", json={"onboarding": "required"}, auth=guest)
    # The server's settings, as the user sees them, did not move.
    after = client.get("/mockprock/api/settings", auth=("abcd", "abcdsecret")).get_json()
    assert after == before
    provider = app.extensions["mockprock"].provider
    assert provider.settings.lms_client_secret == "user-secret"
    assert provider.settings_of(guest[0]).onboarding == "required"
    assert provider.settings.onboarding == "optional"
    # Its LMS is fixed when it is made.
    moved = client.patch("/mockprock/api/settings", json={"lms_url": "http://x:1"}, auth=guest)
    assert moved.status_code == 403 and moved.get_json()["error"] == "operator_only"
    # A guest makes no guests.
    assert client.post("/mockprock/api/guests", json=GUEST_LMS, auth=guest).status_code == 403


def test_a_guests_callbacks_go_only_to_its_own_lms_origin(served):
    app, client = served()
    made = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=("abcd", "abcdsecret"))
    guest = (made.get_json()["client_id"], made.get_json()["client_secret"])
    auth = {"Authorization": f"JWT {get_token(client, *guest)}"}
    exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
    # The server's LMS (ATTEMPT's lms_host) is allowed for the server's clients, not the guest's.
    attempt_id = client.post(
        f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth
    ).get_json()["id"]
    ready = client.post(f"/mockprock/api/attempts/{attempt_id}/ready", auth=guest).get_json()
    assert ready["state"] == "failed"
    assert "not an allowed LMS origin" in ready["last_error"]
    assert GUEST_LMS["lms_url"] in ready["last_error"]
    # The guest's own LMS: queued with the guest's credentials, though the server has none.
    mine = client.post(
        f"/api/v1/exam/{exam_id}/attempt/",
        json={**ATTEMPT, "user_id": "u2", "lms_host": GUEST_LMS["lms_url"]},
        headers=auth,
    ).get_json()["id"]
    queued = client.post(f"/mockprock/api/attempts/{mine}/ready", auth=guest).get_json()
    assert queued["state"] == "pending"  # not held: the dispatcher (not started here) sends it
    assert app.extensions["mockprock"].provider.outbox.dispatcher.credentials() is None


def test_only_an_operator_makes_or_removes_a_guest(served):
    _, client = served(host="0.0.0.0", admins=[":".join(OPERATOR)])
    refused = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=("abcd", "abcdsecret"))
    assert refused.status_code == 403 and refused.get_json()["error"] == "operator_only"
    made = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=OPERATOR)
    assert made.status_code == 201
    guest_id = made.get_json()["client_id"]
    other = client.delete(f"/mockprock/api/guests/{guest_id}", auth=("abcd", "abcdsecret"))
    assert other.status_code == 403
    gone = client.delete(f"/mockprock/api/guests/{guest_id}", auth=OPERATOR)
    assert gone.status_code == 200
    assert client.delete(f"/mockprock/api/guests/{guest_id}", auth=OPERATOR).status_code == 404


def test_a_guest_needs_its_lms_and_removing_it_wipes_what_it_made(served):
    app, client = served()
    for missing in GUEST_LMS:
        body = {k: v for k, v in GUEST_LMS.items() if k != missing}
        answer = client.post("/mockprock/api/guests", json=body, auth=("abcd", "abcdsecret"))
        assert answer.status_code == 400 and missing in answer.get_json()["detail"]
    made = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=("abcd", "abcdsecret"))
    guest = (made.get_json()["client_id"], made.get_json()["client_secret"])
    auth = {"Authorization": f"JWT {get_token(client, *guest)}"}
    client.post("/api/v1/exam/", json=EXAM, headers=auth)
    store = app.extensions["mockprock"].store
    assert len(store.exams.list_exams(guest[0])) == 1
    # The guest removes itself (the kit does, at the end of a run).
    assert client.delete(f"/mockprock/api/guests/{guest[0]}", auth=guest).status_code == 200
    assert store.exams.list_exams(guest[0]) == []
    assert client.get("/mockprock/api/settings", auth=guest).status_code == 401


def test_while_a_guest_exists_each_callback_goes_with_its_own_clients_credentials(served):
    app, client = served()  # the server itself has no LMS credentials
    made = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=("abcd", "abcdsecret"))
    guest = (made.get_json()["client_id"], made.get_json()["client_secret"])
    ids = {}
    for who, lms_host in (
        (("abcd", "abcdsecret"), ATTEMPT["lms_host"]),
        (guest, GUEST_LMS["lms_url"]),
    ):
        auth = {"Authorization": f"JWT {get_token(client, *who)}"}
        exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
        attempt = {**ATTEMPT, "lms_host": lms_host}
        attempt_id = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=attempt, headers=auth)
        ids[who[0]] = attempt_id.get_json()["id"]
        client.post(f"/mockprock/api/attempts/{ids[who[0]]}/ready", auth=who)
    outbox = app.extensions["mockprock"].provider.outbox
    store = app.extensions["mockprock"].store
    (user_row,) = store.callbacks.list_callbacks(ids["abcd"])
    assert user_row["state"] == "held"
    # Made due as if released: the dispatcher holds it again, and sends only the guest's.
    store.callbacks.update_callback(user_row["id"], state="pending")
    outbox.dispatcher.run_due()
    (user_row,) = store.callbacks.list_callbacks(ids["abcd"])
    (guest_row,) = store.callbacks.list_callbacks(ids[guest[0]])
    assert (user_row["state"], user_row["tries"]) == ("held", 0)
    # Nothing listens at the guest's LMS: it was tried there, and waits to be tried again.
    assert (guest_row["state"], guest_row["tries"]) == ("pending", 1)
    assert GUEST_LMS["lms_url"] in guest_row["last_error"]
