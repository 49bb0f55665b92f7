"""The simulation's rules, as plain functions: no Flask, no SQL.

Everything here takes values and returns values, so the rules are tested without a
server or a store (the way moto keeps its models apart from its HTTP layer).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

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
