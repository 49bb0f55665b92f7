"""Callbacks end to end: a real server calling the LMS stand-in back over loopback.

Each test starts its own processes on free ports (zero delays, short backoff) and walks
the LMS's side of the flow; the stand-in answers as edx-proctoring's views do.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, ServerProcess, wait_for

pytestmark = pytest.mark.live

FAST = ("--review-delay", "0", "--ready-delay", "0", "--callback-backoff-seconds", "0.2")
PRACTICE_EXAM = {
    **EXAM,
    "id": 2,
    "content_id": "block-v1:edX+DemoX+Demo_Course+type@sequential+block@onboarding",
    "exam_name": "Onboarding",
    "is_practice_exam": True,
}


class Flow:
    """The LMS's side: it registers attempts with the provider and keeps its own rows."""

    def __init__(self, server: ServerProcess, lms_url: str) -> None:
        self.lms_url = lms_url
        self.server_url = server.url
        self.provider = ProviderClient(server.url, "abcd", "abcdsecret")
        self.control = ControlClient(server.url, "abcd", "abcdsecret")
        self.lms = LmsStubClient(lms_url)
        self.exam_id = self.provider.save_exam(EXAM)

    def register(self, exam_id: str | None = None, lms: bool = True, **attempt: Any) -> dict:
        answer = self.provider.register_attempt(
            exam_id or self.exam_id, {**ATTEMPT, "lms_host": self.lms_url, **attempt}
        )
        if lms and "id" in answer:
            self.lms.add_attempt(
                answer["id"], is_sample_attempt=attempt.get("is_sample_attempt", False)
            )
        return answer

    def attempt(self, lms: bool = True, **attempt: Any) -> str:
        return self.register(lms=lms, **attempt)["id"]

    def download(self, attempt_id: str, exam_id: str | None = None) -> None:
        url = self.provider.get_attempt(exam_id or self.exam_id, attempt_id)["download_url"]
        assert requests.get(url, timeout=10).status_code == 200

    def take(self, attempt_id: str, exam_id: str | None = None, lms: bool = True) -> None:
        for status in ("started", "submitted"):
            if lms:
                self.lms.set_status(attempt_id, status)
            self.provider.set_attempt_status(exam_id or self.exam_id, attempt_id, status)

    def reviewed(self, attempt_id: str) -> dict:
        """The LMS's attempt once a review reached it."""

        def review() -> dict | None:
            attempt = self.lms.attempt(attempt_id)
            return attempt if attempt["reviews"] else None

        return wait_for(review, what=f"a review of {attempt_id}")

    def outbox(self, attempt_id: str) -> list[dict]:
        return self.control.callbacks(attempt=attempt_id)

    def delivered(self, attempt_id: str, kind: str) -> list[dict]:
        return [c for c in self.lms.callbacks(kind, attempt_id) if c["answer_status"] == 200]


@pytest.fixture
def flow(start_mockprock, start_lms_stub):
    """A server with LMS credentials and zero delays, and the LMS stand-in it calls."""

    def start(*args: str) -> Flow:
        stub = start_lms_stub()
        server = start_mockprock(*LMS_CLIENT, "-l", stub.url, *FAST, *args)
        return Flow(server, stub.url)

    return start


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_download_page_makes_the_lms_attempt_ready(flow) -> None:
    f = flow()
    attempt_id = f.attempt()
    f.download(attempt_id)
    wait_for(lambda: f.lms.attempt(attempt_id)["status"] == "ready_to_start", what="ready")
    f.download(attempt_id)  # opened again: no second callback
    (ready,) = f.lms.callbacks("ready", attempt_id)
    assert (ready["json"], ready["answer_status"]) == ({"status": "ready"}, 200)
    (row,) = f.outbox(attempt_id)
    assert (row["state"], row["last_status"], row["last_body"]) == ("delivered", 200, '"OK"')


def test_a_failed_ready_is_not_queued_again_by_a_visit_only_by_hand(flow) -> None:
    f = flow()
    attempt_id = f.attempt(lms=False)  # unknown to the LMS: it answers 404, the ready fails
    f.download(attempt_id)
    wait_for(lambda: f.outbox(attempt_id)[0]["state"] == "failed", what="a failed ready")
    f.download(attempt_id)  # a later visit and a desktop start queue nothing new
    started = requests.post(f"{f.server_url}/desktop/start?attempt={attempt_id}", timeout=10)
    assert started.status_code == 200
    (row,) = f.outbox(attempt_id)
    assert (row["kind"], row["state"]) == ("ready", "failed")
    f.lms.add_attempt(attempt_id)
    assert f.control.ready(attempt_id)["id"] == row["id"]  # by hand: the same row goes again
    wait_for(lambda: f.outbox(attempt_id)[0]["state"] == "delivered", what="the ready by hand")
    assert len(f.outbox(attempt_id)) == 1
    assert [c["answer_status"] for c in f.lms.callbacks("ready", attempt_id)] == [404, 200]


def test_each_verdict_moves_the_lms_attempt_as_edx_proctoring_does(flow) -> None:
    f = flow()
    expected = {
        "passed": "verified",
        "violation": "second_review_required",
        "suspicious": "second_review_required",
        "not_reviewed": "error",
    }
    attempts = {}
    for verdict in expected:
        attempts[verdict] = f.attempt()
        f.control.review(attempts[verdict], verdict, comments=[f"queued {verdict}"])
        f.take(attempts[verdict])
    for verdict, outcome in expected.items():
        attempt = f.reviewed(attempts[verdict])
        (review,) = attempt["reviews"]
        assert review["status"] == verdict
        assert review["comments"] == [
            {"comment": f"queued {verdict}", "status": verdict, "start": 0, "stop": 0}
        ]
        assert "reviewed_by" not in review
        assert attempt["status"] == outcome, verdict


def test_the_keyword_in_the_learners_email_decides(flow) -> None:
    f = flow()
    attempt_id = f.attempt(email="learner+not_reviewed@example.com")
    f.take(attempt_id)
    attempt = f.reviewed(attempt_id)
    assert attempt["reviews"][0]["status"] == "not_reviewed"
    assert attempt["status"] == "error"
    assert "keyword" in attempt["reviews"][0]["comments"][0]["comment"]


def test_the_default_verdict_passes_a_submitted_attempt(flow) -> None:
    f = flow()
    attempt_id = f.attempt()
    f.take(attempt_id)
    attempt = f.reviewed(attempt_id)
    assert (attempt["reviews"][0]["status"], attempt["status"]) == ("passed", "verified")


def test_a_verdict_queued_after_submission_is_the_one_review(flow) -> None:
    f = flow("--review-delay", "3600")  # the automatic review would wait an hour
    attempt_id = f.attempt()
    f.take(attempt_id)
    (automatic,) = f.outbox(attempt_id)
    assert automatic["state"] == "pending"
    f.control.review(attempt_id, "violation", reviewed_by="staff@example.com")
    attempt = f.reviewed(attempt_id)
    assert attempt["reviews"][0]["status"] == "violation"
    assert attempt["reviews"][0]["reviewed_by"] == "staff@example.com"
    assert attempt["status"] == "rejected"  # a named reviewer: no second review
    (row,) = f.outbox(attempt_id)  # the automatic review was replaced, not sent too
    assert (row["id"], row["state"], row["source"]) == (automatic["id"], "delivered", "decision")
    assert len(f.lms.callbacks("reviewed", attempt_id)) == 1


def test_the_gate_opens_when_onboarding_passes(flow) -> None:
    f = flow("--onboarding", "required")
    assert f.register() == {"status": "onboarding_missing"}
    practice_id = f.provider.save_exam(PRACTICE_EXAM)
    onboarding_id = f.attempt(exam_id=practice_id, is_sample_attempt=True)
    f.take(onboarding_id, exam_id=practice_id)
    assert f.reviewed(onboarding_id)["status"] == "verified"

    def approved() -> bool:
        status = f.provider.onboarding_statuses(EXAM["course_id"], user_id=ATTEMPT["user_id"])
        return status["status"] == "approved-in-course"

    wait_for(approved, what="an approved onboarding profile")
    assert f.register()["status"] == "created"


def test_a_failed_onboarding_keeps_the_gate_closed(flow) -> None:
    f = flow("--onboarding", "required")
    practice_id = f.provider.save_exam(PRACTICE_EXAM)
    learner = {"user_id": "rejected-learner", "email": "bo+violation@example.com"}
    onboarding_id = f.attempt(exam_id=practice_id, is_sample_attempt=True, **learner)
    f.take(onboarding_id, exam_id=practice_id)
    assert f.reviewed(onboarding_id)["status"] == "rejected"  # onboarding: at once
    wait_for(lambda: f.register(**learner) == {"status": "onboarding_failed"}, what="refusal")


def test_callbacks_wait_for_an_lms_that_is_down_then_all_arrive_once(
    start_mockprock, start_lms_stub
) -> None:
    port = free_port()
    lms_url = f"http://127.0.0.1:{port}"
    server = start_mockprock(*LMS_CLIENT, "-l", lms_url, *FAST)
    f = Flow(server, lms_url)
    attempts = [f.attempt(lms=False, user_id=f"learner-{n}") for n in range(3)]
    for attempt_id in attempts:
        f.download(attempt_id)
        f.take(attempt_id, lms=False)

    def retried() -> bool:
        rows = f.control.callbacks()
        return len(rows) == 6 and all(r["tries"] >= 2 and r["state"] == "pending" for r in rows)

    wait_for(retried, what="every callback tried twice against the absent LMS")
    assert all("failed" in row["last_error"] for row in f.control.callbacks())

    # The LMS comes back knowing the attempts, as the real one would: hold the callbacks
    # (no credentials) until the stand-in has them, else a retry landing between its
    # start and the registrations is refused for good (404/400), as a real LMS refuses.
    f.control.change_settings(lms_client_secret="")
    wait_for(
        lambda: all(r["state"] == "held" for r in f.control.callbacks()),
        what="every callback held without credentials",
    )
    stub = start_lms_stub("--port", str(port))
    assert stub.url == lms_url
    for attempt_id in attempts:
        f.lms.add_attempt(attempt_id, status="submitted")
    f.control.change_settings(lms_client_secret=LMS_CLIENT[1])
    wait_for(
        lambda: all(r["state"] == "delivered" for r in f.control.callbacks()),
        timeout=30,
        what="every callback delivered once the LMS is back",
    )
    for attempt_id in attempts:
        assert len(f.delivered(attempt_id, "ready")) == 1
        assert len(f.delivered(attempt_id, "reviewed")) == 1
        assert f.lms.attempt(attempt_id)["status"] == "verified"
    assert len(f.lms.callbacks()) == 6  # nothing was sent twice


def test_pending_callbacks_survive_a_server_restart(
    start_mockprock, start_lms_stub, tmp_path
) -> None:
    stub = start_lms_stub()
    db = tmp_path / "restart.sqlite"
    args = (*LMS_CLIENT, "-l", stub.url, *FAST)
    server = start_mockprock(*args, db=db)
    f = Flow(server, stub.url)
    f.lms.set_fault(503)  # the LMS answers but fails, so the review stays pending
    attempt_id = f.attempt()
    f.take(attempt_id)
    wait_for(
        lambda: any(r["last_status"] == 503 for r in f.outbox(attempt_id)),
        what="a failed try",
    )
    assert server.stop() == 0
    assert "mockprock stopped" in server.output()
    before = f.lms.callbacks("reviewed", attempt_id)
    assert before and {c["answer_status"] for c in before} == {503}  # none got through
    f.lms.set_fault(None)

    restarted = start_mockprock(*args, db=db)
    f.control = ControlClient(restarted.url, "abcd", "abcdsecret")
    attempt = f.reviewed(attempt_id)
    assert attempt["status"] == "verified"
    assert len(f.delivered(attempt_id, "reviewed")) == 1
    (after,) = f.outbox(attempt_id)
    assert after["state"] == "delivered"
    assert after["tries"] >= 2


def test_held_without_credentials_then_sent_once_they_are_set(
    start_mockprock, start_lms_stub
) -> None:
    stub = start_lms_stub()
    server = start_mockprock("-l", stub.url, *FAST)
    assert "No LMS credentials" in server.output()
    f = Flow(server, stub.url)
    attempt_id = f.attempt()
    f.download(attempt_id)
    f.take(attempt_id)
    wait_for(lambda: len(f.outbox(attempt_id)) == 2, what="two queued callbacks")
    assert {row["state"] for row in f.outbox(attempt_id)} == {"held"}
    assert f.lms.callbacks() == []

    f.control.change_settings(lms_client_id=LMS_CLIENT[0], lms_client_secret=LMS_CLIENT[1])
    assert f.reviewed(attempt_id)["status"] == "verified"
    wait_for(lambda: {r["state"] for r in f.outbox(attempt_id)} == {"delivered"}, what="sent")
    assert len(f.delivered(attempt_id, "ready")) == 1
    assert len(f.delivered(attempt_id, "reviewed")) == 1
    server.stop()
    assert LMS_CLIENT[1] not in server.output()


def test_an_expired_token_gets_one_new_one(flow) -> None:
    f = flow()
    first = f.attempt()
    f.download(first)
    wait_for(lambda: f.delivered(first, "ready"), what="ready")
    tokens = f.lms.token_requests()
    assert f.lms.revoke_tokens() >= 1  # the server's token is now refused with a 403
    second = f.attempt(user_id="another-learner")
    f.download(second)
    wait_for(lambda: f.delivered(second, "ready"), what="ready with a new token")
    answers = [c["answer_status"] for c in f.lms.callbacks("ready", second)]
    assert answers == [403, 200]
    assert f.lms.token_requests() == tokens + 1


def test_an_attempt_the_lms_does_not_know_fails_visibly_and_can_be_retried(flow) -> None:
    f = flow()
    attempt_id = f.attempt(lms=False)
    f.download(attempt_id)
    wait_for(lambda: f.outbox(attempt_id)[0]["state"] == "failed", what="a failed callback")
    (failed,) = f.outbox(attempt_id)
    assert failed["last_status"] == 404
    assert "not valid" in failed["last_body"]
    assert failed["tries"] == 1  # a 404 is not retried by itself

    f.lms.add_attempt(attempt_id)
    f.control.retry(failed["id"])
    wait_for(lambda: f.outbox(attempt_id)[0]["state"] == "delivered", what="delivered")
    assert f.lms.attempt(attempt_id)["status"] == "ready_to_start"
