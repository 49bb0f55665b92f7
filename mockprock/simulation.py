"""The simulation's rules, as plain functions: no Flask, no SQL.

Everything here takes values and returns values, so the rules are tested without a
server or a store (the way moto keeps its models apart from its HTTP layer).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mockprock.config import REVIEW_STATUSES

# Every status edx-proctoring gives an attempt; PATCH accepts exactly these.
ATTEMPT_STATUSES = frozenset(
    {
        "eligible",
        "created",
        "download_software_clicked",
        "ready_to_start",
        "started",
        "ready_to_submit",
        "declined",
        "timed_out",
        "submitted",
        "second_review_required",
        "verified",
        "rejected",
        "error",
        "expired",
        "onboarding_reset",
        "onboarding_missing",
        "onboarding_pending",
        "onboarding_failed",
        "onboarding_expired",
    }
)

# What the onboarding statuses endpoint reports (edx-proctoring's
# VerificientOnboardingProfileStatus values).
PROFILE_NO_PROFILE = "no-profile"
PROFILE_APPROVED_IN_COURSE = "approved-in-course"
PROFILE_APPROVED_ELSEWHERE = "approved-in-different-course"
PROFILE_REJECTED = "rejected"
PROFILE_EXPIRED = "expired"
PROFILE_PENDING = "pending"
PROFILE_STATUSES = (
    PROFILE_APPROVED_IN_COURSE,
    PROFILE_APPROVED_ELSEWHERE,
    PROFILE_REJECTED,
    PROFILE_EXPIRED,
    PROFILE_PENDING,
    PROFILE_NO_PROFILE,
)

# A closed onboarding gate answers registration with one of these instead of an id.
GATE_REFUSALS = {
    PROFILE_NO_PROFILE: "onboarding_missing",
    PROFILE_PENDING: "onboarding_pending",
    PROFILE_REJECTED: "onboarding_failed",
    PROFILE_EXPIRED: "onboarding_expired",
}


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def onboarding_status(profile: dict[str, Any] | None, course_id: str, now: datetime) -> str:
    """A learner's onboarding status as seen from ``course_id`` at ``now``."""
    if profile is None:
        return PROFILE_NO_PROFILE
    status = profile["status"]
    if status == "approved":
        expires = parse_time(profile.get("expiration_date"))
        if expires is not None and expires <= now:
            return PROFILE_EXPIRED
        if profile.get("course_id") in (None, "", course_id):
            return PROFILE_APPROVED_IN_COURSE
        return PROFILE_APPROVED_ELSEWHERE
    return {
        "rejected": PROFILE_REJECTED,
        "pending": PROFILE_PENDING,
        "expired": PROFILE_EXPIRED,
    }.get(status, PROFILE_NO_PROFILE)


def gate_refusal(
    onboarding_mode: str,
    exam: dict[str, Any],
    is_sample_attempt: bool,
    profile_status: str,
) -> str | None:
    """The ``onboarding_*`` status refusing a registration, or None when it may go ahead.

    Only proctored, non-practice exams are gated, and only when onboarding is required;
    onboarding attempts themselves are how a learner opens the gate.
    """
    if onboarding_mode != "required" or is_sample_attempt:
        return None
    if exam.get("is_practice_exam") or not exam.get("is_proctored", True):
        return None
    return GATE_REFUSALS.get(profile_status)


def pick_language(accept_language: str | None, offered: tuple[str, ...]) -> str:
    """The best of ``offered`` for an Accept-Language header, else the first offered.

    edx-proctoring sends ``'<current>;<default>'`` (``es-419;en-us``), which is not the
    standard syntax, so each ``;``-separated piece that is not a ``q=`` weight counts as
    a language of the same weight, in order.
    """
    candidates: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        weight = 1.0
        for piece in pieces:
            if piece.lower().startswith("q="):
                try:
                    weight = float(piece[2:])
                except ValueError:
                    weight = 0.0
        for sub, piece in enumerate(pieces):
            if not piece.lower().startswith("q="):
                candidates.append((-weight, order * 100 + sub, piece.lower()))
    for _, _, tag in sorted(candidates):
        primary = tag.split("-")[0].split("_")[0]
        if tag in offered:
            return tag
        if primary in offered:
            return primary
    return offered[0]


# -- review verdicts ------------------------------------------------------------------

# A keyword in the learner's email or name picks the verdict, so one LMS user per branch
# makes every branch reachable without touching the server (learner+violation@...).
KEYWORD_VERDICTS = {f"+{status}": status for status in REVIEW_STATUSES}


def keyword_verdict(email: str | None, full_name: str | None) -> str | None:
    """The verdict a ``+keyword`` in the email (first) or the name asks for, if any."""
    for text in (email, full_name):
        lowered = (text or "").lower()
        for keyword, status in KEYWORD_VERDICTS.items():
            if keyword in lowered:
                return status
    return None


def choose_verdict(
    decision_status: str | None,
    email: str | None,
    full_name: str | None,
    default_status: str,
    session_findings: list[dict[str, Any]],
    verdict_from_session: bool,
) -> tuple[str, str]:
    """The review verdict and what decided it, first match wins: a queued decision
    (``"decision"``), a keyword of the learner (``"keyword"``), what the session saw when
    ``verdict_from_session`` is on (``"session"``), else the server default (``"default"``)."""
    if decision_status:
        return decision_status, "decision"
    keyword = keyword_verdict(email, full_name)
    if keyword:
        return keyword, "keyword"
    if verdict_from_session and session_findings:
        return "suspicious", "session"
    return default_status, "default"


def review_comments(
    verdict: str,
    decided_by: str,
    decision_comments: list[dict[str, Any]],
    session_findings: list[dict[str, Any]],
    session_seconds: float,
) -> list[dict[str, Any]]:
    """The review's comments: the decision's if it has any, else what the session saw,
    else one summary (the LMS stores each comment and needs ``comment`` and ``status``)."""
    if decision_comments:
        return decision_comments
    if session_findings:
        return session_findings
    reasons = {
        "decision": "a verdict queued by the developer",
        "keyword": "a keyword in the learner's email or name",
        "session": "what the proctoring session recorded",
        "default": "the server's default verdict",
    }
    return [
        {
            "comment": f"MockProck review: {verdict}, from {reasons.get(decided_by, decided_by)}.",
            "status": verdict,
            "start": 0,
            "stop": max(0, round(session_seconds)),
        }
    ]


def normalize_comments(comments: Any, verdict: str) -> list[dict[str, Any]]:
    """Comments given with a decision, completed to the shape the LMS stores.

    Each is a string or an object with ``comment`` and optional ``status``, ``start`` and
    ``stop``; ValueError says what is wrong.
    """
    if comments is None:
        return []
    if not isinstance(comments, list):
        raise ValueError("'comments' must be a list")
    out = []
    for index, item in enumerate(comments):
        if isinstance(item, str):
            item = {"comment": item}
        if not isinstance(item, dict) or not isinstance(item.get("comment"), str):
            raise ValueError(f"comment {index} must be a string or an object with 'comment'")
        status = item.get("status", verdict)
        if not isinstance(status, str):
            raise ValueError(f"comment {index}: 'status' must be a string")
        times = {}
        for name in ("start", "stop"):
            value = item.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"comment {index}: '{name}' must be a number of seconds")
            times[name] = value
        out.append({"comment": item["comment"], "status": status, **times})
    return out


# -- onboarding profiles --------------------------------------------------------------

# What the control API may set a profile to; "none" removes it.
PROFILE_SETTINGS = ("approved", "rejected", "pending", "expired", "none")


def is_onboarding_attempt(exam: dict[str, Any], attempt: dict[str, Any]) -> bool:
    """An attempt on a practice exam registered as a sample attempt opens the gate."""
    return bool(attempt.get("is_sample_attempt")) and bool(exam.get("is_practice_exam"))


def approved_until(now: datetime, valid_days: int) -> str:
    return (now + timedelta(days=valid_days)).isoformat()


def profile_after_submission(
    profile: dict[str, Any] | None, course_id: str, now: datetime
) -> dict[str, Any] | None:
    """A submitted onboarding attempt makes the profile ``pending`` until it is reviewed,
    unless the learner is already approved for this course; None means unchanged."""
    if onboarding_status(profile, course_id, now) == PROFILE_APPROVED_IN_COURSE:
        return None
    return {"status": "pending", "course_id": course_id, "expiration_date": None}


def profile_after_verdict(
    verdict: str, course_id: str, now: datetime, valid_days: int
) -> dict[str, Any] | None:
    """The profile an onboarding review leaves: passed approves it in the course for
    ``valid_days``; violation or suspicious rejects it; not_reviewed leaves it (None)."""
    if verdict == "passed":
        return {
            "status": "approved",
            "course_id": course_id,
            "expiration_date": approved_until(now, valid_days),
        }
    if verdict in ("violation", "suspicious"):
        return {"status": "rejected", "course_id": course_id, "expiration_date": None}
    return None


def profile_from_setting(
    status: str, course_id: str | None, now: datetime, valid_days: int
) -> dict[str, Any] | None:
    """The profile the control API sets (None: remove it); ValueError on a bad status."""
    if status not in PROFILE_SETTINGS:
        raise ValueError(f"onboarding status must be one of {', '.join(PROFILE_SETTINGS)}")
    if status == "none":
        return None
    expires = approved_until(now, valid_days) if status == "approved" else None
    if status == "expired":
        # An approval whose time is up, so the LMS sees the same thing a real one shows.
        return {"status": "approved", "course_id": course_id, "expiration_date": now.isoformat()}
    return {"status": status, "course_id": course_id, "expiration_date": expires}
