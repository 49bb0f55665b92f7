"""Attempts: registration behind the onboarding gate, status changes, the ``ready``
callback, deletion and retirement. Plain Python over the store and the outbox."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from mockprock import proctoring_config, statuses
from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.errors import ProviderError, found, not_found
from mockprock.provider import desktop, exams, onboarding, reviews
from mockprock.provider.callback_bodies import READY_BODY, callback_url
from mockprock.store import Store

log = logging.getLogger(__name__)


def view(attempt: dict[str, Any]) -> dict[str, Any]:
    """An attempt as the APIs show it: without the LMS's raw request."""
    return {k: v for k, v in attempt.items() if k != "payload"}


def get(
    store: Store, attempt_id: str, exam_id: str | None = None, client_id: str | None = None
) -> dict[str, Any]:
    """The attempt (of ``exam_id``, of an exam of ``client_id``, when given), or a 404:
    another client's attempt is as unknown as one that does not exist."""
    return found(store.attempts.get_attempt(attempt_id, exam_id, client_id), "attempt", attempt_id)


def register(
    store: Store,
    exam: dict[str, Any],
    attempt: dict[str, Any],
    payload: dict[str, Any],
    onboarding_mode: str,
    now: datetime,
) -> dict[str, Any]:
    """Register an attempt, or answer the ``onboarding_*`` status that refuses it."""
    profile_status = onboarding.status_of(
        store, exam["client_id"], attempt["user_id"], exam["course_id"], now
    )
    refusal = onboarding.gate_refusal(
        onboarding_mode, exam, attempt["is_sample_attempt"], profile_status
    )
    if refusal:
        log.info("attempt of %s on exam %s refused: %s", attempt["user_id"], exam["id"], refusal)
        return {"status": refusal}
    attempt_id = store.attempts.create_attempt(exam["id"], attempt, payload)
    log.info("attempt %s registered on exam %s", attempt_id, exam["id"])
    return {"id": attempt_id, "status": statuses.CREATED}


def for_lms(
    store: Store,
    client_id: str,
    exam_id: str,
    attempt_id: str,
    accept_language: str | None,
    base_url: str,
) -> dict[str, Any]:
    """The attempt as the LMS reads it: with instructions, the download link, the rules."""
    attempt = get(store, attempt_id, exam_id, client_id)
    exam = store.exams.get_exam(exam_id) or {}
    query = urlencode({"attempt": attempt_id, "exam": exam_id})
    return {
        **view(attempt),
        "instructions": proctoring_config.instructions(accept_language),
        "download_url": f"{base_url}/download?{query}",
        "rules": exam.get("rules", {}),
    }


def set_status(
    store: Store,
    outbox: Outbox,
    settings: Settings,
    client_id: str,
    exam_id: str,
    attempt_id: str,
    status: str,
    now: datetime,
) -> dict[str, Any]:
    """Move an attempt to ``status``. The first submission leaves an onboarding profile
    pending and queues the review; the dispatcher is woken once, after the commit. The
    attempt is read inside the transaction: of two submissions at once, only the first
    sees it unsubmitted and runs the post-submission rules. A completed attempt never
    goes back to an incomplete status (409, as edx-proctoring's own rule)."""
    with store.database.transaction(on_commit=outbox.dispatcher.wake):
        attempt = get(store, attempt_id, exam_id, client_id)
        if not statuses.may_follow(attempt["status"], status):
            raise ProviderError(
                409,
                "illegal_transition",
                f"attempt {attempt_id} is {attempt['status']}, which is completed: it cannot "
                f"go back to {status} (a new attempt can)",
            )
        store.attempts.set_attempt_status(attempt_id, status)
        if status == statuses.SUBMITTED and attempt["status"] != statuses.SUBMITTED:
            exam = store.exams.get_exam(attempt["exam_id"]) or {}
            onboarding.after_submission(store, exam, attempt, now)
            reviews.schedule(store, outbox, settings, attempt)
    log.info("attempt %s is now %s", attempt_id, status)
    return {"id": attempt_id, "status": status}


def delete(store: Store, client_id: str, exam_id: str, attempt_id: str) -> dict[str, str]:
    get(store, attempt_id, exam_id, client_id)
    store.attempts.delete_attempt(attempt_id)
    log.info("attempt %s deleted", attempt_id)
    return {"status": "deleted"}


def retire_user(store: Store, client_id: str, user_id: str) -> bool:
    """Remove what the client holds about a learner (another client's stays)."""
    removed = store.delete_user(client_id, user_id)
    log.info("user %s retired (%s)", user_id, "data removed" if removed else "nothing held")
    return removed


# -- the ready callback -------------------------------------------------------------------


def queue_ready(
    store: Store, outbox: Outbox, settings: Settings, attempt_id: str, delay: float | None = None
) -> bool:
    """Queue the ``ready`` callback automatically (download page, desktop start), after
    ``ready_delay_seconds`` by default. At most once per attempt: False when one was ever
    queued, even if it failed (only a retry by hand sends a failed one again)."""
    if outbox.has_any(attempt_id, statuses.READY):
        return False  # the usual case after the first: answered without the write lock
    attempt = get(store, attempt_id)
    with store.database.transaction():
        if outbox.has_any(attempt_id, statuses.READY):  # again, holding the lock
            return False
        outbox.enqueue(
            statuses.READY,
            attempt_id,
            callback_url(attempt, statuses.READY, settings),
            READY_BODY,
            settings.ready_delay_seconds if delay is None else delay,
        )
    return True


def send_ready_now(
    store: Store, outbox: Outbox, settings: Settings, client_id: str, attempt_id: str
) -> dict[str, Any]:
    """The ``ready`` callback by hand, now: a waiting or failed one is hurried, else a
    new one goes."""
    attempt = get(store, attempt_id, client_id=client_id)
    hurried = outbox.hurry(attempt_id, statuses.READY)
    if hurried is not None:
        return hurried
    return outbox.enqueue(
        statuses.READY,
        attempt_id,
        callback_url(attempt, statuses.READY, settings),
        READY_BODY,
        0.0,
        source=statuses.CALLBACK_BY_CONTROL,
    )


def detail(
    store: Store, client_id: str, attempt_id: str, callbacks: list[dict[str, Any]]
) -> dict[str, Any]:
    """An attempt with its timeline: what happened, the callbacks and their answers,
    the LMS's requests about it and its desktop application (state, heartbeats)."""
    attempt = get(store, attempt_id, client_id=client_id)
    exam = store.exams.get_exam(attempt["exam_id"])
    return {
        **view(attempt),
        "exam": exams.view(exam) if exam else None,
        "decision": store.callbacks.get_review_decision(attempt_id),
        "callbacks": callbacks,
        "timeline": store.attempts.list_events(attempt_id)
        + desktop.upload_events(store, attempt_id),
        "requests": store.journal.journal_mentioning(attempt_id, client_id),
        "desktop": desktop.session_view(store, attempt_id),
    }


def dashboard(store: Store, client_id: str, claims: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The instructor dashboard's view and context for link claims the client signed: an
    attempt, an exam's configuration, an exam, or the whole course, of that client only
    (404 for an exam or attempt it does not hold)."""
    context: dict[str, Any] = {
        "claims": claims,
        "course_id": claims["course_id"],
        "user": claims.get("user") or {},
    }
    if not claims.get("exam_id"):
        context["exams"] = exams.course_overview(store, client_id, claims["course_id"])
        return statuses.DASHBOARD_COURSE, context
    exam = exams.get(store, claims["exam_id"], client_id)
    if exam["course_id"] != claims["course_id"]:
        raise not_found("exam", claims["exam_id"])  # links stay inside the token's course
    context["exam"] = exams.view(exam)
    if claims.get("attempt_id"):
        attempt = get(store, claims["attempt_id"], exam["id"])
        context.update(attempt=view(attempt), events=store.attempts.list_events(attempt["id"]))
        return statuses.DASHBOARD_ATTEMPT, context
    if claims.get("config"):
        return statuses.DASHBOARD_CONFIG, context
    context["attempts"] = [view(a) for a in store.attempts.list_attempts(exam_id=exam["id"])]
    return statuses.DASHBOARD_EXAM, context


def listing(
    store: Store,
    client_id: str,
    limit: int | None,
    offset: int,
    newest: bool,
    id_prefix: str | None,
) -> list[dict[str, Any]]:
    """The control API's list: the client's attempts oldest first, or ``newest`` first
    with their exam's name; those whose id starts with ``id_prefix``; a page of them
    with ``limit``. Read in SQL: a store of a million attempts is never all in memory."""
    if newest:
        rows, _ = store.attempts.newest_page(
            client_id,
            limit=-1 if limit is None else limit,
            offset=offset,
            id_prefix=id_prefix,
            counted=False,
        )
    else:
        rows = store.attempts.list_attempts(
            client_id=client_id, limit=limit, offset=offset if limit else 0, id_prefix=id_prefix
        )
    return [view(a) for a in rows]


def page(
    store: Store,
    client_id: str,
    status: str | None,
    text: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """One page of the client's attempts, newest first, each with its exam's name;
    ``status`` keeps one status, ``text`` those whose learner, exam or id holds it (any
    case). Filtered, counted and paged in SQL: the console never reads every attempt."""
    offset = min((page - 1) * page_size, 2**62)
    rows, total = store.attempts.newest_page(client_id, status, text, page_size, offset)
    pages = max(1, -(-total // page_size))
    if page > pages:  # past the last page: the last page, as the console always showed
        offset = (pages - 1) * page_size
        rows, total = store.attempts.newest_page(client_id, status, text, page_size, offset)
    return {
        "attempts": [view(a) for a in rows],
        "page": min(page, pages),
        "pages": pages,
        "total": total,
        "status": status,
        "text": text,
    }
