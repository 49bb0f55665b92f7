"""How a verdict is composed: which status an attempt's review gets, and the ``reviewed``
callback's body. Plain Python over the store (reads only).

The verdict, first match wins: a decision queued for the attempt (console, control API,
CLI) → the rule of the client's scenario for the attempt (``scenarios``) → a ``+keyword``
in the learner's email or name (``learner+violation@...``) → what the desktop session
saw, when ``verdict_from_session`` is on → the server default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockprock import statuses
from mockprock.config import Settings
from mockprock.provider import desktop_findings, scenarios
from mockprock.store import Store

# A keyword in the learner's email or name picks the verdict, so one LMS user per branch
# makes every branch reachable without touching the server (learner+violation@...).
KEYWORD_VERDICTS = {f"+{status}": status for status in statuses.REVIEW_STATUSES}


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
    scenario_status: str | None = None,
) -> tuple[str, str]:
    """The review verdict and what decided it, first match wins: a queued decision
    (``"decision"``), the client's scenario (``"scenario"``), a keyword of the learner
    (``"keyword"``), what the session saw when ``verdict_from_session`` is on
    (``"session"``), else the server default (``"default"``)."""
    if decision_status:
        return decision_status, "decision"
    if scenario_status:
        return scenario_status, "scenario"
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
    """The review's comments: those given (the decision's, or the scenario's rule's) if
    any, else what the session saw, else one summary (the LMS stores each comment and
    needs ``comment`` and ``status``)."""
    if decision_comments:
        return decision_comments
    if session_findings:
        return session_findings
    reasons = {
        "decision": "a verdict queued by the developer",
        "scenario": "a rule of the client's scenario",
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
    """The ``reviewed`` callback's body for an attempt, from its decision (if any), its
    client's scenario, the learner, what its session saw and the current settings."""
    decision = store.callbacks.get_review_decision(attempt["id"])
    # A queued decision decides the whole review: the scenario is not even read.
    planned = scenarios.NOTHING if decision else scenarios.then_for(store, attempt)
    findings = desktop_findings.session_findings(
        store, attempt["id"], settings.ping_interval_seconds
    )
    verdict, decided_by = choose_verdict(
        decision["status"] if decision else None,
        attempt.get("email"),
        attempt.get("full_name"),
        settings.default_review_status,
        findings,
        settings.verdict_from_session,
        planned.verdict,
    )
    comments = review_comments(
        verdict,
        decided_by,
        decision["comments"] if decision else scenarios.review_comments(planned, verdict),
        findings,
        session_seconds(store.attempts.list_events(attempt["id"]), now.timestamp()),
    )
    payload: dict[str, Any] = {"status": verdict, "comments": comments}
    # Only when given: a reviewer makes the LMS reject at once, with no second review.
    reviewed_by = decision.get("reviewed_by") if decision else planned.reviewed_by
    if reviewed_by:
        payload["reviewed_by"] = reviewed_by
    return payload
