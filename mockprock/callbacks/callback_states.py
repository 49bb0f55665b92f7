"""Every change of a callback's state, in one module: queued, rescheduled or retried (the
outbox), claimed, finished and moved in bulk (the dispatcher). Each change is guarded in
SQL by the states it may start from, and lands on the attempt's timeline.

States: ``pending`` (waiting for its due time, or the next try after a failure),
``held`` (no LMS credentials, or the LMS refused them: sent once credentials are set),
``sending`` (claimed by the dispatcher right now; back to ``pending`` after a crash),
``delivered`` (the LMS answered 2xx) and ``failed`` (the LMS answered another 4xx,
retries ran out, or the callback's origin is not an allowed LMS origin; retryable by
hand). The retry rules are plain functions here too. No Flask here.
"""

from __future__ import annotations

import logging
from typing import Any

from mockprock.config import Settings
from mockprock.statuses import (
    CALLBACK_DELIVERED,
    CALLBACK_FAILED,
    CALLBACK_HELD,
    CALLBACK_PENDING,
    CALLBACK_SENDING,
    EVENT_CALLBACK,
)
from mockprock.store import Store

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
# A failed try is never due again at its own instant: on a manual clock that instant lasts
# until the test moves the clock, so a zero backoff would retry without end.
MIN_RETRY_SECONDS = 0.001
# A live callback is going or gone; a waiting one has not gone out and may be hurried.
LIVE = (CALLBACK_PENDING, CALLBACK_HELD, CALLBACK_SENDING, CALLBACK_DELIVERED)
WAITING = (CALLBACK_PENDING, CALLBACK_HELD, CALLBACK_FAILED)


# -- the rules, as plain functions ------------------------------------------------------


def retry_delay(tries: int, first_delay: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """How long to wait after ``tries`` failed tries: ``first_delay``, doubling, capped."""
    if tries < 1:
        return 0.0
    return min(cap, first_delay * 2 ** min(tries - 1, 32))


def answer_outcome(status: int) -> str:
    """What an LMS answer means for the callback: ``delivered``, ``retry`` or ``failed``."""
    if 200 <= status < 300:
        return CALLBACK_DELIVERED
    if status == 429 or status >= 500:
        return "retry"
    return CALLBACK_FAILED


def out_of_time(first_try_at: float, now: float, next_delay: float, retry_seconds: float) -> bool:
    """True when the next try would fall past the retry window opened by the first try."""
    return now + next_delay - first_try_at > retry_seconds


# -- the changes ------------------------------------------------------------------------


def event(
    store: Store, attempt_id: str, callback_id: int, kind: str, state: str, **detail: Any
) -> None:
    """A callback's change of state, on its attempt's timeline."""
    store.attempts.add_event(
        attempt_id,
        EVENT_CALLBACK,
        {"callback_id": callback_id, "kind": kind, "state": state, **detail},
    )


def queue(
    store: Store,
    kind: str,
    attempt_id: str,
    url: str,
    payload: dict[str, Any],
    state: str,
    due_at: float,
    source: str,
    refusal: str | None,
    delay_seconds: float,
) -> int:
    """A new callback in ``state`` (``failed`` with ``refusal`` when it may not go)."""
    callback_id = store.callbacks.insert_callback(
        kind, attempt_id, url, payload, state, due_at, source
    )
    if refusal:
        store.callbacks.update_callback(callback_id, last_error=refusal)
        event(store, attempt_id, callback_id, kind, state, error=refusal)
    else:
        event(store, attempt_id, callback_id, kind, state, delay_seconds=delay_seconds)
    return callback_id


def requeue(store: Store, row: dict[str, Any], state: str, due_at: float, **fields: Any) -> bool:
    """A callback that has not gone out (waiting) goes again at ``due_at`` with a fresh
    retry window; False when it is being sent or already went."""
    return store.callbacks.update_callback(
        row["id"], only_if_state=WAITING, state=state, due_at=due_at, first_try_at=None, **fields
    )


def claim(store: Store, callback_id: int, state: str) -> bool:
    """A due callback taken by the dispatcher (``sending``, or ``held`` without
    credentials); False when a request thread changed it since it was read."""
    return store.callbacks.update_callback(
        callback_id, only_if_state=(CALLBACK_PENDING,), state=state
    )


def move_all(store: Store, from_state: str, to_state: str) -> int:
    """Every callback in ``from_state`` to ``to_state`` (credentials came or went, a
    restart); how many moved."""
    return store.callbacks.move_callbacks(from_state, to_state)


def set_payload(store: Store, callback_id: int, payload: dict[str, Any]) -> None:
    """The body a callback goes with, composed as it goes."""
    store.callbacks.update_callback(callback_id, payload=payload)


def finish(
    store: Store,
    row: dict[str, Any],
    state: str,
    tries: int,
    first_try_at: float,
    status: int | None,
    body: str | None,
    error: str | None,
    now: float,
    due_at: float | None = None,
) -> None:
    """The outcome of a try of a claimed (``sending``) callback."""
    fields: dict[str, Any] = {
        "state": state,
        "tries": tries,
        "first_try_at": first_try_at,
        "last_status": status,
        "last_body": body,
        "last_error": error,
    }
    if due_at is not None:
        fields["due_at"] = due_at
    if state == CALLBACK_DELIVERED:
        fields["delivered_at"] = now
    with store.database.transaction():
        # Only our own claim is updated: a reset or a deleted attempt wins.
        if store.callbacks.update_callback(row["id"], only_if_state=(CALLBACK_SENDING,), **fields):
            detail: dict[str, Any] = {"status": status}
            if state == CALLBACK_FAILED and error:
                detail["error"] = error
            event(store, row["attempt_id"], row["id"], row["kind"], state, **detail)
    level = logging.INFO if state == CALLBACK_DELIVERED else logging.WARNING
    log.log(
        level,
        "callback %s (%s for attempt %s): %s%s",
        row["id"],
        row["kind"],
        row["attempt_id"],
        state,
        f" ({error})" if error else f" ({status})",
    )


def failed_try(
    store: Store,
    row: dict[str, Any],
    tries: int,
    first_try_at: float,
    status: int | None,
    body: str | None,
    error: str,
    settings: Settings,
    now: float,
) -> None:
    """A try that may be retried: ``pending`` after the backoff, or ``failed`` once the
    next try would fall past the retry window."""
    delay = retry_delay(tries, settings.callback_backoff_seconds)
    if out_of_time(first_try_at, now, delay, settings.callback_retry_seconds):
        error = f"{error}; gave up after {tries} tries over {now - first_try_at:.0f}s"
        finish(store, row, CALLBACK_FAILED, tries, first_try_at, status, body, error, now)
        return
    due_at = now + max(delay, MIN_RETRY_SECONDS)
    finish(store, row, CALLBACK_PENDING, tries, first_try_at, status, body, error, now, due_at)
