"""A client's simulated latency on a live server holds no worker thread another client
needs: the other client is answered while every delayed answer is pending."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from tests.helpers import ATTEMPT, EXAM, wait_for

pytestmark = pytest.mark.live

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
