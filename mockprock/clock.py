"""The server's sense of time: the system's, or a manual clock a test moves on purpose
(``--clock manual``). Every timed rule asks the one clock its server holds, so a test can
step past a review delay or a token's expiry without waiting."""

from __future__ import annotations

import threading
import time


class Clock:
    """The system's clock: epoch seconds, as ``time.time()``."""

    manual = False

    def now(self) -> float:
        return time.time()


class ManualClock(Clock):
    """A clock that stands still until :meth:`advance` moves it (from the system's time at
    start, so stored times stay plausible dates)."""

    manual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (never back); the new time."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += seconds
            return self._now
