"""The outbox against a real store and canned LMS answers: states, retries, held rows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import responses

from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.errors import ProviderError
from mockprock.store import Store
from tests.helpers import wait_for

LMS = "http://lms.test:18000"
TOKEN_URL = f"{LMS}/oauth2/access_token"
URL = f"{LMS}/api/edx_proctoring/v1/proctored_exam/attempt/a1/reviewed"
REVIEW = {"status": "passed", "comments": [{"comment": "ok", "status": "ok"}]}
WITH_CREDENTIALS = Settings(
    lms_url=LMS,
    lms_client_id="lms-client",
    lms_client_secret="lms-secret",
    callback_backoff_seconds=2.0,
)


class Bodies:
    """What the dispatcher asks as a callback goes (``compose``, when a test sets it) and
    after it went (the delivered ids)."""

    def __init__(self) -> None:
        self.delivered: list[int] = []
        self.compose = None

    def body_for(self, row: dict, settings: Settings) -> dict | None:
        return self.compose(row) if self.compose else None

    def simulated_failure(self, row: dict) -> str | None:
        return None

    def after_delivery(self, row: dict, settings: Settings) -> None:
        self.delivered.append(row["id"])


class Harness:
    """An outbox over a fresh store whose settings the test changes as the API would,
    on a clock the test moves (``harness.now``)."""

    def __init__(self, tmp_path: Path, settings: Settings) -> None:
        self.store = Store(str(tmp_path / "outbox.sqlite"))
        self.settings = settings
        self.bodies = Bodies()
        self.delivered = self.bodies.delivered
        self.now = time.time()
        self.outbox = Outbox(self.store, lambda: self.settings, bodies=self.bodies)
        self.outbox.dispatcher.clock = lambda: self.now

    def row(self, callback_id: int) -> dict:
        return self.store.callbacks.get_callback(callback_id)


@pytest.fixture
def harness(tmp_path):
    harness = Harness(tmp_path, WITH_CREDENTIALS)
    yield harness
    harness.outbox.dispatcher.stop()
    harness.store.close()


def lms_answers(*statuses: int) -> None:
    responses.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    for status in statuses:
        responses.post(URL, status=status, json="OK" if status == 200 else {"detail": "no"})


def callback_posts() -> int:
    return sum(1 for call in responses.calls if call.request.url == URL)


@responses.activate
def test_a_due_callback_is_delivered_once(harness) -> None:
    lms_answers(200)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    assert row["state"] == "pending"
    assert harness.outbox.dispatcher.run_due() == 1
    assert harness.outbox.dispatcher.run_due() == 0
    done = harness.row(row["id"])
    assert (done["state"], done["tries"], done["last_status"]) == ("delivered", 1, 200)
    assert done["delivered_at"] is not None
    assert harness.delivered == [row["id"]]
    assert callback_posts() == 1
    states = [e["detail"]["state"] for e in harness.store.attempts.list_events("a1")]
    assert states == ["pending", "delivered"]


@responses.activate
def test_nothing_is_sent_before_it_is_due(harness) -> None:
    lms_answers(200)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 30)
    assert harness.outbox.dispatcher.run_due() == 0
    assert harness.outbox.dispatcher.seconds_until_due() == 30
    harness.now += 29.9
    assert harness.outbox.dispatcher.run_due() == 0
    harness.now += 0.1
    assert harness.outbox.dispatcher.run_due() == 1
    assert harness.row(row["id"])["state"] == "delivered"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
@responses.activate
def test_busy_answers_back_off_then_deliver(harness, status) -> None:
    lms_answers(status, status, 200)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    start = harness.now
    harness.outbox.dispatcher.run_due()
    first = harness.row(row["id"])
    assert (first["state"], first["tries"], first["last_status"]) == ("pending", 1, status)
    assert first["due_at"] == start + 2.0  # the first delay
    assert harness.outbox.dispatcher.run_due() == 0  # not yet due
    harness.now = first["due_at"]
    harness.outbox.dispatcher.run_due()
    second = harness.row(row["id"])
    assert second["tries"] == 2
    assert second["due_at"] == first["due_at"] + 4.0  # doubled
    harness.now = second["due_at"]
    harness.outbox.dispatcher.run_due()
    assert harness.row(row["id"])["state"] == "delivered"
    assert callback_posts() == 3


@responses.activate
def test_network_errors_are_retried(harness) -> None:
    responses.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    responses.post(URL, body=requests.ConnectionError("connection refused"))
    responses.post(URL, json="OK")
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    failed_once = harness.row(row["id"])
    assert failed_once["state"] == "pending"
    assert "connection refused" in failed_once["last_error"]
    harness.now = failed_once["due_at"]
    harness.outbox.dispatcher.run_due()
    assert harness.row(row["id"])["state"] == "delivered"


@pytest.mark.parametrize("status", [400, 404, 412])
@responses.activate
def test_other_client_errors_fail_visibly_and_can_be_retried(harness, status) -> None:
    lms_answers(status, 200)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    failed = harness.row(row["id"])
    assert (failed["state"], failed["last_status"]) == ("failed", status)
    assert '"no"' in failed["last_body"]
    harness.now += 3600
    assert harness.outbox.dispatcher.run_due() == 0  # failed stays failed
    assert harness.outbox.retry(row["id"])["state"] == "pending"
    harness.outbox.dispatcher.run_due()
    assert harness.row(row["id"])["state"] == "delivered"
    assert callback_posts() == 2


@responses.activate
def test_retries_end_when_the_retry_window_is_over(harness) -> None:
    harness.settings = WITH_CREDENTIALS.replace(callback_retry_seconds=3)
    lms_answers(503, 503, 503)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()  # try 1; next in 2 s: inside the window
    assert harness.row(row["id"])["state"] == "pending"
    harness.now += 2
    harness.outbox.dispatcher.run_due()  # try 2; the next would be 4 s later: past the window
    given_up = harness.row(row["id"])
    assert (given_up["state"], given_up["tries"]) == ("failed", 2)
    assert "gave up after 2 tries" in given_up["last_error"]


@responses.activate
def test_without_credentials_callbacks_are_held_then_sent_once_they_are_set(harness) -> None:
    harness.settings = Settings(lms_url=LMS)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    assert row["state"] == "held"
    assert harness.outbox.dispatcher.run_due() == 0
    assert harness.outbox.dispatcher.release_held() == 0  # still no credentials
    assert len(responses.calls) == 0
    lms_answers(200)
    harness.settings = WITH_CREDENTIALS
    assert harness.outbox.dispatcher.release_held() == 1
    harness.outbox.dispatcher.run_due()
    assert harness.row(row["id"])["state"] == "delivered"


@responses.activate
def test_credentials_taken_away_hold_what_is_pending(harness) -> None:
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.settings = Settings(lms_url=LMS)
    assert harness.outbox.dispatcher.run_due() == 0
    assert harness.row(row["id"])["state"] == "held"
    assert len(responses.calls) == 0


@responses.activate
def test_refused_credentials_hold_the_callback_until_new_ones_come(harness) -> None:
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    held = harness.row(row["id"])
    assert (held["state"], held["last_status"]) == ("held", 401)
    assert "lms_client_secret" in held["last_error"]
    assert "lms-secret" not in held["last_error"].replace("lms_client_secret", "")


@responses.activate
def test_retry_refuses_what_is_delivered_or_unknown(harness) -> None:
    lms_answers(200)
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    with pytest.raises(ProviderError) as conflict:
        harness.outbox.retry(row["id"])
    assert conflict.value.status == 409
    with pytest.raises(ProviderError) as missing:
        harness.outbox.retry(9999)
    assert missing.value.status == 404


def test_reschedule_touches_only_what_has_not_gone(harness) -> None:
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 60)
    assert harness.outbox.reschedule(row["id"], {"status": "violation"}, 0, "decision")
    changed = harness.row(row["id"])
    assert (changed["payload"], changed["source"]) == ({"status": "violation"}, "decision")
    assert changed["due_at"] == harness.now
    harness.store.callbacks.update_callback(row["id"], state="sending")
    assert not harness.outbox.reschedule(row["id"], REVIEW, 0, "decision")


def test_a_row_caught_mid_send_goes_again_after_a_restart(tmp_path) -> None:
    first = Harness(tmp_path, WITH_CREDENTIALS)
    row = first.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    first.store.callbacks.update_callback(row["id"], state="sending")  # the process died here
    first.store.close()
    second = Harness(tmp_path, WITH_CREDENTIALS)
    second.outbox.dispatcher.recover()
    assert second.row(row["id"])["state"] == "pending"
    second.store.close()


@responses.activate
def test_prepare_may_compose_the_payload_just_before_sending(tmp_path) -> None:
    lms_answers(200)
    harness = Harness(tmp_path, WITH_CREDENTIALS)
    harness.bodies.compose = lambda row: {**row["payload"], "status": "suspicious"}
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    assert harness.row(row["id"])["payload"]["status"] == "suspicious"
    sent = [c.request.body for c in responses.calls if c.request.url == URL]
    assert b'"suspicious"' in sent[0]
    harness.store.close()


@responses.activate
def test_a_callback_that_cannot_be_composed_fails_visibly_and_is_not_sent(tmp_path) -> None:
    lms_answers(200)
    harness = Harness(tmp_path, WITH_CREDENTIALS)

    def broken(row: dict) -> dict:
        raise RuntimeError("the attempt vanished")

    harness.bodies.compose = broken
    row = harness.outbox.enqueue("reviewed", "a1", URL, {}, 0)
    harness.outbox.dispatcher.run_due()
    failed = harness.row(row["id"])
    assert failed["state"] == "failed"
    assert "could not compose" in failed["last_error"]
    assert callback_posts() == 0  # no empty review reaches the LMS
    harness.store.close()


@responses.activate
def test_the_dispatcher_thread_wakes_when_a_callback_is_queued(harness) -> None:
    lms_answers(200, 200)
    harness.outbox.dispatcher.clock = time.time
    harness.outbox.dispatcher.start()
    # Nothing is due, so the dispatcher sleeps; queueing must wake it, not a poll.
    first = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    wait_for(lambda: harness.row(first["id"])["state"] == "delivered", timeout=5)
    second = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    wait_for(lambda: harness.row(second["id"])["state"] == "delivered", timeout=5)
    harness.outbox.dispatcher.stop()
    assert callback_posts() == 2


@responses.activate
def test_a_redirected_callback_fails_with_its_reason_and_is_not_delivered(harness) -> None:
    responses.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    responses.post(URL, status=307, headers={"Location": "http://other-host.test/reviewed"})
    elsewhere = responses.post("http://other-host.test/reviewed", json="OK")
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.run_due()
    failed = harness.row(row["id"])
    assert failed["state"] == "failed" and failed["delivered_at"] is None
    assert "redirect" in failed["last_error"] and "other-host.test" in failed["last_error"]
    assert elsewhere.call_count == 0 and harness.delivered == []


def test_a_callback_whose_send_raises_goes_back_to_pending_with_the_reason(harness) -> None:
    class Exploding:
        def post(self, *args: object) -> None:
            raise RuntimeError("the sender hit a bug")

    harness.outbox.dispatcher.lms = Exploding()
    row = harness.outbox.enqueue("reviewed", "a1", URL, REVIEW, 0)
    harness.outbox.dispatcher.start()
    wait_for(lambda: harness.row(row["id"])["tries"])
    after = harness.row(row["id"])
    assert after["state"] == "pending"  # not stuck in `sending` until a restart
    assert "RuntimeError" in after["last_error"] and after["tries"] == 1
