"""Onboarding status, the onboarding gate, the profile a review or a setting leaves, and
language choice: plain functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockprock.proctoring_config import pick_language
from mockprock.provider import onboarding
from mockprock.provider.onboarding import gate_refusal, onboarding_status

NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)
COURSE = "course-v1:edX+DemoX+Demo_Course"


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (None, "no-profile"),
        (
            {"status": "approved", "course_id": COURSE, "expiration_date": None},
            "approved-in-course",
        ),
        ({"status": "approved", "course_id": "course-v1:O+X+Y"}, "approved-in-different-course"),
        (
            {
                "status": "approved",
                "course_id": COURSE,
                "expiration_date": "2026-11-25T00:00:00+00:00",
            },
            "expired",
        ),
        (
            {"status": "approved", "course_id": COURSE, "expiration_date": "2027-01-01T00:00:00"},
            "approved-in-course",
        ),
        ({"status": "rejected"}, "rejected"),
        ({"status": "pending"}, "pending"),
        ({"status": "expired"}, "expired"),
    ],
)
def test_onboarding_status(profile, expected):
    assert onboarding_status(profile, COURSE, NOW) == expected


PROCTORED = {"is_proctored": True, "is_practice_exam": False}


@pytest.mark.parametrize(
    ("mode", "exam", "sample", "status", "refusal"),
    [
        ("required", PROCTORED, False, "no-profile", "onboarding_missing"),
        ("required", PROCTORED, False, "pending", "onboarding_pending"),
        ("required", PROCTORED, False, "rejected", "onboarding_failed"),
        ("required", PROCTORED, False, "expired", "onboarding_expired"),
        ("required", PROCTORED, False, "approved-in-course", None),
        ("required", PROCTORED, False, "approved-in-different-course", None),
        ("required", PROCTORED, True, "no-profile", None),
        ("required", {"is_proctored": True, "is_practice_exam": True}, False, "no-profile", None),
        ("optional", PROCTORED, False, "no-profile", None),
    ],
)
def test_gate(mode, exam, sample, status, refusal):
    assert gate_refusal(mode, exam, sample, status) == refusal


# -- onboarding profiles -------------------------------------------------------------------


def test_onboarding_attempt_is_a_sample_attempt_on_a_practice_exam() -> None:
    practice, proctored = {"is_practice_exam": True}, {"is_practice_exam": False}
    assert onboarding.is_onboarding_attempt(practice, {"is_sample_attempt": True})
    assert not onboarding.is_onboarding_attempt(practice, {"is_sample_attempt": False})
    assert not onboarding.is_onboarding_attempt(proctored, {"is_sample_attempt": True})


def test_a_passed_onboarding_review_approves_in_the_course_for_the_valid_days() -> None:
    profile = onboarding.profile_after_verdict("passed", COURSE, NOW, 730)
    assert profile["status"] == "approved"
    assert profile["course_id"] == COURSE
    assert onboarding.parse_time(profile["expiration_date"]) == NOW + timedelta(days=730)
    assert onboarding.onboarding_status(profile, COURSE, NOW) == "approved-in-course"
    assert (
        onboarding.onboarding_status(profile, "course-v1:Other+X+Y", NOW)
        == "approved-in-different-course"
    )
    assert onboarding.onboarding_status(profile, COURSE, NOW + timedelta(days=731)) == "expired"


@pytest.mark.parametrize("verdict", ["violation", "suspicious"])
def test_a_failed_onboarding_review_rejects(verdict) -> None:
    profile = onboarding.profile_after_verdict(verdict, COURSE, NOW, 730)
    assert onboarding.onboarding_status(profile, COURSE, NOW) == "rejected"
    refusal = onboarding.gate_refusal("required", {"is_proctored": True}, False, "rejected")
    assert refusal == "onboarding_failed"


def test_not_reviewed_leaves_the_profile_alone() -> None:
    assert onboarding.profile_after_verdict("not_reviewed", COURSE, NOW, 730) is None


def test_a_submitted_onboarding_attempt_is_pending_unless_already_approved_here() -> None:
    pending = onboarding.profile_after_submission(None, COURSE, NOW)
    assert onboarding.onboarding_status(pending, COURSE, NOW) == "pending"
    approved = onboarding.profile_after_verdict("passed", COURSE, NOW, 730)
    assert onboarding.profile_after_submission(approved, COURSE, NOW) is None
    # Approved elsewhere: onboarding in this course is a new review.
    assert onboarding.profile_after_submission(approved, "course-v1:O+X+Y", NOW) is not None


@pytest.mark.parametrize(
    ("setting", "seen_as"),
    [
        ("approved", "approved-in-course"),
        ("rejected", "rejected"),
        ("pending", "pending"),
        ("expired", "expired"),
    ],
)
def test_profiles_set_by_hand_are_seen_as_the_lms_would(setting, seen_as) -> None:
    profile = onboarding.profile_from_setting(setting, COURSE, NOW, 30)
    assert onboarding.onboarding_status(profile, COURSE, NOW) == seen_as


def test_profile_none_removes_it_and_unknown_statuses_are_refused() -> None:
    assert onboarding.profile_from_setting("none", COURSE, NOW, 30) is None
    with pytest.raises(ValueError):
        onboarding.profile_from_setting("approved-ish", COURSE, NOW, 30)


# -- language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("en-us", "en"),
        ("es-419;en-us", "es"),
        ("de-de;fr", "fr"),
        ("fr;q=0.2, es;q=0.9", "es"),
        ("pt-br", "en"),
        ("es;q=abc", "es"),
    ],
)
def test_pick_language(header, language):
    assert pick_language(header, ("en", "es", "fr")) == language
