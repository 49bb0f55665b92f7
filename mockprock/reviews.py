"""Review verdicts: which one an attempt gets, the ``reviewed`` callback's body, and the
decisions a developer queues. Plain Python.

The verdict, first match wins: a decision queued for the attempt (console, control API,
CLI) → a ``+keyword`` in the learner's email or name (``learner+violation@...``) → what
the desktop session saw, when ``verdict_from_session`` is on → the server default.
The review is queued at submission with an empty body and composed once, when the
outbox sends it, so what the session saw and the current settings count.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from mockprock import desktop, statuses, trust
from mockprock.config import Settings
from mockprock.outbox import Outbox
from mockprock.store import Store

log = logging.getLogger(__name__)

REVIEWED = statuses.REVIEWED
CALLBACK_PATH = "/api/edx_proctoring/v1/proctored_exam/attempt/{attempt_id}/{kind}"
# A keyword in the learner's email or name picks the verdict, so one LMS user per branch
# makes every branch reachable without touching the server (learner+violation@...).
KEYWORD_VERDICTS = {f"+{status}": status for status in statuses.REVIEW_STATUSES}
NOT_COMPOSED: dict[str, Any] = {}  # a review's body until it is sent


def callback_url(attempt: dict[str, Any], kind: str, settings: Settings) -> str:
    """Where the LMS takes a callback: the origin of the ``lms_host`` the attempt
    registered with, plus the callback path (never a path or query of ``lms_host``).
    The outbox refuses it unless that origin is an allowed LMS origin."""
    base = trust.callback_base(attempt.get("lms_host"), settings)
    return base + CALLBACK_PATH.format(attempt_id=attempt["id"], kind=kind)


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
        return statuses.SUSPICIOUS, "session"
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


def session_seconds(events: list[dict[str, Any]], now: float) -> float:
    """From the attempt's start to its submission (or ``now``), per its timeline."""
    started = ended = None
    for event in events:
        status = event["detail"].get("status") if event["kind"] == "status" else None
        if status == statuses.STARTED and started is None:
            started = event["at"]
        elif status == statuses.SUBMITTED:
            ended = event["at"]
    if started is None:
        return 0.0
    return max(0.0, (ended or now) - started)


def compose(
    store: Store, settings: Settings, attempt: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The ``reviewed`` callback's body for an attempt, from its decision (if any), the
    learner, what its session saw and the current settings."""
    decision = store.callbacks.get_review_decision(attempt["id"])
    findings = desktop.session_findings(store, attempt["id"], settings.ping_interval_seconds)
    verdict, decided_by = choose_verdict(
        decision["status"] if decision else None,
        attempt.get("email"),
        attempt.get("full_name"),
        settings.default_review_status,
        findings,
        settings.verdict_from_session,
    )
    comments = review_comments(
        verdict,
        decided_by,
        decision["comments"] if decision else [],
        findings,
        session_seconds(store.attempts.list_events(attempt["id"]), now.timestamp()),
    )
    payload: dict[str, Any] = {"status": verdict, "comments": comments}
    # Only when given: a reviewer makes the LMS reject at once, with no second review.
    if decision and decision.get("reviewed_by"):
        payload["reviewed_by"] = decision["reviewed_by"]
    return payload


def compose_for_sending(
    store: Store, settings: Settings, row: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """The outbox's ``prepare`` hook: a review's body, composed as it goes out."""
    if row["kind"] != REVIEWED or row["payload"] != NOT_COMPOSED:
        return None  # composed once: a retry sends what the LMS was first sent
    attempt = store.attempts.get_attempt(row["attempt_id"])
    return compose(store, settings, attempt, now) if attempt else None


def shown(store: Store, settings: Settings, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A callback as the control API shows it: a review not composed yet shows the body
    it would carry if it went now."""
    if row["kind"] == REVIEWED and row["payload"] == NOT_COMPOSED:
        return {**row, "payload": compose_for_sending(store, settings, row, now) or {}}
    return row


def schedule(
    store: Store, outbox: Outbox, settings: Settings, attempt: dict[str, Any]
) -> dict[str, Any] | None:
    """Queue the review of a submitted attempt, once: after a queued decision's delay or
    after ``review_delay_seconds``. None when one is already queued or sent."""
    if outbox.has_live(attempt["id"], REVIEWED):
        return None
    decision = store.callbacks.get_review_decision(attempt["id"])
    open_decision = decision if decision and decision["callback_id"] is None else None
    delay = settings.review_delay_seconds
    if open_decision and open_decision["delay_seconds"] is not None:
        delay = open_decision["delay_seconds"]
    row = outbox.enqueue(
        REVIEWED,
        attempt["id"],
        callback_url(attempt, REVIEWED, settings),
        NOT_COMPOSED,
        delay,
        source="decision" if open_decision else "auto",
    )
    if open_decision:
        store.callbacks.link_review_decision(attempt["id"], row["id"])
    return row


def queue_decision(
    store: Store,
    outbox: Outbox,
    settings: Settings,
    attempt: dict[str, Any],
    decision: dict[str, Any],
) -> dict[str, Any]:
    """Queue a verdict for an attempt. Before submission it waits for it; after, it goes
    after ``delay_seconds`` (default 0) and replaces a review not yet sent. One decision
    sends one review."""
    attempt_id = attempt["id"]
    row = None
    with store.database.transaction(on_commit=outbox.wake):
        store.callbacks.save_review_decision(
            attempt_id,
            decision["status"],
            decision["comments"],
            decision["reviewed_by"] or None,
            decision["delay_seconds"],
            decision["source"],
        )
        if attempt["status"] not in statuses.BEFORE_SUBMISSION:
            row = _send_decision(store, outbox, settings, attempt, decision["delay_seconds"] or 0)
        store.attempts.add_event(
            attempt_id, "decision", {"status": decision["status"], "source": decision["source"]}
        )
    log.info(
        "verdict %s queued for attempt %s (%s)", decision["status"], attempt_id, decision["source"]
    )
    return {
        "attempt_id": attempt_id,
        "decision": store.callbacks.get_review_decision(attempt_id),
        "callback": row,
        "sends": "at submission" if row is None else "now",
    }


def _send_decision(
    store: Store, outbox: Outbox, settings: Settings, attempt: dict[str, Any], delay: float
) -> dict[str, Any]:
    waiting = outbox.waiting(attempt["id"], REVIEWED)
    if waiting and outbox.reschedule(waiting["id"], NOT_COMPOSED, float(delay), "decision"):
        row = store.callbacks.get_callback(waiting["id"])
    else:
        row = outbox.enqueue(
            REVIEWED,
            attempt["id"],
            callback_url(attempt, REVIEWED, settings),
            NOT_COMPOSED,
            float(delay),
            source="decision",
        )
    store.callbacks.link_review_decision(attempt["id"], row["id"])  # type: ignore[index]
    return row  # type: ignore[return-value]
