"""The server's clock as the control API shows and moves it. Plain Python, no Flask.

A manual clock (``--clock manual``) stands still until an advance moves it; the advance
then settles what became due before it answers: finished uploads go on their timelines,
and every callback due now is tried once (``Outbox.send_due_now``), so a test that steps
past a review delay finds the review at the LMS. The clock is the server's, one for all:
any accepted client may move it (a manual clock is for a test's own server); what the
answer counts is the calling client's callbacks only.
"""

from __future__ import annotations

from typing import Any

from mockprock import payloads
from mockprock.callbacks.outbox import Outbox
from mockprock.clock import Clock, ManualClock, iso
from mockprock.errors import ProviderError, bad_request
from mockprock.provider import desktop
from mockprock.statuses import CALLBACK_DELIVERED, CALLBACK_FAILED, CALLBACK_SENDING
from mockprock.store import Store

# The longest step of one advance: ten years (a test steps past a delay or an expiry,
# not through centuries).
MAX_ADVANCE_SECONDS = 10 * 366 * 24 * 3600


def _step(number: Any) -> str | None:
    if 0 <= number <= MAX_ADVANCE_SECONDS:
        return None
    return f"must be a number of seconds from 0 to {MAX_ADVANCE_SECONDS} (ten years)"


ADVANCE = payloads.Field("advance_seconds", payloads.NUMBER, required=True, check=_step)


def advance_seconds(payload: dict[str, Any]) -> float:
    """The ``advance_seconds`` of an advance's body: a finite number from 0 to ten years
    (a JSON NaN or infinity never parses; a boolean is no number)."""
    return float(payloads.value(payload, ADVANCE))


class ClockControl:
    """What the control API's clock routes call: the time, and an advance."""

    def __init__(self, clock: Clock, store: Store, outbox: Outbox) -> None:
        self.clock = clock
        self.store = store
        self.outbox = outbox

    def view(self) -> dict[str, Any]:
        """``mode`` (``manual`` or ``system``), ``now`` (epoch seconds) and ``now_iso``."""
        now = self.clock.now()
        return {"mode": self.clock.mode, "now": now, "now_iso": iso(now)}

    def advance(self, client_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Move a manual clock forward, then try what became due; the time, and what
        became of the calling client's callbacks that were due."""
        if not isinstance(self.clock, ManualClock):
            raise ProviderError(
                409,
                "clock_not_manual",
                "this server runs on the system's clock, which no request moves; start it "
                "with --clock manual (or MOCKPROCK_CLOCK=manual) to move its time",
            )
        seconds = advance_seconds(payload)
        try:
            self.clock.advance(seconds)
        except ValueError as exc:
            raise bad_request(f"field 'advance_seconds' moves the clock too far: {exc}") from None
        desktop.settle_uploads(self.store)
        tries_before = self.outbox.send_due_now()
        return {
            **self.view(),
            "advanced_seconds": seconds,
            "callbacks": self.callbacks_report(client_id, tries_before),
        }

    def callbacks_report(self, client_id: str, tries_before: dict[int, int]) -> dict[str, Any]:
        """Of the client's callbacks that were due (``tries_before``, by id): how many were
        tried, delivered, or still going when the wait ended; and how many of the client's
        wait for a due time now, with the soonest."""
        stand = self.store.callbacks.where_callbacks_stand(list(tries_before), client_id)
        tried = [
            row
            for row in stand.values()
            if row["tries"] > tries_before[row["id"]]
            or row["state"] in (CALLBACK_DELIVERED, CALLBACK_FAILED)
        ]
        pending, soonest = self.store.callbacks.pending_callbacks(client_id)
        return {
            "due": len(stand),
            "attempted": len(tried),
            "delivered": sum(1 for row in tried if row["state"] == CALLBACK_DELIVERED),
            "still_sending": sum(1 for row in stand.values() if row["state"] == CALLBACK_SENDING),
            "pending": pending,
            "next_due_at": soonest,
            "next_due_iso": iso(soonest) if soonest is not None else None,
        }
