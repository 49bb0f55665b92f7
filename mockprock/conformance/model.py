"""What a check is, what it records and how it ends: plain data, no HTTP.

A check is a function of the run's :class:`~mockprock.conformance.context.Context`. It
ends by returning (PASS, with an optional note), by raising :class:`CheckFailed` (what
edx-proctoring needs instead) or :class:`CheckSkipped` (why it could not run here). The
exchanges it made are kept, so a failure shows what was sent and what came back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"

# How much of a body a report shows.
EXCERPT_CHARS = 300


class CheckFailed(Exception):
    """The provider departs from the contract; ``str()`` says what edx-proctoring needs."""


class CheckSkipped(Exception):
    """The check cannot run against this provider; ``str()`` says why."""


@dataclass
class Exchange:
    """One HTTP request the kit made (or a callback it received) and its answer."""

    method: str
    url: str
    sent: Any = None
    status: int | None = None
    body: str = ""
    seconds: float = 0.0
    error: str = ""

    def request_line(self) -> str:
        text = f"{self.method} {self.url}"
        if self.sent is not None:
            text += " " + excerpt(self.sent)
        return text

    def answer_line(self) -> str:
        if self.error:
            return f"no answer: {self.error}"
        return f"{self.status} {excerpt(self.body)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "sent": self.sent,
            "status": self.status,
            "body": self.body[:EXCERPT_CHARS],
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


def excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


@dataclass
class Check:
    """A named rule of the contract and the function that judges it."""

    name: str
    summary: str
    run: Callable[[Any], str | None]


@dataclass
class Result:
    name: str
    summary: str
    outcome: str
    reason: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    seconds: float = 0.0
    # The vendor paths it called ("POST /edx/oauth2/access_token"): where the backend judged
    # (--backend) calls differently from mockprock's own.
    differs: list[str] = field(default_factory=list)

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]

    def sent(self) -> str:
        return self.exchanges[-1].request_line() if self.exchanges else ""

    def received(self) -> str:
        return self.exchanges[-1].answer_line() if self.exchanges else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "outcome": self.outcome,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "exchanges": [e.as_dict() for e in self.exchanges],
            "differs": self.differs,
        }


def summary_line(results: list[Result]) -> str:
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in (PASS, FAIL, SKIP)}
    return f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped"
