"""The verdict, onboarding-profile and callback-retry rules, without a server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockprock import onboarding, payloads, verdicts
from mockprock.callback_states import MAX_BACKOFF_SECONDS, answer_outcome, out_of_time, retry_delay
from mockprock.errors import ProviderError
from mockprock.statuses import CALLBACK_DELIVERED, CALLBACK_FAILED

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
COURSE = "course-v1:edX+DemoX+Demo_Course"
FINDING = {"comment": "No heartbeat for 200 s", "status": "suspicious", "start": 60, "stop": 260}


# -- verdicts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "name", "expected"),
    [
        ("learner+violation@example.com", "Ada", "violation"),
        ("learner+suspicious@example.com", None, "suspicious"),
        ("learner+NOT_REVIEWED@example.com", "", "not_reviewed"),
        ("learner+passed@example.com", "Ada +violation", "passed"),  # the email first
        ("learner@example.com", "Ada +suspicious", "suspicious"),
        (None, None, None),
        ("learner@example.com", "Ada Lovelace", None),
        ("learner+violations-team@example.com", None, "violation"),
        ("learnerviolation@example.com", None, None),  # the plus sign is the keyword
    ],
)
def test_keyword_verdict(email, name, expected) -> None:
    assert verdicts.keyword_verdict(email, name) == expected


def test_a_queued_decision_wins_over_everything() -> None:
    verdict = verdicts.choose_verdict(
        "not_reviewed", "a+violation@example.com", "A", "suspicious", [FINDING], True
    )
    assert verdict == ("not_reviewed", "decision")


def test_a_keyword_wins_over_the_session_and_the_default() -> None:
    verdict = verdicts.choose_verdict(
        None, "a+passed@example.com", "A", "violation", [FINDING], True
    )
    assert verdict == ("passed", "keyword")


def test_session_findings_make_the_default_suspicious_only_when_switched_on() -> None:
    on = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [FINDING], True)
    off = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [FINDING], False)
    clean = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [], True)
    assert on == ("suspicious", "session")
    assert off == ("passed", "default")
    assert clean == ("passed", "default")


def test_the_default_verdict_is_the_servers() -> None:
    assert verdicts.choose_verdict(None, None, None, "violation", [], False) == (
        "violation",
        "default",
    )


def test_review_comments_prefer_the_decision_then_the_session() -> None:
    given = [{"comment": "Phone in view", "status": "violation", "start": 5, "stop": 9}]
    assert verdicts.review_comments("violation", "decision", given, [FINDING], 600) == given
    assert verdicts.review_comments("suspicious", "session", [], [FINDING], 600) == [FINDING]


def test_without_comments_the_review_gets_a_summary_the_lms_can_store() -> None:
    (summary,) = verdicts.review_comments("passed", "keyword", [], [], 612.4)
    assert summary["status"] == "passed"
    assert "keyword" in summary["comment"]
    assert (summary["start"], summary["stop"]) == (0, 612)


def test_decision_comments_completes_strings_and_objects() -> None:
    comments = payloads.comments(
        ["Looked away", {"comment": "Phone", "status": "warning", "start": 3, "stop": 4.5}],
        "violation",
    )
    assert comments == [
        {"comment": "Looked away", "status": "violation", "start": 0, "stop": 0},
        {"comment": "Phone", "status": "warning", "start": 3, "stop": 4.5},
    ]
    assert payloads.comments(None, "passed") == []


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [{"status": "ok"}],
        [42],
        [{"comment": "x", "status": 3}],
        [{"comment": "x", "start": -1}],
        [{"comment": "x", "stop": "late"}],
        [{"comment": "x", "start": True}],
    ],
)
def test_decision_comments_refuses_what_the_lms_could_not_store(bad) -> None:
    with pytest.raises(ProviderError) as refused:
        payloads.decision({"status": "passed", "comments": bad})
    assert refused.value.status == 400


# -- onboarding profiles --------------------------------------------------------------


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


# -- callback retries ------------------------------------------------------------------


def test_backoff_doubles_from_the_first_delay_and_is_capped_near_a_minute() -> None:
    delays = [retry_delay(tries, 1.0) for tries in range(1, 10)]
    assert delays[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert delays[6:] == [MAX_BACKOFF_SECONDS] * 3
    assert MAX_BACKOFF_SECONDS == 60.0
    assert retry_delay(1000, 1.0) == MAX_BACKOFF_SECONDS  # no overflow
    assert retry_delay(3, 0.25) == 1.0


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, CALLBACK_DELIVERED),
        (204, CALLBACK_DELIVERED),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
        (400, CALLBACK_FAILED),
        (403, CALLBACK_FAILED),  # after the one retry with a new token
        (404, CALLBACK_FAILED),
        (412, CALLBACK_FAILED),
        (301, CALLBACK_FAILED),
    ],
)
def test_answer_outcome(status, outcome) -> None:
    assert answer_outcome(status) == outcome


def test_retries_stop_when_the_next_try_would_pass_the_window() -> None:
    assert not out_of_time(first_try_at=0, now=100, next_delay=60, retry_seconds=86400)
    assert out_of_time(first_try_at=0, now=86350, next_delay=60, retry_seconds=86400)
    assert not out_of_time(first_try_at=0, now=86340, next_delay=60, retry_seconds=86400)
