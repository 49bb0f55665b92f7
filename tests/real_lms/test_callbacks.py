"""mockprock's callbacks against the real edx-proctoring views, end to end: the newest 6.1 in
`.venv`, 5.2.0 under the Open edX platform's pins in `.venv-platform` (the views are the same).

Each test starts a mockprock server (zero delays) that calls the real LMS back with the
LMS's OAuth application, drives the exam through edx_proctoring's own api as the LMS's
views do, and asserts on what the real LMS recorded: the attempt's status and its review.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test.utils import override_settings
from edx_proctoring import api

from tests.helpers import wait_for
from tests.lms_django import jwt_auth
from tests.real_lms.conftest import Flow, RealLms

# edx_proctoring's SoftwareSecureReviewStatus, by mockprock verdict.
REVIEW_STATUS = {
    "passed": "Clean",
    "violation": "Rules Violation",
    "suspicious": "Suspicious",
    "not_reviewed": "Not Reviewed",
}


def test_exam_and_attempt_reach_mockprock_and_ready_moves_created_to_ready_to_start(
    flow: Flow,
) -> None:
    exam = flow.exam()
    assert exam["external_id"], "saving the exam saved it to mockprock"
    learner = flow.learner()
    attempt = flow.register(exam, learner)
    assert attempt["status"] == "created"
    registered = flow.control.attempt(attempt["external_id"])
    assert registered["exam"]["external_id"] == exam["external_id"]
    # The LMS's credit service gave the learner's profile; lms_host is this LMS.
    assert registered["email"] == learner.email
    assert registered["full_name"] == learner.get_full_name()
    assert registered["lms_host"] == flow.lms.url
    assert flow.callbacks(attempt) == [], "nothing is sent before the learner shows up"

    flow.open_download_page(attempt)
    flow.wait_status(attempt, "ready_to_start")
    ready = flow.delivered(attempt, "ready")
    assert ready["last_status"] == 200 and ready["last_body"] == '"OK"'
    assert flow.review(attempt) is None


@pytest.mark.parametrize(
    ("verdict", "lms_status"),
    [
        ("passed", "verified"),
        ("violation", "second_review_required"),
        ("suspicious", "second_review_required"),
        ("not_reviewed", "error"),
    ],
)
def test_each_verdict_moves_the_attempt_as_the_real_lms_decides(
    flow: Flow, verdict: str, lms_status: str
) -> None:
    exam = flow.exam()
    attempt = flow.register(exam, flow.learner(email=f"learner+{verdict}@example.com"))
    flow.take(attempt)
    flow.wait_status(attempt, lms_status)

    review = flow.review(attempt)
    assert review.review_status == REVIEW_STATUS[verdict]
    assert review.reviewed_by is None
    [comment] = flow.comments(attempt)
    assert comment.status == verdict and "keyword" in comment.comment
    reviewed = flow.delivered(attempt, "reviewed")
    assert reviewed["payload"]["status"] == verdict
    assert reviewed["last_status"] == 200


def test_a_verified_attempt_satisfies_the_credit_requirement_and_mails_the_learner(
    flow: Flow,
) -> None:
    exam = flow.exam()
    learner = flow.learner()
    attempt = flow.register(exam, learner)
    mail.outbox = []
    flow.take(attempt)
    flow.wait_status(attempt, "verified")
    credit = flow.lms.services["credit"]
    assert credit.requirements[(learner.id, exam["course_id"], exam["content_id"])] == "satisfied"
    subjects = [m.subject for m in mail.outbox if m.to == [learner.email]]
    assert "Proctoring attempt verified" in subjects


def test_a_verdict_queued_through_the_control_api_wins_over_the_learner_keyword(
    flow: Flow,
) -> None:
    exam = flow.exam()
    attempt = flow.register(exam, flow.learner(email="learner+violation@example.com"))
    queued = flow.control.review(
        attempt["external_id"],
        "passed",
        comments=[{"comment": "Looked fine to the developer", "status": "passed"}],
    )
    assert queued["sends"] == "at submission"
    flow.take(attempt)
    flow.wait_status(attempt, "verified")
    assert flow.review(attempt).review_status == "Clean"
    [comment] = flow.comments(attempt)
    assert comment.comment == "Looked fine to the developer"
    assert flow.delivered(attempt, "reviewed")["source"] == "decision"


def test_a_verdict_from_a_named_lms_reviewer_rejects_at_once(flow: Flow) -> None:
    """``reviewed_by`` naming an LMS user: no second review, the attempt is rejected."""
    reviewer = flow.learner(email=f"course-reviewer-{flow.backend}@lms.example")
    reviewer.is_staff = True
    reviewer.save()
    exam = flow.exam()
    attempt = flow.register(exam, flow.learner())
    flow.control.review(attempt["external_id"], "violation", reviewed_by=reviewer.email)
    flow.take(attempt)
    flow.wait_status(attempt, "rejected")
    assert flow.review(attempt).reviewed_by == reviewer


def test_an_onboarding_attempt_with_a_violation_is_rejected_without_second_review(
    flow: Flow,
) -> None:
    onboarding = flow.exam(practice=True)
    learner = flow.learner(email="learner+violation@example.com")
    attempt = flow.register(onboarding, learner)
    registered = flow.control.attempt(attempt["external_id"])
    assert registered["is_sample_attempt"] is True
    flow.take(attempt)
    flow.wait_status(attempt, "rejected")
    assert flow.review(attempt).review_status == "Rules Violation"

    # mockprock's side: the learner's onboarding profile follows the verdict, once the
    # LMS has answered the callback (the LMS acts on it before mockprock hears the 200).
    def profile_status() -> str:
        profile = flow.control.call("GET", f"/users/{registered['user_id']}/onboarding")
        return profile["profile"]["status"]

    wait_for(lambda: profile_status() != "pending", what="the profile to follow the review")
    assert profile_status() == "rejected"


def test_an_onboarding_attempt_that_passed_is_verified(flow: Flow) -> None:
    onboarding = flow.exam(practice=True)
    attempt = flow.register(onboarding, flow.learner())
    flow.take(attempt)
    flow.wait_status(attempt, "verified")
    assert flow.review(attempt).review_status == "Clean"


def test_the_onboarding_gate_opens_once_the_onboarding_exam_passed(
    connect: Callable[..., Flow],
) -> None:
    """With onboarding required, the real LMS records the refusal as the attempt's status;
    submitting the onboarding exam deletes that attempt, and after its review the learner
    registers."""
    flow = connect("--onboarding", "required")
    exam, onboarding = flow.exam(), flow.exam(practice=True)
    learner = flow.learner()
    refused = flow.register(exam, learner)
    assert refused["status"] == "onboarding_missing"
    assert refused["external_id"] is None

    attempt = flow.register(onboarding, learner)
    flow.take(attempt)
    assert api.get_exam_attempt_by_id(refused["id"]) is None, "the LMS cleared the refusal"
    flow.wait_status(attempt, "verified")
    user_id = flow.control.attempt(attempt["external_id"])["user_id"]
    wait_for(
        lambda: (
            flow.control.call("GET", f"/users/{user_id}/onboarding")["status"]
            == "approved-in-course"
        ),
        what="the onboarding profile approved",
    )
    admitted = flow.register(exam, learner)
    assert admitted["status"] == "created"
    assert admitted["external_id"]


def test_a_token_the_lms_no_longer_accepts_gets_403_and_mockprock_fetches_a_new_one(
    flow: Flow,
) -> None:
    """The LMS re-keyed its JWTs (a restart with a new secret) after mockprock cached a
    token: the real callback view answers 403, mockprock fetches a new token once and the
    review lands."""
    exam = flow.exam()
    attempt = flow.register(exam, flow.learner())
    flow.open_download_page(attempt)
    flow.wait_status(attempt, "ready_to_start")
    assert flow.tokens_issued() == 1
    flow.start(attempt)
    with override_settings(JWT_AUTH=jwt_auth("a-new-lms-jwt-secret-after-the-lms-restarted")):
        flow.submit(attempt)
        flow.wait_status(attempt, "verified")
    assert flow.tokens_issued() == 2
    reviewed = flow.delivered(attempt, "reviewed")
    assert reviewed["tries"] == 1, "the 403 and the second send are one try"


@pytest.mark.parametrize("staff", [True, False], ids=["staff", "no-role"])
def test_only_a_staff_or_reviewer_user_may_send_reviews(
    real_lms: RealLms, connect: Callable[..., Flow], lms_backend: str, staff: bool
) -> None:
    """``ready`` takes any authenticated user; ``reviewed`` needs staff or the group
    ``<backend>_review`` (edx_proctoring.rules), else 403 even with a fresh token."""
    client = real_lms.application(
        f"provider-{'staff' if staff else 'plain'}-{lms_backend}", staff=staff
    )
    flow = connect(client=client)
    exam = flow.exam()
    attempt = flow.register(exam, flow.learner())
    flow.open_download_page(attempt)
    flow.wait_status(attempt, "ready_to_start")
    flow.start(attempt)
    flow.submit(attempt)
    if staff:
        flow.wait_status(attempt, "verified")
        return
    [row] = wait_for(
        lambda: [r for r in flow.callbacks(attempt, "reviewed") if r["state"] == "failed"],
        what="the refused review",
    )
    assert row["last_status"] == 403
    assert flow.tokens_issued() == 2, "one new token before the 403 counted"
    assert flow.status(attempt) == "submitted"
    assert flow.review(attempt) is None
