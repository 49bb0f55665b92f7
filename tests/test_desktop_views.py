"""The desktop application over HTTP: /desktop/start, /desktop/ping, /desktop/stop."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from mockprock.client import ProviderClient
from mockprock.provider import desktop
from mockprock.web.app import create_app
from tests.helpers import ATTEMPT, EXAM, get_token, make_settings

# The learning MFE's origin on devstack: not the LMS's (make_settings: 127.0.0.1:18000).
ORIGIN = "http://localhost:2000"
LMS_ORIGIN = "http://127.0.0.1:18000"


def services(app: Flask):
    return app.extensions["mockprock"]


def register(client: FlaskClient, auth: dict[str, str], exam_id: str) -> str:
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth)
    return response.get_json()["id"]


@contextmanager
def app_with(
    tmp_path: Path, **settings: object
) -> Iterator[tuple[Flask, FlaskClient, Callable[[], str]]]:
    """An app with these settings, its test client and a function registering attempts."""
    app = create_app(make_settings(tmp_path, **settings))
    try:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
        yield app, client, lambda: register(client, auth, exam_id)
    finally:
        services(app).close()


def test_start_ping_stop_answer_json_to_any_origin(client: FlaskClient, attempt_id: str) -> None:
    headers = {"Origin": ORIGIN}
    started = client.post(f"/desktop/start?attempt={attempt_id}", headers=headers)
    assert started.status_code == 200
    assert started.get_json()["status"] == "running"
    assert started.get_json()["attempt"] == attempt_id
    pinged = client.get(f"/desktop/ping?attempt={attempt_id}", headers=headers)
    assert pinged.get_json() == {"status": "running", "attempt": attempt_id}
    stopped = client.post(f"/desktop/stop?attempt={attempt_id}", headers=headers)
    assert stopped.status_code == 200
    assert stopped.get_json()["status"] == "uploading"
    for response in (started, pinged, stopped):
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Origin" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.is_json


def test_preflight_is_answered_for_every_route(client: FlaskClient) -> None:
    for path, method in (("start", "POST"), ("ping", "GET"), ("stop", "POST")):
        response = client.options(
            f"/desktop/{path}",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type, x-anything, authorization",
                "Access-Control-Request-Private-Network": "true",
            },
        )
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Origin" in response.headers["Vary"]
        assert method in response.headers["Access-Control-Allow-Methods"]
        # Only what the worker sends: requested headers are never reflected.
        assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
        assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_refusals_are_json_with_cors_and_change_nothing(
    app: Flask, client: FlaskClient, attempt_id: str
) -> None:
    headers = {"Origin": ORIGIN}
    unknown = client.post("/desktop/start?attempt=nope", headers=headers)
    assert unknown.status_code == 404
    assert unknown.get_json()["error"] == "not_found"
    assert unknown.headers["Access-Control-Allow-Origin"] == ORIGIN
    early = client.get(f"/desktop/ping?attempt={attempt_id}", headers=headers)
    assert early.status_code == 409
    assert early.get_json()["error"] == "app_not_started"
    assert early.headers["Access-Control-Allow-Origin"] == ORIGIN
    wrong_method = client.get("/desktop/start")
    assert wrong_method.status_code == 405
    assert wrong_method.is_json
    store = services(app).store
    assert store.desktop.get_desktop_session(attempt_id) is None
    assert store.desktop.list_heartbeats(attempt_id) == []
    assert store.callbacks.list_callbacks(attempt_id, "ready") == []


def test_starting_the_app_queues_the_ready_callback_once(
    app: Flask, client: FlaskClient, attempt_id: str
) -> None:
    store = services(app).store
    assert store.callbacks.list_callbacks(attempt_id, "ready") == []
    client.post(f"/desktop/start?attempt={attempt_id}")
    client.post(f"/desktop/start?attempt={attempt_id}")
    ready = store.callbacks.list_callbacks(attempt_id, "ready")
    assert len(ready) == 1
    assert ready[0]["payload"] == {"status": "ready"}


def test_an_app_that_cannot_start_queues_no_ready_callback(
    app: Flask, client: FlaskClient, attempt_id: str
) -> None:
    desktop.set_fault(services(app).store, attempt_id, "not_installed", None, "running")
    refused = client.post(f"/desktop/start?attempt={attempt_id}")
    assert refused.status_code == 503
    assert refused.get_json()["status"] == "not_installed"
    assert services(app).store.callbacks.list_callbacks(attempt_id, "ready") == []


def test_requests_without_an_attempt_from_the_lms_act_on_the_latest(
    app: Flask, client: FlaskClient, auth: dict[str, str], exam_id: str
) -> None:
    lms = {"Origin": LMS_ORIGIN}  # the legacy courseware's worker names no attempt
    first = register(client, auth, exam_id)
    second = register(client, auth, exam_id)
    assert client.post("/desktop/start", headers=lms).get_json()["attempt"] == second
    assert client.get("/desktop/ping", headers=lms).get_json()["attempt"] == second
    client.post(f"/desktop/start?attempt={first}")
    assert client.get("/desktop/ping", headers=lms).get_json()["attempt"] == first
    store = services(app).store
    assert len(store.desktop.list_heartbeats(first)) == 1
    assert len(store.desktop.list_heartbeats(second)) == 1
    inferred = [
        e for e in store.attempts.list_events(second) if e["kind"] == "desktop_attempt_inferred"
    ]
    assert [e["detail"] for e in inferred] == [
        {"action": "start", "origin": LMS_ORIGIN},
        {"action": "ping", "origin": LMS_ORIGIN},
    ]


def test_a_start_without_an_attempt_skips_submitted_attempts(
    client: FlaskClient, auth: dict[str, str], exam_id: str
) -> None:
    waiting = register(client, auth, exam_id)
    done = register(client, auth, exam_id)
    client.patch(
        f"/api/v1/exam/{exam_id}/attempt/{done}/", json={"status": "submitted"}, headers=auth
    )
    started = client.post("/desktop/start", headers={"Origin": LMS_ORIGIN})
    assert started.get_json()["attempt"] == waiting


def test_without_an_attempt_a_foreign_origin_is_refused_and_nothing_changes(
    app: Flask, client: FlaskClient, auth: dict[str, str], exam_id: str
) -> None:
    attempt_id = register(client, auth, exam_id)
    store = services(app).store
    events = store.attempts.list_events(attempt_id)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": ORIGIN}, {}):
        for method, path in (("POST", "start"), ("GET", "ping"), ("POST", "stop")):
            refused = client.open(f"/desktop/{path}", method=method, headers=headers)
            assert refused.status_code == 403, (headers, path)
            assert refused.get_json()["error"] == "origin_not_allowed"
            assert "--allow-origin" in refused.get_json()["detail"]
            assert attempt_id not in refused.get_data(as_text=True)
    assert store.desktop.get_desktop_session(attempt_id) is None
    assert store.callbacks.list_callbacks(attempt_id) == []
    assert store.attempts.list_events(attempt_id) == events


def test_allow_origin_lets_another_page_drive_the_app_without_an_attempt(
    tmp_path: Path,
) -> None:
    with app_with(tmp_path, allowed_origins=("http://courseware.test",)) as (_, client, new):
        attempt_id = new()
        started = client.post("/desktop/start", headers={"Origin": "http://courseware.test"})
        assert started.get_json()["attempt"] == attempt_id
        refused = client.post("/desktop/start", headers={"Origin": "http://other.test"})
        assert refused.status_code == 403


def test_new_attempts_follow_the_desktop_default(tmp_path: Path) -> None:
    with app_with(tmp_path, desktop_default="crashed") as (_, client, new_attempt):
        attempt_id = new_attempt()
        assert client.post(f"/desktop/start?attempt={attempt_id}").status_code == 200
        failed = client.get(f"/desktop/ping?attempt={attempt_id}")
        assert failed.status_code == 503
        assert failed.get_json()["status"] == "crashed"


def test_stop_holds_no_thread_for_the_upload(tmp_path: Path) -> None:
    with app_with(tmp_path, upload_delay_seconds=3600) as (_, client, new_attempt):
        attempts = [new_attempt() for _ in range(10)]
        for attempt_id in attempts:
            client.post(f"/desktop/start?attempt={attempt_id}")
        threads = threading.active_count()
        for attempt_id in attempts:
            stopped = client.post(f"/desktop/stop?attempt={attempt_id}")
            assert stopped.get_json()["status"] == "uploading"
        assert threading.active_count() == threads


def test_findings_make_the_default_verdict_suspicious(tmp_path: Path) -> None:
    with app_with(tmp_path, verdict_from_session=True) as (app, client, new_attempt):
        clean, crashed = new_attempt(), new_attempt()
        store, provider = services(app).store, services(app).provider
        for attempt_id in (clean, crashed):
            client.post(f"/desktop/start?attempt={attempt_id}")
            client.get(f"/desktop/ping?attempt={attempt_id}")
        desktop.set_fault(store, crashed, "crashed", None, "running")
        assert client.get(f"/desktop/ping?attempt={crashed}").status_code == 503

        review = provider.compose_review(store.attempts.get_attempt(crashed))
        assert review["status"] == "suspicious"
        assert [c["comment"] for c in review["comments"]] == ["The proctoring application crashed."]
        assert provider.compose_review(store.attempts.get_attempt(clean))["status"] == "passed"


@pytest.mark.live
def test_live_stop_answers_at_once_and_the_upload_completes_later(start_mockprock) -> None:
    # A stop that waited for the 10-minute upload would hit the 10 s timeout below.
    server = start_mockprock("--upload-delay", "600")
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    attempt_id = provider.register_attempt(exam_id, ATTEMPT)["id"]
    url = f"{server.url}/desktop"
    assert requests.post(f"{url}/start?attempt={attempt_id}", timeout=10).ok
    stopped = requests.post(f"{url}/stop?attempt={attempt_id}", timeout=10)
    assert stopped.json()["status"] == "uploading"
    assert requests.get(f"{url}/ping?attempt={attempt_id}", timeout=10).json()["status"] == (
        "uploading"
    )


BASIC = {"Authorization": "Basic " + base64.b64encode(b"abcd:abcdsecret").decode()}


def test_control_api_sets_faults_per_attempt(
    client: FlaskClient, auth: dict[str, str], exam_id: str, attempt_id: str
) -> None:
    other = register(client, auth, exam_id)
    for attempt in (attempt_id, other):
        client.post(f"/desktop/start?attempt={attempt}")
    answer = client.put(
        f"/mockprock/api/attempts/{attempt_id}/desktop",
        json={"state": "crashed", "latency_ms": 0},
        headers=BASIC,
    )
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "crashed"
    assert client.get(f"/desktop/ping?attempt={attempt_id}").status_code == 503
    # The other attempt's application is untouched.
    assert client.get(f"/desktop/ping?attempt={other}").status_code == 200

    view = client.get(f"/mockprock/api/attempts/{attempt_id}/desktop", headers=auth).get_json()
    assert view["state"] == "crashed"
    assert [beat["ok"] for beat in view["heartbeats"]] == [False]
    assert len(view["crashes"]) == 1
    timeline = client.get(f"/mockprock/api/attempts/{attempt_id}", headers=BASIC).get_json()
    assert "desktop_crashed" in [event["kind"] for event in timeline["timeline"]]


def test_control_api_refuses_bad_faults_and_changes_nothing(
    app: Flask, client: FlaskClient, attempt_id: str
) -> None:
    url = f"/mockprock/api/attempts/{attempt_id}/desktop"
    client.post(f"/desktop/start?attempt={attempt_id}")
    before = services(app).store.desktop.get_desktop_session(attempt_id)
    refusals = [
        (client.put(url, json={"state": "melted"}, headers=BASIC), 400),
        (client.put(url, json={"latency_ms": 10}, headers=BASIC), 400),
        (client.put(url, json={"state": "running", "latency_ms": "slow"}, headers=BASIC), 400),
        (client.put(url, data="{", content_type="application/json", headers=BASIC), 400),
        (client.put(url, json={"state": "crashed"}), 401),
        (
            client.put(
                "/mockprock/api/attempts/nope/desktop", json={"state": "crashed"}, headers=BASIC
            ),
            404,
        ),
        (client.get("/mockprock/api/attempts/nope/desktop", headers=BASIC), 404),
    ]
    for response, status in refusals:
        assert response.status_code == status, response.get_json()
        assert set(response.get_json()) >= {"error", "detail"}
    assert services(app).store.desktop.get_desktop_session(attempt_id) == before
    assert client.get(f"/desktop/ping?attempt={attempt_id}").status_code == 200
