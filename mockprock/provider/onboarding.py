"""Onboarding profiles: what a learner's profile is, how it is seen from a course, and
how an onboarding attempt and its review change it. Plain Python.

An attempt with ``is_sample_attempt`` on a practice exam is an onboarding attempt; its
verdict sets the learner's profile (passed: approved in that course for
``onboarding_valid_days``; violation or suspicious: rejected).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from mockprock import statuses as st
from mockprock.errors import not_found
from mockprock.store import Store

log = logging.getLogger(__name__)

# A closed onboarding gate answers registration with one of these instead of an id.
GATE_REFUSALS = {
    st.ONBOARDING_NO_PROFILE: st.ONBOARDING_MISSING,
    st.ONBOARDING_PENDING: st.ONBOARDING_PENDING_ATTEMPT,
    st.ONBOARDING_REJECTED: st.ONBOARDING_FAILED,
    st.ONBOARDING_EXPIRED: st.ONBOARDING_EXPIRED_ATTEMPT,
}


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def onboarding_status(profile: dict[str, Any] | None, course_id: str, now: datetime) -> str:
    """A learner's onboarding status as seen from ``course_id`` at ``now``."""
    if profile is None:
        return st.ONBOARDING_NO_PROFILE
    status = profile["status"]
    if status == st.PROFILE_APPROVED:
        expires = parse_time(profile.get("expiration_date"))
        if expires is not None and expires <= now:
            return st.ONBOARDING_EXPIRED
        if profile.get("course_id") in (None, "", course_id):
            return st.ONBOARDING_APPROVED_IN_COURSE
        return st.ONBOARDING_APPROVED_ELSEWHERE
    return {
        st.PROFILE_REJECTED: st.ONBOARDING_REJECTED,
        st.PROFILE_PENDING: st.ONBOARDING_PENDING,
        st.PROFILE_EXPIRED: st.ONBOARDING_EXPIRED,
    }.get(status, st.ONBOARDING_NO_PROFILE)


def gate_refusal(
    onboarding_mode: str, exam: dict[str, Any], is_sample_attempt: bool, profile_status: str
) -> str | None:
    """The ``onboarding_*`` status refusing a registration, or None when it may go ahead.

    Only proctored, non-practice exams are gated, and only when onboarding is required;
    onboarding attempts themselves are how a learner opens the gate.
    """
    if onboarding_mode != st.ONBOARDING_REQUIRED or is_sample_attempt:
        return None
    if exam.get("is_practice_exam") or not exam.get("is_proctored", True):
        return None
    return GATE_REFUSALS.get(profile_status)


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
    if onboarding_status(profile, course_id, now) == st.ONBOARDING_APPROVED_IN_COURSE:
        return None
    return {"status": st.PROFILE_PENDING, "course_id": course_id, "expiration_date": None}


def profile_after_verdict(
    verdict: str, course_id: str, now: datetime, valid_days: int
) -> dict[str, Any] | None:
    """The profile an onboarding review leaves: passed approves it in the course for
    ``valid_days``; violation or suspicious rejects it; not_reviewed leaves it (None)."""
    if verdict == st.PASSED:
        return {
            "status": st.PROFILE_APPROVED,
            "course_id": course_id,
            "expiration_date": approved_until(now, valid_days),
        }
    if verdict in (st.VIOLATION, st.SUSPICIOUS):
        return {"status": st.PROFILE_REJECTED, "course_id": course_id, "expiration_date": None}
    return None


def profile_from_setting(
    status: str, course_id: str | None, now: datetime, valid_days: int
) -> dict[str, Any] | None:
    """The profile the control API sets (None: remove it); ValueError on a bad status."""
    if status not in st.PROFILE_SETTINGS:
        raise ValueError(f"onboarding status must be one of {', '.join(st.PROFILE_SETTINGS)}")
    if status == st.PROFILE_NONE:
        return None
    if status == st.PROFILE_EXPIRED:
        # An approval whose time is up, so the LMS sees the same thing a real one shows.
        return {
            "status": st.PROFILE_APPROVED,
            "course_id": course_id,
            "expiration_date": now.isoformat(),
        }
    expires = approved_until(now, valid_days) if status == st.PROFILE_APPROVED else None
    return {"status": status, "course_id": course_id, "expiration_date": expires}


# -- over the store ---------------------------------------------------------------------


def status_of(store: Store, client_id: str, user_id: str, course_id: str, now: datetime) -> str:
    """The learner's status as the client's course sees it: a profile is the client's
    (the tenant whose LMS onboarded the learner); another client's counts for nothing."""
    return onboarding_status(
        store.onboarding.get_onboarding_profile(client_id, user_id), course_id, now
    )


def learner_status(
    store: Store, client_id: str, course_id: str, user_id: str, now: datetime
) -> dict[str, Any]:
    profile = store.onboarding.get_onboarding_profile(client_id, user_id)
    return {
        "user_id": user_id,
        "status": onboarding_status(profile, course_id, now),
        "expiration_date": profile.get("expiration_date") if profile else None,
    }


def course_statuses(
    store: Store,
    client_id: str,
    course_id: str,
    wanted: list[str],
    page: int,
    page_size: int,
    page_url: str,
    now: datetime,
) -> dict[str, Any]:
    """Every learner the client knows, as seen from the course, filtered and paged (in
    SQL: a page never reads every profile)."""
    if page > 1 and (page - 1) * page_size > 2**62:
        raise not_found("page", str(page))
    results, count = store.onboarding.course_statuses(
        client_id, course_id, now.isoformat(), tuple(wanted), page_size, (page - 1) * page_size
    )
    num_pages = max(1, -(-count // page_size))
    if page > num_pages:
        raise not_found("page", str(page))

    def link(number: int) -> str | None:
        if not 1 <= number <= num_pages:
            return None
        query: dict[str, Any] = {"page": number, "page_size": page_size}
        if wanted:
            query["status"] = ",".join(wanted)
        return f"{page_url}?{urlencode(query)}"

    return {
        "results": results,
        "count": count,
        "num_pages": num_pages,
        "next": link(page + 1),
        "previous": link(page - 1),
    }


def after_submission(
    store: Store, exam: dict[str, Any], attempt: dict[str, Any], now: datetime
) -> None:
    """A submitted onboarding attempt leaves the profile pending until it is reviewed."""
    if not is_onboarding_attempt(exam, attempt):
        return
    client_id = exam["client_id"]
    profile = profile_after_submission(
        store.onboarding.get_onboarding_profile(client_id, attempt["user_id"]),
        exam.get("course_id", ""),
        now,
    )
    if profile is not None:
        store.onboarding.save_onboarding_profile(client_id, attempt["user_id"], **profile)


def after_review(
    store: Store,
    attempt_id: str,
    verdict: str,
    now: datetime,
    valid_days: int,
    planned: str | None = None,
) -> None:
    """A delivered review of an onboarding attempt sets the learner's profile: as the
    verdict says, or as ``planned`` (a scenario's ``onboarding_status``) says."""
    attempt = store.attempts.get_attempt(attempt_id)
    exam = store.exams.get_exam(attempt["exam_id"]) if attempt else None
    if not attempt or not exam or not is_onboarding_attempt(exam, attempt):
        return
    if planned is not None:
        profile = profile_from_setting(planned, exam["course_id"], now, valid_days)
    else:
        profile = profile_after_verdict(verdict, exam["course_id"], now, valid_days)
        if profile is None:
            return
    with store.database.transaction():
        if profile is None:  # the scenario's "none": no profile
            store.onboarding.delete_onboarding_profile(exam["client_id"], attempt["user_id"])
        else:
            store.onboarding.save_onboarding_profile(
                exam["client_id"], attempt["user_id"], **profile
            )
        store.attempts.add_event(
            attempt["id"], st.EVENT_ONBOARDING_PROFILE, profile or {"status": st.PROFILE_NONE}
        )
    log.info("onboarding profile of %s: %s", attempt["user_id"], planned or profile["status"])


def set_profile(
    store: Store,
    client_id: str,
    user_id: str,
    status: str,
    course_id: str | None,
    now: datetime,
    valid_days: int,
) -> dict[str, Any]:
    """Set a learner's onboarding profile with the client by hand (``none`` removes it)."""
    profile = profile_from_setting(status, course_id, now, valid_days)
    with store.database.transaction():
        if profile is None:
            store.onboarding.delete_onboarding_profile(client_id, user_id)
        else:
            store.onboarding.save_onboarding_profile(client_id, user_id, **profile)
    log.info("onboarding profile of %s with %s set to %s", user_id, client_id, status)
    return profile_view(store, client_id, user_id, now)


def profile_view(store: Store, client_id: str, user_id: str, now: datetime) -> dict[str, Any]:
    profile = store.onboarding.get_onboarding_profile(client_id, user_id)
    return {**view_of(profile, now), "user_id": user_id}


def view_of(profile: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """A profile as the control API and the console show it (seen from its own course)."""
    course_id = (profile or {}).get("course_id") or ""
    return {
        "user_id": (profile or {}).get("user_id"),
        "profile": profile,
        "status": onboarding_status(profile, course_id, now),
    }
