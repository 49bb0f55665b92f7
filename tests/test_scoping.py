"""Per-client scoping: a client sees and steers its own exams, attempts,
onboarding profiles, callbacks, journal and dashboard; another client's are a 404 and
stay as they were."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import pytest

from tests.helpers import ATTEMPT, EXAM, get_token

API = "/mockprock/api"
COURSE = EXAM["course_id"]


def basic(client_id: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{client_id}secret".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def theirs(client) -> dict[str, str]:
    """Another tenant's credentials: an invented ``zz`` / ``zzsecret`` pair."""
    return {"Authorization": f"JWT {get_token(client, 'zz', 'zzsecret')}"}


@pytest.fixture
def submitted(client, auth, exam_id, attempt_id) -> str:
    """abcd's attempt, submitted: its review waits in the outbox."""
    for status in ("started", "submitted"):
        client.patch(
            f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", json={"status": status}, headers=auth
        )
    return attempt_id


def snapshot(app) -> dict:
    store = app.extensions["mockprock"].store
    tables = ("exams", "attempts", "attempt_events", "callbacks", "onboarding_profiles")
    return {
        t: store.database.db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables
    }


def test_another_clients_provider_calls_are_404_and_change_nothing(
    app, client, theirs, exam_id, submitted
) -> None:
    attempt = f"/api/v1/exam/{exam_id}/attempt/{submitted}/"
    before = snapshot(app)
    calls = [
        ("GET", f"/api/v1/exam/{exam_id}/", None),
        ("POST", f"/api/v1/exam/{exam_id}/", {**EXAM, "exam_name": "Renamed"}),
        ("POST", f"/api/v1/exam/{exam_id}/attempt/", ATTEMPT),
        ("GET", attempt, None),
        ("PATCH", attempt, {"status": "verified"}),
        ("DELETE", attempt, None),
    ]
    for method, path, body in calls:
        response = client.open(path, method=method, json=body, headers=theirs)
        assert response.status_code == 404, (method, path, response.get_json())
    assert snapshot(app) == before
    exam = app.extensions["mockprock"].store.exams.get_exam(exam_id)
    assert (exam["client_id"], exam["exam_name"]) == ("abcd", EXAM["exam_name"])


def test_retiring_a_learner_removes_only_what_that_client_holds(
    app, client, auth, theirs, attempt_id
) -> None:
    assert client.delete(f"/api/v1/user/{ATTEMPT['user_id']}/", headers=theirs).get_json() is False
    assert app.extensions["mockprock"].store.attempts.get_attempt(attempt_id) is not None
    assert client.delete(f"/api/v1/user/{ATTEMPT['user_id']}/", headers=auth).get_json() is True
    assert app.extensions["mockprock"].store.attempts.get_attempt(attempt_id) is None


def test_onboarding_profiles_belong_to_the_client_whose_lms_set_them(
    app, client, auth, theirs
) -> None:
    """A vendor keeps a learner's onboarding per tenant: one tenant's approval opens no
    gate of another, and no tenant lists another's learners."""
    user = ATTEMPT["user_id"]
    app.extensions["mockprock"].provider.change_settings("abcd", {"onboarding": "required"})
    set_approved = client.put(
        f"{API}/users/{user}/onboarding", json={"status": "approved"}, headers=basic("abcd")
    )
    assert set_approved.status_code == 200
    mine = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
    other = client.post("/api/v1/exam/", json=EXAM, headers=theirs).get_json()["id"]
    assert mine != other
    assert client.post(f"/api/v1/exam/{mine}/attempt/", json=ATTEMPT, headers=auth).get_json()[
        "status"
    ] == ("created")
    refused = client.post(f"/api/v1/exam/{other}/attempt/", json=ATTEMPT, headers=theirs)
    assert refused.get_json() == {"status": "onboarding_missing"}
    query = {"user_id": user}
    path = f"/api/v1/courses/{COURSE}/onboarding_statuses"
    assert client.get(path, query_string=query, headers=auth).get_json()["status"] == (
        "approved-in-course"
    )
    assert client.get(path, query_string=query, headers=theirs).get_json()["status"] == (
        "no-profile"
    )
    listed = client.get(path, headers=theirs).get_json()
    assert listed["results"] == []
    shown = client.get(f"{API}/users/{user}/onboarding", headers=basic("zz")).get_json()
    assert shown["profile"] is None


def test_the_control_api_shows_and_steers_only_the_clients_own(app, client, submitted) -> None:
    zz = basic("zz")
    assert client.get(f"{API}/attempts", headers=zz).get_json() == []
    assert client.get(f"{API}/callbacks", headers=zz).get_json() == []
    journal = client.get(f"{API}/requests", headers=zz).get_json()
    assert all(entry["client_id"] == "zz" for entry in journal)
    (review,) = client.get(f"{API}/callbacks", headers=basic("abcd")).get_json()
    before = snapshot(app)
    calls = [
        ("GET", f"{API}/attempts/{submitted}", None),
        ("POST", f"{API}/attempts/{submitted}/review", {"status": "violation"}),
        ("POST", f"{API}/attempts/{submitted}/ready", None),
        ("GET", f"{API}/attempts/{submitted}/desktop", None),
        ("PUT", f"{API}/attempts/{submitted}/desktop", {"state": "crashed"}),
        ("POST", f"{API}/callbacks/{review['id']}/retry", None),
    ]
    for method, path, body in calls:
        response = client.open(path, method=method, json=body, headers=zz)
        assert response.status_code == 404, (method, path, response.get_json())
    assert client.post(f"{API}/reset", headers=zz).status_code == 200
    assert snapshot(app) == before
    listed = client.get(f"{API}/attempts", headers=basic("abcd")).get_json()
    assert [a["id"] for a in listed] == [submitted]


def test_a_reset_wipes_only_the_clients_own_state(app, client, theirs, attempt_id) -> None:
    other = client.post("/api/v1/exam/", json=EXAM, headers=theirs).get_json()["id"]
    client.post(f"/api/v1/exam/{other}/attempt/", json=ATTEMPT, headers=theirs)
    assert client.post(f"{API}/reset", headers=basic("zz")).status_code == 200
    store = app.extensions["mockprock"].store
    assert store.exams.get_exam(other) is None
    assert [a["id"] for a in store.attempts.list_attempts()] == [attempt_id]


def dashboard_link(client_id: str, **claims: object) -> str:
    token = {
        "course_id": COURSE,
        "iss": client_id,
        "jti": uuid.uuid4().hex,
        "exp": time.time() + 3600,
        **claims,
    }
    signed = jwt.encode(token, f"{client_id}secret", algorithm="HS256")
    return f"/api/v1/instructor/{client_id}/?jwt={signed}"


def test_a_dashboard_link_shows_only_its_clients_courses(client, exam_id, attempt_id) -> None:
    mine = client.get(dashboard_link("abcd")).get_data(as_text=True)
    assert exam_id in mine
    course = client.get(dashboard_link("zz"))
    assert course.status_code == 200
    assert exam_id not in course.get_data(as_text=True)
    assert EXAM["exam_name"] not in course.get_data(as_text=True)
    for claims in ({"exam_id": exam_id}, {"exam_id": exam_id, "attempt_id": attempt_id}):
        response = client.get(dashboard_link("zz", **claims))
        assert response.status_code == 404
        assert ATTEMPT["email"] not in response.get_data(as_text=True)
