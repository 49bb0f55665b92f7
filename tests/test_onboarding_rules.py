"""Onboarding status, the onboarding gate and language choice: plain functions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mockprock.onboarding import gate_refusal, onboarding_status
from mockprock.proctoring_config import pick_language

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
