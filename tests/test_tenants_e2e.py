"""Tenants on one live server (issue 20): one tenant's simulated latency never holds a
worker thread another tenant needs, and a body too large is refused before it is read."""

from __future__ import annotations

import json
import socket
import threading
import time

import requests

from mockprock.client import ControlClient, ProviderClient
from tests.helpers import ATTEMPT, EXAM, wait_for

LATENCY_MS = 12000
DELAYED_PINGS = 8  # more than the server's worker threads


def test_one_tenants_slow_application_never_delays_another_tenants_answers(
    start_mockprock,
) -> None:
    server = start_mockprock("--client", "slow:slow-secret", "--client", "other:other-secret")
    slow = ProviderClient(server.url, "slow", "slow-secret")
    exam_id = slow.save_exam(EXAM)
    attempt_id = slow.register_attempt(exam_id, ATTEMPT)["id"]
    requests.post(f"{server.url}/desktop/start?attempt={attempt_id}", timeout=10)
    control = ControlClient(server.url, "slow", "slow-secret")
    control.call(
        "PUT",
        f"/attempts/{attempt_id}/desktop",
        json={"state": "running", "latency_ms": LATENCY_MS},
    )
    answers: list[tuple[int, float]] = []
    sent_at = time.monotonic()

    def ping() -> None:
        response = requests.get(f"{server.url}/desktop/ping?attempt={attempt_id}", timeout=60)
        answers.append((response.status_code, time.monotonic() - sent_at))

    pings = [threading.Thread(target=ping) for _ in range(DELAYED_PINGS)]
    for thread in pings:
        thread.start()

    def heartbeats() -> int:
        return len(control.call("GET", f"/attempts/{attempt_id}/desktop")["heartbeats"])

    # Every ping has reached the application (its heartbeat is recorded)...
    wait_for(lambda: heartbeats() >= DELAYED_PINGS, timeout=30, what="the pings")
    # ...and another tenant is answered while every delayed answer is still pending.
    other = ProviderClient(server.url, "other", "other-secret")
    assert other.config()["name"]
    assert other.save_exam({**EXAM, "id": 2})
    assert answers == [], "another tenant waited for the slow tenant's latency"
    for thread in pings:
        thread.join()
    # The latency is still served: each ping answered, none before its delay.
    assert [status for status, _ in answers] == [200] * DELAYED_PINGS
    assert all(after >= LATENCY_MS / 1000 for _, after in answers)


def test_a_body_past_the_limit_is_refused_before_it_is_read(start_mockprock) -> None:
    server = start_mockprock("--max-body-bytes", "1000", "--read-timeout", "5")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /api/v1/exam/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n" + b"x" * 1000
        )
        # The answer comes with 49,999,000 bytes of the body never sent.
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413"), head
    assert json.loads(body) == {
        "error": "request_entity_too_large",
        "detail": "the request body is larger than 1000 bytes",
    }
