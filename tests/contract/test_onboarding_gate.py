"""The onboarding gate as the LMS meets it: with ``--onboarding required``, each state of a
learner's profile (set through the control API) refuses registration with the matching
``onboarding_*`` status, which the base class raises as BackendProviderOnboardingException."""

from __future__ import annotations

import pytest
import requests
from edx_proctoring.exceptions import BackendProviderOnboardingException
from edx_proctoring.statuses import (
    ProctoredExamStudentAttemptStatus,
    VerificientOnboardingProfileStatus,
)

from tests.contract.lms import lms_attempt_context, lms_exam, register, save_exam
from tests.helpers import ServerProcess

pytestmark = pytest.mark.live

LEARNER = lms_attempt_context()["user_id"]
COURSE_ID = lms_exam()["course_id"]


def set_profile(server: ServerProcess, status: str, course_id: str | None = None) -> None:
    body = {"status": status, **({"course_id": course_id} if course_id else {})}
    response = requests.put(
        f"{server.url}/mockprock/api/users/{LEARNER}/onboarding",
        json=body,
        auth=("abcd", "abcdsecret"),
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("profile_history", "refusal"),
    [
        ((), ProctoredExamStudentAttemptStatus.onboarding_missing),
        (("approved", "none"), ProctoredExamStudentAttemptStatus.onboarding_missing),
        (("pending",), ProctoredExamStudentAttemptStatus.onboarding_pending),
        (("rejected",), ProctoredExamStudentAttemptStatus.onboarding_failed),
        (("expired",), ProctoredExamStudentAttemptStatus.onboarding_expired),
    ],
    ids=["no-profile", "profile-removed", "pending", "rejected", "expired"],
)
def test_a_closed_gate_raises_the_lms_onboarding_exception(
    connect, profile_history, refusal
) -> None:
    server, backend = connect("--onboarding", "required")
    exam_id = save_exam(backend)
    for status in profile_history:
        set_profile(server, status)
    with pytest.raises(BackendProviderOnboardingException) as refused:
        register(backend, exam_id)
    assert refused.value.status == refusal
    assert refusal in ProctoredExamStudentAttemptStatus.onboarding_errors


def test_an_approved_learner_passes_the_gate(connect) -> None:
    server, backend = connect("--onboarding", "required")
    exam_id = save_exam(backend)
    set_profile(server, "approved", COURSE_ID)
    assert isinstance(register(backend, exam_id), str)

    profile = backend.get_onboarding_profile_info(COURSE_ID, user_id=LEARNER)
    assert profile["status"] == VerificientOnboardingProfileStatus.approved
    assert isinstance(profile["expiration_date"], str)
    approved = backend.get_onboarding_profile_info(
        COURSE_ID, status=VerificientOnboardingProfileStatus.approved
    )
    assert [r["user_id"] for r in approved["results"]] == [LEARNER]
    elsewhere = backend.get_onboarding_profile_info("course-v1:Other+X+1", user_id=LEARNER)
    assert elsewhere["status"] == VerificientOnboardingProfileStatus.other_course_approved


def test_the_onboarding_exam_itself_is_never_gated(connect) -> None:
    _, backend = connect("--onboarding", "required")
    practice_id = save_exam(
        backend,
        id=2,
        content_id=lms_exam()["content_id"] + "_onboarding",
        exam_name="Onboarding",
        is_practice_exam=True,
    )
    assert isinstance(register(backend, practice_id, is_sample_attempt=True), str)


def test_with_onboarding_optional_nobody_is_refused(connect) -> None:
    server, backend = connect()
    exam_id = save_exam(backend)
    set_profile(server, "rejected")
    assert isinstance(register(backend, exam_id), str)
