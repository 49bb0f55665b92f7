"""The outbox: callbacks to the LMS are rows, queued here and sent when due.

A callback is queued as a row with a due time; the outbox's dispatcher
(:class:`mockprock.callbacks.dispatcher.Dispatcher`, ``outbox.dispatcher``) sends it, never a
request thread, so a slow or absent LMS holds nothing up and a restart loses nothing.
Every change of a callback's state (what the states mean) is in ``callback_states``.

The rules never look at these states: they ask the outbox (:meth:`Outbox.has_live`,
:meth:`Outbox.has_any`, :meth:`Outbox.waiting`). The dispatcher is woken once a change
commits (``store.database.transaction(on_commit=outbox.dispatcher.wake)``), never
before. No Flask here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from mockprock.callbacks import callback_states
from mockprock.callbacks.callback_states import LIVE, WAITING
from mockprock.callbacks.dispatcher import Bodies, ClientSettings, Dispatcher
from mockprock.callbacks.lms import LmsClient
from mockprock.config import Settings
from mockprock.errors import ProviderError, found
from mockprock.statuses import (
    CALLBACK_BY_RULE,
    CALLBACK_DELIVERED,
    CALLBACK_FAILED,
    CALLBACK_HELD,
    CALLBACK_PENDING,
    CALLBACK_SENDING,
)
from mockprock.store import Store
from mockprock.trust import callback_refusal

log = logging.getLogger(__name__)

# How long :meth:`Outbox.send_due_now` waits for the tries it asked for (each is bounded by
# the LMS client's timeout); one still going then is reported as such, never lost.
SEND_DUE_WAIT_SECONDS = 20.0


class Outbox:
    """Queues callbacks and answers the rules' questions about them; its dispatcher sends
    them."""

    def __init__(
        self,
        store: Store,
        settings: Callable[[], Settings],
        lms: LmsClient | None = None,
        bodies: Bodies | None = None,
        guests: ClientSettings | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.dispatcher = Dispatcher(store, settings, lms, bodies, guests, clock)

    # -- queueing (any thread) -----------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        attempt_id: str,
        url: str,
        payload: dict[str, Any],
        delay_seconds: float,
        source: str = CALLBACK_BY_RULE,
    ) -> dict[str, Any]:
        """Queue one callback, due in ``delay_seconds``; ``held`` without credentials. The
        dispatcher is woken when the outermost transaction commits. A callback to an
        origin that is not an allowed LMS origin is ``failed`` at once, never sent."""
        refusal = callback_refusal(url, self.dispatcher.settings_for(attempt_id))
        state = (
            CALLBACK_FAILED
            if refusal
            else CALLBACK_PENDING
            if self.dispatcher.credentials(attempt_id)
            else CALLBACK_HELD
        )
        due_at = self.dispatcher.clock() + delay_seconds
        with self.store.database.transaction(on_commit=self.dispatcher.wake):
            callback_id = callback_states.queue(
                self.store,
                kind,
                attempt_id,
                url,
                payload,
                state,
                due_at,
                source,
                refusal,
                delay_seconds,
            )
        if refusal:
            log.warning(
                "callback %s (%s for attempt %s): failed (%s)",
                callback_id,
                kind,
                attempt_id,
                refusal,
            )
            return self.store.callbacks.get_callback(callback_id)  # type: ignore[return-value]
        log.info(
            "callback %s (%s for attempt %s) queued, due in %.1fs%s",
            callback_id,
            kind,
            attempt_id,
            delay_seconds,
            "" if state == CALLBACK_PENDING else ", held until the server has LMS credentials",
        )
        return self.store.callbacks.get_callback(callback_id)  # type: ignore[return-value]

    def reschedule(
        self, callback_id: int, payload: dict[str, Any], delay_seconds: float, source: str
    ) -> bool:
        """Give a callback that has not gone out yet a new payload and due time; False when
        it is being sent or already went (then queue a new one instead)."""
        row = self.store.callbacks.get_callback(callback_id)
        credentials = (
            self.dispatcher.credentials(row["attempt_id"]) if row else self.dispatcher.credentials()
        )
        if row is None:
            return False
        with self.store.database.transaction(on_commit=self.dispatcher.wake):
            return callback_states.requeue(
                self.store,
                row,
                CALLBACK_PENDING if credentials else CALLBACK_HELD,
                self.dispatcher.clock() + delay_seconds,
                payload=payload,
                source=source,
            )

    def retry(self, callback_id: int) -> dict[str, Any]:
        """Send a callback again now (failed, held or waiting); a fresh retry window."""
        row = found(self.store.callbacks.get_callback(callback_id), "callback", str(callback_id))
        if row["state"] in (CALLBACK_SENDING, CALLBACK_DELIVERED):
            raise ProviderError(
                409, "conflict", f"callback {callback_id} is {row['state']}; nothing to retry"
            )
        state = (
            CALLBACK_PENDING if self.dispatcher.credentials(row["attempt_id"]) else CALLBACK_HELD
        )
        with self.store.database.transaction(on_commit=self.dispatcher.wake):
            changed = callback_states.requeue(self.store, row, state, self.dispatcher.clock())
            if changed:
                callback_states.event(
                    self.store, row["attempt_id"], callback_id, row["kind"], state, retried=True
                )
        if not changed:
            raise ProviderError(409, "conflict", f"callback {callback_id} is being sent")
        return self.store.callbacks.get_callback(callback_id)  # type: ignore[return-value]

    def send_due_now(self, wait_seconds: float = SEND_DUE_WAIT_SECONDS) -> dict[int, int]:
        """Try every callback due now once before answering (a manual clock just moved):
        the dispatcher thread sends them while this thread waits (real time, at most
        ``wait_seconds``), or this thread does when no dispatcher runs (an app not
        serving). The callbacks that were due: their tries before, by id."""
        dispatcher = self.dispatcher
        now = dispatcher.clock()
        before = {row["id"]: row["tries"] for row in self.store.callbacks.due_callbacks(now, -1)}

        def settled() -> bool:
            """No callback that was due still waits for its try."""
            rows = self.store.callbacks.where_callbacks_stand(list(before))
            return not any(
                row["state"] == CALLBACK_SENDING
                or (
                    row["state"] == CALLBACK_PENDING
                    and row["tries"] == before[row["id"]]
                    and row["due_at"] <= now
                )
                for row in rows.values()
            )

        if not before:
            return before
        if not dispatcher.running:
            while not settled() and dispatcher.run_due():
                pass
            return before
        deadline = time.monotonic() + wait_seconds  # real time: the clock may stand still
        dispatcher.wake()
        with dispatcher.tried:
            while not settled() and time.monotonic() < deadline:
                # Woken after each try; a callback held for want of credentials is no
                # try, so the outbox is also read again now and then.
                dispatcher.tried.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        return before

    # -- what the rules may ask --------------------------------------------------------

    def has_live(self, attempt_id: str, kind: str) -> bool:
        """True when a ``kind`` callback for the attempt is queued, going or delivered."""
        return bool(self.store.callbacks.list_callbacks(attempt_id, kind, LIVE, limit=1))

    def has_any(self, attempt_id: str, kind: str) -> bool:
        """True when a ``kind`` callback was ever queued for the attempt (failed ones too)."""
        return bool(self.store.callbacks.list_callbacks(attempt_id, kind, limit=1))

    def waiting(self, attempt_id: str, kind: str) -> dict[str, Any] | None:
        """The newest ``kind`` callback of the attempt that has not gone out (pending, held
        or failed), which a request may hurry or replace; None when there is none."""
        rows = self.store.callbacks.list_callbacks(attempt_id, kind, WAITING, limit=1)
        return rows[-1] if rows else None

    def hurry(self, attempt_id: str, kind: str) -> dict[str, Any] | None:
        """Send the waiting ``kind`` callback now (see :meth:`retry`); None if none waits."""
        row = self.waiting(attempt_id, kind)
        return self.retry(row["id"]) if row else None
