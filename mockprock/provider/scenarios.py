"""Scenarios: rules a provider client loads to decide what its attempts get. Plain Python
over the store; the file's shape and its checks are ``scenario_file``.

A client's scenario is its own (loaded with ``PUT /mockprock/api/scenario``, the CLI or the
pytest fixture; kept in the store), else the server's ``--scenario`` file, which applies to
every client that has not loaded or cleared one, guest clients (the conformance kit's)
excepted. A client's reset goes back to the server's.

Rules are tried in order; the first whose ``match`` fits the attempt decides with every
field of its ``then`` (a field it leaves out is decided as without a scenario). Where a
scenario stands, first match wins: a decision queued for the attempt (console, control
API, CLI, dashboard; for the review's verdict, comments, reviewer and, when it gives one,
delay) → the scenario → a ``+keyword`` in the learner's email or name → what the session
saw (``verdict_from_session``) → the server's default. For the desktop application, a fault
set through the control API before the application is first used wins over the scenario's
``state``.

Each field is read when its decision is made: the review's verdict, comments and reviewer
as the review is composed (when it goes), its delay at submission, the onboarding profile
when an onboarding attempt's review is delivered, the application's state when it is
first used and its crash and latency at each of its requests, a callback's failures at
each try.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from mockprock.clock import Clock
from mockprock.errors import bad_request
from mockprock.provider import onboarding
from mockprock.provider.guests import PREFIX as GUEST_PREFIX
from mockprock.provider.scenario_file import (
    Match,
    Rule,
    Scenario,
    ScenarioError,
    Then,
    parse,
    read_file,
)
from mockprock.store import Store

log = logging.getLogger(__name__)

NOTHING = Then()
# Where a client's scenario comes from, as the control API says.
FROM_CLIENT = "client"
FROM_SERVER = "server"


@lru_cache(maxsize=64)
def parsed(document: str) -> Scenario:
    """A stored scenario, parsed once per text (it was checked when it was loaded)."""
    return parse(json.loads(document))


def document_of(store: Store, client_id: str) -> tuple[str | None, str | None]:
    """The client's scenario as stored (None: none) and where it comes from."""
    row = store.scenarios.client_row(client_id)
    if row is not None:
        return row["document"], FROM_CLIENT
    if client_id.startswith(GUEST_PREFIX):
        return None, None
    start = store.scenarios.start_scenario()
    return start, FROM_SERVER if start is not None else None


def scenario_of(store: Store, client_id: str) -> Scenario | None:
    document, _ = document_of(store, client_id)
    return parsed(document) if document else None


# -- matching -----------------------------------------------------------------------------


def matches(
    match: Match, attempt: dict[str, Any], exam: dict[str, Any], order: Callable[[], int]
) -> bool:
    """Whether ``attempt`` (at ``exam``) is what ``match`` asks for; ``order`` gives the
    attempt's place among its learner's at the exam (asked only when the rule needs it)."""
    if match.user_id is not None and str(attempt.get("user_id")) != match.user_id:
        return False
    if match.exam_id is not None and str(exam.get("lms_exam_id")) != match.exam_id:
        return False
    if match.external_exam_id is not None and exam.get("id") != match.external_exam_id:
        return False
    patterns = (
        (match.email, attempt.get("email")),
        (match.full_name, attempt.get("full_name")),
        (match.exam_name, exam.get("exam_name")),
        (match.content_id, exam.get("content_id")),
        (match.course_id, exam.get("course_id")),
    )
    if any(pattern is not None and not pattern.matches(value) for pattern, value in patterns):
        return False
    if match.practice_exam is not None and bool(exam.get("is_practice_exam")) != (
        match.practice_exam
    ):
        return False
    if match.onboarding is not None and (
        onboarding.is_onboarding_attempt(exam, attempt) != match.onboarding
    ):
        return False
    return match.attempt is None or order() == match.attempt


def first_rule(
    scenario: Scenario, attempt: dict[str, Any], exam: dict[str, Any], order: Callable[[], int]
) -> Rule | None:
    """The first rule of ``scenario`` that fits the attempt (first match wins)."""
    known: list[int] = []

    def once() -> int:
        if not known:
            known.append(order())
        return known[0]

    return next((rule for rule in scenario.rules if matches(rule.match, attempt, exam, once)), None)


def rule_for(store: Store, attempt: dict[str, Any]) -> Rule | None:
    """The rule of its client's scenario deciding for ``attempt``, if any."""
    if not store.scenarios.in_use():
        return None
    exam = store.exams.get_exam(attempt["exam_id"])
    scenario = scenario_of(store, exam["client_id"]) if exam else None
    if exam is None or scenario is None or not scenario.rules:
        return None
    return first_rule(scenario, attempt, exam, lambda: store.scenarios.attempt_order(attempt))


def then_for(store: Store, attempt: dict[str, Any]) -> Then:
    """What the scenario decides for ``attempt`` (nothing, without a rule for it)."""
    rule = rule_for(store, attempt)
    return rule.then if rule else NOTHING


def then_for_attempt(store: Store, attempt_id: str) -> Then:
    if not store.scenarios.in_use():
        return NOTHING
    attempt = store.attempts.get_attempt(attempt_id)
    return then_for(store, attempt) if attempt else NOTHING


# -- what the rules decide ------------------------------------------------------------------


def review_comments(then: Then, verdict: str) -> list[dict[str, Any]]:
    """The rule's comments in the shape the LMS stores; a status left out is the verdict."""
    return [
        {
            "comment": c["comment"],
            "status": c.get("status", verdict),
            "start": c["start"],
            "stop": c["stop"],
        }
        for c in then.comments
    ]


def onboarding_status(store: Store, attempt_id: str) -> str | None:
    """The onboarding profile status the scenario gives after the attempt's review; None
    when it gives none, or a queued decision gave the verdict (the profile follows it)."""
    if store.callbacks.get_review_decision(attempt_id):
        return None
    return then_for_attempt(store, attempt_id).onboarding_status


def simulated_failure(store: Store, row: dict[str, Any]) -> str | None:
    """Why this try of a callback fails without being sent, when its attempt's rule asks
    for its first N tries to fail (``callback_failures``); None: it goes."""
    if not store.scenarios.in_use():
        return None
    attempt = store.attempts.get_attempt(row["attempt_id"])
    rule = rule_for(store, attempt) if attempt else None
    if rule is None or not rule.then.callback_failures:
        return None
    failures = rule.then.callback_failures
    count = failures.get(row["kind"], failures.get("all", 0))
    if row["tries"] >= count:
        return None
    return (
        f"a failed try simulated by the scenario's {rule.label}: try {row['tries'] + 1} of "
        f"the first {count} answered as failures, not sent"
    )


# -- loading (the control API, the server's start) ------------------------------------------


class Scenarios:
    """Loads, shows and clears a client's scenario; reads the server's ``--scenario`` at
    start (a bad file is a ScenarioError, so the server does not start)."""

    def __init__(self, store: Store, start_file: str | None, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        document = read_file(start_file) if start_file else None
        if document is not None:
            parse(document)
        store.scenarios.save_start_scenario(None if document is None else json.dumps(document))

    def view(self, client_id: str) -> dict[str, Any]:
        """The client's scenario as it was given, where it comes from and its rule count."""
        document, source = document_of(self.store, client_id)
        scenario = json.loads(document) if document else None
        row = self.store.scenarios.client_row(client_id) if source == FROM_CLIENT else None
        return {
            "scenario": scenario,
            "source": source,
            "rules": len(scenario["rules"]) if scenario else 0,
            "loaded_at": row["loaded_at"] if row else None,
        }

    def load(self, client_id: str, document: Any) -> dict[str, Any]:
        """Replace the client's scenario with ``document``; a bad one is a 400 naming the
        field and changes nothing."""
        try:
            scenario = parse(document)
        except ScenarioError as exc:
            raise bad_request(f"scenario refused: {exc}", error="invalid_scenario") from None
        self.store.scenarios.save_client_scenario(client_id, json.dumps(document), self.clock.now())
        log.info("scenario of client %s loaded (%d rules)", client_id, len(scenario.rules))
        return self.view(client_id)

    def clear(self, client_id: str) -> dict[str, Any]:
        """The client has no scenario (the server's ``--scenario`` neither, until a reset)."""
        self.store.scenarios.save_client_scenario(client_id, None, self.clock.now())
        log.info("scenario of client %s cleared", client_id)
        return self.view(client_id)
