"""The server's sense of time: the system's, or a manual clock a test moves on purpose
(``--clock manual``). Every timed rule asks the one clock its server holds, so a test can
step past a review delay or a token's expiry without waiting.

Only the simulation's time follows it. What guards the process itself stays on the
system's time: held answers (injected latency) and read timeouts in ``web.serving``, the
store's busy retries, an advance's wait for the callbacks it made due, the demo's and the
conformance kit's waits, the LMS stand-in; and what is about the real LMS: its tokens'
expiry in ``callbacks.oauth_client`` (the LMS checks it by its own clock) and when it was
last asked for one (``LmsClient.last_check``)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from mockprock.statuses import CLOCK_MANUAL, CLOCK_SYSTEM

# A manual clock goes no further than this (3000-01-01 UTC): every due time, expiry and
# ISO date built from it stays a date Python and SQLite can read.
LATEST = 32503680000.0


class Clock:
    """The system's clock: epoch seconds, as ``time.time()``."""

    manual = False
    mode = CLOCK_SYSTEM

    def now(self) -> float:
        return time.time()


class ManualClock(Clock):
    """A clock that stands still until :meth:`advance` moves it (from the system's time at
    start, so stored times stay plausible dates)."""

    manual = True
    mode = CLOCK_MANUAL

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (never back, never past :data:`LATEST`);
        the new time."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            if self._now + seconds > LATEST:
                raise ValueError(f"a clock goes no further than {iso(LATEST)}")
            self._now += seconds
            return self._now


def clock_for(mode: str) -> Clock:
    """The clock of the ``clock`` setting: ``system`` or ``manual``."""
    return ManualClock() if mode == CLOCK_MANUAL else Clock()


def iso(moment: float) -> str:
    """Epoch seconds as an ISO 8601 date in UTC."""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()
