"""The outbox: callbacks to the LMS are rows, queued here and sent when due.

A callback is queued as a row with a due time; the dispatcher
(:class:`mockprock.dispatcher.Dispatcher`, which :class:`Outbox` extends) sends it, never
a request thread, so a slow or absent LMS holds nothing up and a restart loses nothing.
States:

``pending``   waiting for its due time (or for the next try after a failure)
``held``      no LMS credentials (or the LMS refused them): sent once credentials are set
``sending``   claimed by the dispatcher right now (back to ``pending`` after a crash)
``delivered`` the LMS answered 2xx
``failed``    the LMS answered another 4xx, or retries ran out, or the callback's
              origin is not an allowed LMS origin (never sent); retryable by hand

The rules never look at these states: they ask the outbox (:meth:`Outbox.has_live`,
:meth:`Outbox.has_any`, :meth:`Outbox.waiting`). The dispatcher is woken once a change
commits (``store.transaction(on_commit=outbox.wake)``), never before. No Flask here.
"""

from __future__ import annotations

import logging
from typing import Any

from mockprock.dispatcher import DELIVERED, FAILED, HELD, PENDING, SENDING, Dispatcher
from mockprock.errors import ProviderError, found
from mockprock.trust import callback_refusal

log = logging.getLogger(__name__)

# A live callback is going or gone; a waiting one has not gone out and may be hurried.
LIVE = (PENDING, HELD, SENDING, DELIVERED)
WAITING = (PENDING, HELD, FAILED)


class Outbox(Dispatcher):
    """Queues callbacks and answers the rules' questions about them; the dispatcher it
    extends sends them."""

    # -- queueing (any thread) -----------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        attempt_id: str,
        url: str,
        payload: dict[str, Any],
        delay_seconds: float,
        source: str = "auto",
    ) -> dict[str, Any]:
        """Queue one callback, due in ``delay_seconds``; ``held`` without credentials. The
        dispatcher is woken when the outermost transaction commits. A callback to an
        origin that is not an allowed LMS origin is ``failed`` at once, never sent."""
        refusal = callback_refusal(url, self.settings_for(attempt_id))
        state = FAILED if refusal else PENDING if self.credentials(attempt_id) else HELD
        with self.store.transaction(on_commit=self.wake):
            callback_id = self.store.insert_callback(
                kind, attempt_id, url, payload, state, self.clock() + delay_seconds, source
            )
            if refusal:
                self.store.update_callback(callback_id, last_error=refusal)
                self._event(attempt_id, callback_id, kind, state, error=refusal)
            else:
                self._event(attempt_id, callback_id, kind, state, delay_seconds=delay_seconds)
        if refusal:
            log.warning(
                "callback %s (%s for attempt %s): failed (%s)",
                callback_id,
                kind,
                attempt_id,
                refusal,
            )
            return self.store.get_callback(callback_id)  # type: ignore[return-value]
        log.info(
            "callback %s (%s for attempt %s) queued, due in %.1fs%s",
            callback_id,
            kind,
            attempt_id,
            delay_seconds,
            "" if state == PENDING else ", held until the server has LMS credentials",
        )
        return self.store.get_callback(callback_id)  # type: ignore[return-value]

    def reschedule(
        self, callback_id: int, payload: dict[str, Any], delay_seconds: float, source: str
    ) -> bool:
        """Give a callback that has not gone out yet a new payload and due time; False when
        it is being sent or already went (then queue a new one instead)."""
        row = self.store.get_callback(callback_id)
        credentials = self.credentials(row["attempt_id"]) if row else self.credentials()
        with self.store.transaction(on_commit=self.wake):
            return self.store.update_callback(
                callback_id,
                only_if_state=WAITING,
                payload=payload,
                due_at=self.clock() + delay_seconds,
                source=source,
                state=PENDING if credentials else HELD,
                first_try_at=None,
            )

    def retry(self, callback_id: int) -> dict[str, Any]:
        """Send a callback again now (failed, held or waiting); a fresh retry window."""
        row = found(self.store.get_callback(callback_id), "callback", str(callback_id))
        if row["state"] in (SENDING, DELIVERED):
            raise ProviderError(
                409, "conflict", f"callback {callback_id} is {row['state']}; nothing to retry"
            )
        state = PENDING if self.credentials(row["attempt_id"]) else HELD
        with self.store.transaction(on_commit=self.wake):
            changed = self.store.update_callback(
                callback_id,
                only_if_state=WAITING,
                state=state,
                due_at=self.clock(),
                first_try_at=None,
            )
            if changed:
                self._event(row["attempt_id"], callback_id, row["kind"], state, retried=True)
        if not changed:
            raise ProviderError(409, "conflict", f"callback {callback_id} is being sent")
        return self.store.get_callback(callback_id)  # type: ignore[return-value]

    # -- what the rules may ask --------------------------------------------------------

    def has_live(self, attempt_id: str, kind: str) -> bool:
        """True when a ``kind`` callback for the attempt is queued, going or delivered."""
        return bool(self.store.list_callbacks(attempt_id, kind, LIVE, limit=1))

    def has_any(self, attempt_id: str, kind: str) -> bool:
        """True when a ``kind`` callback was ever queued for the attempt (failed ones too)."""
        return bool(self.store.list_callbacks(attempt_id, kind, limit=1))

    def waiting(self, attempt_id: str, kind: str) -> dict[str, Any] | None:
        """The newest ``kind`` callback of the attempt that has not gone out (pending, held
        or failed), which a request may hurry or replace; None when there is none."""
        rows = self.store.list_callbacks(attempt_id, kind, WAITING, limit=1)
        return rows[-1] if rows else None

    def hurry(self, attempt_id: str, kind: str) -> dict[str, Any] | None:
        """Send the waiting ``kind`` callback now (see :meth:`retry`); None if none waits."""
        row = self.waiting(attempt_id, kind)
        return self.retry(row["id"]) if row else None

    def list(
        self,
        attempt_id: str | None = None,
        kind: str | None = None,
        states: tuple[str, ...] = (),
        limit: int = 1000,
        client_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The callbacks, oldest first (filtered by attempt, kind, states and client)."""
        return self.store.list_callbacks(attempt_id, kind, states, limit, client_id)
