"""Review callbacks: the ``reviewed`` callback of a submitted attempt, queued once, and
the decisions a developer queues (console, control API, CLI). Plain Python over the store
and the outbox; how the verdict is composed is ``verdicts``.

The review is queued at submission with an empty body and composed once, when the
outbox sends it (``callback_bodies``), so what the session saw and the current settings
count.
"""

from __future__ import annotations

import logging
from typing import Any

from mockprock import statuses
from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.provider import scenarios
from mockprock.provider.callback_bodies import NOT_COMPOSED, callback_url
from mockprock.store import Store

log = logging.getLogger(__name__)


def schedule(
    store: Store, outbox: Outbox, settings: Settings, attempt: dict[str, Any]
) -> dict[str, Any] | None:
    """Queue the review of a submitted attempt, once: after a queued decision's delay,
    the scenario's ``review_delay_seconds`` or the setting's. None when one is already
    queued or sent."""
    if outbox.has_live(attempt["id"], statuses.REVIEWED):
        return None
    decision = store.callbacks.get_review_decision(attempt["id"])
    open_decision = decision if decision and decision["callback_id"] is None else None
    # The delay: a queued decision's, else the client's scenario's, else the setting.
    planned = scenarios.then_for(store, attempt).review_delay_seconds
    delay = settings.review_delay_seconds if planned is None else planned
    if open_decision and open_decision["delay_seconds"] is not None:
        delay = open_decision["delay_seconds"]
    row = outbox.enqueue(
        statuses.REVIEWED,
        attempt["id"],
        callback_url(attempt, statuses.REVIEWED, settings),
        NOT_COMPOSED,
        delay,
        source=statuses.CALLBACK_BY_DECISION if open_decision else statuses.CALLBACK_BY_RULE,
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
    with store.database.transaction(on_commit=outbox.dispatcher.wake):
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
            attempt_id,
            statuses.EVENT_DECISION,
            {"status": decision["status"], "source": decision["source"]},
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
    waiting = outbox.waiting(attempt["id"], statuses.REVIEWED)
    if waiting and outbox.reschedule(
        waiting["id"], NOT_COMPOSED, float(delay), statuses.CALLBACK_BY_DECISION
    ):
        row = store.callbacks.get_callback(waiting["id"])
    else:
        row = outbox.enqueue(
            statuses.REVIEWED,
            attempt["id"],
            callback_url(attempt, statuses.REVIEWED, settings),
            NOT_COMPOSED,
            float(delay),
            source=statuses.CALLBACK_BY_DECISION,
        )
    store.callbacks.link_review_decision(attempt["id"], row["id"])  # type: ignore[index]
    return row  # type: ignore[return-value]
