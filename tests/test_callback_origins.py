"""Callbacks and tokens go only to allowed LMS origins: the origin of ``--lms-url`` plus
``--allow-lms-origin``, the callback URL that origin plus the callback path, whatever
``lms_host`` says. In process, then live: a capture server on another loopback port
receives nothing (no token, no callback, no token request) in any of the attacks, while
the allowed LMS (the stand-in) receives every ``ready`` and ``reviewed`` exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from mockprock.config import Settings, SettingsError
from mockprock.lms_stub import LmsStubClient
from mockprock.server import banner
from mockprock.web.app import create_app
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, get_token, make_settings, serving, wait_for

CALLBACK_PATH = "/api/edx_proctoring/v1/proctored_exam/attempt/{}/{}"
FOREIGN = "http://127.0.0.1:9"  # not an allowed LMS origin; nothing listens there
FAST = ("--review-delay", "0", "--ready-delay", "0", "--callback-backoff-seconds", "0.2")
OPERATOR = ("ops", "an-operator-secret-nobody-guesses")


@pytest.fixture
def lms_app(tmp_path):
    """An app with LMS credentials (callbacks would go at once) and no dispatcher."""
    app = create_app(
        make_settings(tmp_path, lms_client_id=LMS_CLIENT[0], lms_client_secret=LMS_CLIENT[1])
    )
    yield app
    app.extensions["mockprock"].close()


def ready_after_download(app, lms_host: str) -> dict:
    """Register an attempt naming ``lms_host``, open its download page, and answer the
    ``ready`` callback it queued."""
    client = app.test_client()
    auth = {"Authorization": f"JWT {get_token(client)}"}
    exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
    attempt = {**ATTEMPT, "lms_host": lms_host}
    attempt_id = client.post(
        f"/api/v1/exam/{exam_id}/attempt/", json=attempt, headers=auth
    ).get_json()["id"]
    assert client.get(f"/download?attempt={attempt_id}").status_code == 200
    (row,) = app.extensions["mockprock"].store.callbacks.list_callbacks(attempt_id)
    return row


# -- in process ----------------------------------------------------------------------------


def test_the_callback_url_is_the_allowed_origin_plus_the_callback_path(lms_app) -> None:
    row = ready_after_download(lms_app, "http://127.0.0.1:18000/internal/admin?x=")
    assert row["state"] == "pending"
    assert row["url"] == "http://127.0.0.1:18000" + CALLBACK_PATH.format(row["attempt_id"], "ready")


def test_a_callback_to_another_origin_fails_at_once_and_says_why(lms_app, caplog) -> None:
    caplog.set_level(logging.WARNING)
    row = ready_after_download(lms_app, FOREIGN + "/some/path")
    assert row["state"] == "failed"
    assert row["tries"] == 0
    for where in (
        row["last_error"],
        caplog.text,
        str(lms_app.extensions["mockprock"].store.attempts.list_events(row["attempt_id"])),
    ):
        assert FOREIGN in where
        assert f"--allow-lms-origin {FOREIGN}" in where
    # Nothing is due: the dispatcher tries nothing (and so asks no LMS for a token).
    assert lms_app.extensions["mockprock"].outbox.dispatcher.run_due() == 0


def test_a_callback_whose_origin_stopped_being_allowed_is_not_sent(tmp_path) -> None:
    settings = make_settings(
        tmp_path,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        allowed_lms_origins=(FOREIGN,),
    )
    app = create_app(settings)
    try:
        row = ready_after_download(app, FOREIGN)
        assert row["state"] == "pending"
        provider = app.extensions["mockprock"].provider
        provider.change_settings("abcd", {"allowed_lms_origins": []})
        outbox = app.extensions["mockprock"].outbox
        outbox.dispatcher.clock = lambda: row["due_at"] + 1
        assert outbox.dispatcher.run_due() == 1
        after = outbox.store.callbacks.get_callback(row["id"])
        # Refused before any request: an attempt to send would have found no listener
        # on port 9 and been retried (pending), not failed with this reason.
        assert after["state"] == "failed"
        assert "--allow-lms-origin" in after["last_error"]
    finally:
        app.extensions["mockprock"].close()


def test_allowed_lms_origins_come_from_the_lms_url_flags_and_the_environment() -> None:
    settings = Settings.load(
        {
            "lms_url": "http://lms.example:18000/oauth2",
            "allowed_lms_origins": ("HTTP://Local:80/",),
        },
        environ={},
    )
    assert settings.lms_origins == ("http://lms.example:18000", "http://local")
    from_env = Settings.load(
        environ={
            "MOCKPROCK_ALLOW_LMS_ORIGIN": "http://a:1, https://b",
            "MOCKPROCK_ALLOW_ORIGIN": "http://mfe:2000",
        }
    )
    assert from_env.allowed_lms_origins == ("http://a:1", "https://b")
    assert from_env.desktop_origins[-1] == "http://mfe:2000"
    for bad in ("localhost:18000", "http://x/with/path", "ftp://x"):
        with pytest.raises(SettingsError, match="an origin is scheme://host"):
            Settings.load({"allowed_lms_origins": (bad,)}, environ={})


def test_origins_set_at_run_time_survive_a_restart(tmp_path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    app.extensions["mockprock"].provider.change_settings(
        "abcd", {"allowed_lms_origins": "http://lms.test:18000"}
    )
    app.extensions["mockprock"].close()
    again = create_app(settings)
    try:
        assert again.extensions["mockprock"].settings.allowed_lms_origins == (
            "http://lms.test:18000",
        )
    finally:
        again.extensions["mockprock"].close()


def test_the_banner_lists_the_allowed_lms_origins(tmp_path) -> None:
    settings = make_settings(tmp_path, allowed_lms_origins=("http://localhost:18000",))
    text = banner(settings, 0, "mockprock serve")
    assert "http://127.0.0.1:18000, http://localhost:18000" in text
    assert "--allow-lms-origin" in text


# -- live: a capture server receives nothing -----------------------------------------------


class Capture(ThreadingHTTPServer):
    """An HTTP server that records every request it gets (it must get none)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace")
                seen.append(f"{self.command} {self.path} {dict(self.headers)} {body}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"access_token": "x", "expires_in": 3600}')

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def capture() -> Iterator[Capture]:
    with serving(Capture()) as server:
        yield server


@pytest.mark.live
def test_a_capture_server_receives_nothing_while_the_lms_gets_each_callback_once(
    capture, start_mockprock, start_lms_stub
) -> None:
    stub = start_lms_stub()
    server = start_mockprock(*LMS_CLIENT, "-l", stub.url, *FAST, "--admin", ":".join(OPERATOR))
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    control = ControlClient(server.url, "abcd", "abcdsecret")
    intruder = ControlClient(server.url, "zz", "zzsecret")
    lms = LmsStubClient(stub.url)
    exam_id = provider.save_exam(EXAM)

    def register(lms_host: str) -> str:
        answer = provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": lms_host})
        return answer["id"]

    def take(attempt_id: str) -> None:
        for status in ("started", "submitted"):
            provider.set_attempt_status(exam_id, attempt_id, status)

    # 1. lms_host is the capture server: the download page, then the review.
    to_capture = register(capture.url)
    url = provider.get_attempt(exam_id, to_capture)["download_url"]
    assert requests.get(url, timeout=10).status_code == 200
    take(to_capture)
    # 2. Its path and query would have been kept; a desktop start needs nothing else.
    with_path = register(capture.url + "/internal/admin?x=")
    started = requests.post(f"{server.url}/desktop/start?attempt={with_path}", timeout=10)
    assert started.status_code == 200
    # 3. Retrying a refused callback by hand refuses it again.
    refused = control.callbacks(attempt=to_capture)
    assert {(c["kind"], c["state"]) for c in refused} == {
        ("ready", "failed"),
        ("reviewed", "failed"),
    }
    for row in refused:
        assert capture.url in row["last_error"] and "--allow-lms-origin" in row["last_error"]
        control.retry(row["id"])
    # 4. An invented client cannot send the LMS secret or callbacks elsewhere.
    for change in (
        {"lms_url": capture.url},
        {"allowed_lms_origins": [capture.url]},
        {"lms_client_secret": "new"},
    ):
        response = intruder.request("PATCH", "/settings", json=change)
        assert response.status_code == 403, response.text
    assert intruder.request("POST", "/reset").status_code == 200
    # 5. A page of another origin cannot start the app without naming an attempt.
    foreign = requests.post(
        f"{server.url}/desktop/start", headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert foreign.status_code == 403
    assert to_capture not in foreign.text and with_path not in foreign.text

    # Meanwhile the allowed LMS gets every ready and reviewed, once, at the callback path.
    good = [register(stub.url + "/internal/admin?x="), register(stub.url)]
    for attempt_id in good:
        lms.add_attempt(attempt_id)
        url = provider.get_attempt(exam_id, attempt_id)["download_url"]
        assert requests.get(url, timeout=10).status_code == 200
        wait_for(lambda a=attempt_id: lms.attempt(a)["status"] == "ready_to_start", what="ready")
        for status in ("started", "submitted"):
            lms.set_status(attempt_id, status)
            provider.set_attempt_status(exam_id, attempt_id, status)
    for attempt_id in good:
        wait_for(lambda a=attempt_id: lms.attempt(a)["reviews"], what="a review")

    def settled() -> bool:
        rows = control.callbacks(attempt=to_capture) + control.callbacks(attempt=with_path)
        return rows and all(r["state"] == "failed" for r in rows)

    wait_for(settled, what="the refused callbacks failed again")
    for attempt_id in good:
        assert [c["answer_status"] for c in lms.callbacks("ready", attempt_id)] == [200]
        assert [c["answer_status"] for c in lms.callbacks("reviewed", attempt_id)] == [200]
    assert len(lms.callbacks()) == 4
    assert capture.seen == []
    assert control.settings()["lms_url"] == stub.url
