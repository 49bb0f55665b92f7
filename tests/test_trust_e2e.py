"""Trust boundaries live (issue 9's done-when): a capture server on another loopback port
receives nothing, no token, no callback, no token request, in any of the attacks, while
the allowed LMS (the stand-in) receives every ``ready`` and ``reviewed`` exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, wait_for

FAST = ("--review-delay", "0", "--ready-delay", "0", "--callback-backoff-seconds", "0.2")
OPERATOR = ("ops", "an-operator-secret-nobody-guesses")


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
    server = Capture()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


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
