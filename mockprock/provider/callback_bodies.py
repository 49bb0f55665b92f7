"""Where callbacks are built: each callback's URL, the ``ready`` body, and what the
dispatcher asks of a callback as it goes (its body, composed late for a review; whether
the scenario has this try fail unsent) and after it went (a delivered review of an
onboarding attempt sets the learner's profile).

The dispatcher holds a :class:`CallbackBodies` and calls it; it never calls back up into
the provider. Plain Python over the store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mockprock import statuses, trust
from mockprock.clock import Clock
from mockprock.config import Settings
from mockprock.provider import onboarding, scenarios, verdicts
from mockprock.store import Store

CALLBACK_PATH = "/api/edx_proctoring/v1/proctored_exam/attempt/{attempt_id}/{kind}"
READY_BODY = {"status": statuses.READY}
# A review's body until it is sent: composed once, when the outbox sends it, so what the
# session saw and the current settings count.
NOT_COMPOSED: dict[str, Any] = {}


def callback_url(attempt: dict[str, Any], kind: str, settings: Settings) -> str:
    """Where the LMS takes a callback: the origin of the ``lms_host`` the attempt
    registered with, plus the callback path (never a path or query of ``lms_host``).
    The outbox refuses it unless that origin is an allowed LMS origin."""
    base = trust.callback_base(attempt.get("lms_host"), settings)
    return base + CALLBACK_PATH.format(attempt_id=attempt["id"], kind=kind)


def review_body(
    store: Store, settings: Settings, row: dict[str, Any], at: datetime
) -> dict[str, Any] | None:
    """A review's body, composed as it goes out; None for any other callback, or a review
    composed already (a retry sends what the LMS was first sent)."""
    if row["kind"] != statuses.REVIEWED or row["payload"] != NOT_COMPOSED:
        return None
    attempt = store.attempts.get_attempt(row["attempt_id"])
    return verdicts.compose(store, settings, attempt, at) if attempt else None


def shown(store: Store, settings: Settings, row: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A callback as the control API shows it: a review not composed yet shows the body
    it would carry if it went now."""
    if row["kind"] == statuses.REVIEWED and row["payload"] == NOT_COMPOSED:
        return {**row, "payload": review_body(store, settings, row, at) or {}}
    return row


class CallbackBodies:
    """What the dispatcher asks of the rules, downward: a callback's body as it goes, and
    what follows a delivery, at the time of the server's clock (the store's by default)."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or store.clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), timezone.utc)

    def body_for(self, row: dict[str, Any], settings: Settings) -> dict[str, Any] | None:
        """A fresh body for ``row`` just before it is sent, or None to send it as stored."""
        return review_body(self.store, settings, row, self.now())

    def after_delivery(self, row: dict[str, Any], settings: Settings) -> None:
        """The LMS took ``row``: a review of an onboarding attempt sets the profile (as
        the scenario's rule says, unless a queued decision gave the verdict)."""
        if row["kind"] == statuses.REVIEWED:
            onboarding.after_review(
                self.store,
                row["attempt_id"],
                row["payload"]["status"],
                self.now(),
                settings.onboarding_valid_days,
                scenarios.onboarding_status(self.store, row["attempt_id"]),
            )

    def simulated_failure(self, row: dict[str, Any]) -> str | None:
        """Why this try fails unsent, when the scenario asks for failed tries (None: it
        goes)."""
        return scenarios.simulated_failure(self.store, row)
