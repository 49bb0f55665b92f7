"""The outbox's senders against a real LMS on loopback: callbacks go concurrently, each
exactly once, one at a time and in order per attempt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mockprock.callbacks.dispatcher import SENDERS
from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.store import Store
from tests.helpers import serving, wait_for

pytestmark = pytest.mark.live


class SlowLms(BaseHTTPRequestHandler):
    """Answers the token and every callback late (attempt00's much later, so the others
    overtake it), recording what is in flight."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    arrivals: list[tuple[str, int]] = []  # (attempt, sequence number in the payload)
    in_flight: dict[str, int] = {}
    most_at_once = 0
    most_per_attempt = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/oauth2/"):
            self._answer({"access_token": "t", "token_type": "JWT", "expires_in": 3600})
            return
        attempt = self.path.rstrip("/").split("/")[-2]
        cls = type(self)
        with cls.lock:
            cls.arrivals.append((attempt, json.loads(body)["n"]))
            cls.in_flight[attempt] = cls.in_flight.get(attempt, 0) + 1
            cls.most_per_attempt = max(cls.most_per_attempt, cls.in_flight[attempt])
            cls.most_at_once = max(cls.most_at_once, sum(cls.in_flight.values()))
        time.sleep(0.2 if attempt == "attempt00" else 0.01)
        with cls.lock:
            cls.in_flight[attempt] -= 1
        self._answer("OK")

    def _answer(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def lms() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowLms)
    server.daemon_threads = True
    with serving(server):
        yield f"http://127.0.0.1:{server.server_port}"


def test_callbacks_go_concurrently_once_each_and_in_order_per_attempt(
    lms: str, tmp_path: Path
) -> None:
    settings = Settings(lms_url=lms, lms_client_id="lms", lms_client_secret="secret")
    store = Store(str(tmp_path / "senders.sqlite"))
    outbox = Outbox(store, lambda: settings)
    attempts = [f"attempt{i:02d}" for i in range(12)]
    expected = {a: list(range(5)) for a in attempts}
    # Queued before the dispatcher starts, so every one is due at once: the senders
    # must still keep each attempt's five in order, one at a time.
    for n in range(5):
        for attempt in attempts:
            url = f"{lms}/api/edx_proctoring/v1/proctored_exam/attempt/{attempt}/reviewed"
            outbox.enqueue("reviewed", attempt, url, {"n": n}, 0)
    outbox.dispatcher.start()
    try:
        wait_for(
            lambda: len(store.callbacks.list_callbacks(states=("delivered",))) == 60,
            timeout=60,
            what="60 callbacks delivered",
        )
    finally:
        outbox.dispatcher.stop()
        store.close()
    got: dict[str, list[int]] = {a: [] for a in attempts}
    for attempt, n in SlowLms.arrivals:
        got[attempt].append(n)
    assert got == expected  # each once, in the order queued
    assert SlowLms.most_per_attempt == 1
    assert 2 <= SlowLms.most_at_once <= SENDERS
