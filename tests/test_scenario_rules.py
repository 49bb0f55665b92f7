"""Scenario rules without a server: matching (first match wins, patterns, attempt order),
what each kind of rule decides over a real store (verdict, comments, reviewer, review
delay, onboarding profile, desktop faults, failed callback tries), and where the scenario
stands among the other deciders."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import responses

from mockprock.callbacks.outbox import Outbox
from mockprock.clock import Clock
from mockprock.config import Settings
from mockprock.provider import desktop, reviews, scenarios, verdicts
from mockprock.provider.callback_bodies import CallbackBodies, callback_url
from mockprock.provider.scenario_file import parse
from mockprock.store import Store
from tests.helpers import ATTEMPT, REPO

EXAMPLE = REPO / "docs" / "scenario.example.json"
LMS = "http://lms.test:18000"
SETTINGS = Settings(
    lms_url=LMS,
    lms_client_id="lms-client",
    lms_client_secret="lms-secret",
    review_delay_seconds=10.0,
    callback_backoff_seconds=2.0,
)
T0 = 1_700_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(str(tmp_path / "scenario.sqlite"))
    yield store
    store.close()


def add_exam(
    store: Store,
    exam_id: str = "exam1",
    client_id: str = "abcd",
    lms_exam_id: int = 1,
    name: str = "Final Exam",
    practice: bool = False,
) -> str:
    exam = {
        "lms_exam_id": lms_exam_id,
        "course_id": "course-v1:edX+DemoX+Demo_Course",
        "content_id": f"block-v1:edX+DemoX+Demo_Course+type@sequential+block@{exam_id}",
        "exam_name": name,
        "is_practice_exam": practice,
        "rules": {},
    }
    store.exams.save_exam(exam_id, client_id, exam, {})
    return exam_id


def register(store: Store, exam_id: str = "exam1", **learner: Any) -> dict[str, Any]:
    attempt_id = store.attempts.create_attempt(exam_id, {**ATTEMPT, **learner}, ATTEMPT)
    return store.attempts.get_attempt(attempt_id)


def load(store: Store, *rules: dict[str, Any], client_id: str = "abcd") -> None:
    scenarios.Scenarios(store, None, Clock()).load(client_id, {"rules": list(rules)})


def compose(store: Store, attempt: dict[str, Any]) -> dict[str, Any]:
    """The review the attempt (read again) would get if it went now."""
    fresh = store.attempts.get_attempt(attempt["id"])
    return verdicts.compose(store, SETTINGS, fresh, datetime.now(timezone.utc))


# -- matching -----------------------------------------------------------------------------


def test_the_first_matching_rule_decides_and_later_ones_are_not_consulted(store) -> None:
    add_exam(store)
    load(
        store,
        {"match": {"email": "someone.else@*"}, "then": {"verdict": "violation"}},
        {"match": {"email": "learner@*"}, "then": {"review_delay_seconds": 5}},
        {"match": {}, "then": {"verdict": "suspicious"}},
    )
    attempt = register(store)
    rule = scenarios.rule_for(store, attempt)
    assert rule.index == 1
    # The rule gives no verdict: the verdict is decided as without a scenario (the
    # default), not by the later catch-all rule.
    assert compose(store, attempt)["status"] == "passed"


@pytest.mark.parametrize(
    ("match", "fits"),
    [
        ({"email": "LEARNER@example.com"}, True),  # any case
        ({"email": "*@example.com"}, True),
        ({"email": "learner"}, False),  # a glob matches the whole value
        ({"email": {"regex": "learner"}}, True),  # a regex is found anywhere
        ({"email": {"regex": "^earner"}}, False),
        ({"full_name": "ada *"}, True),
        ({"user_id": ATTEMPT["user_id"]}, True),
        ({"user_id": "someone-else"}, False),
        ({"exam_id": 1}, True),
        ({"exam_id": "1"}, True),
        ({"exam_id": 2}, False),
        ({"external_exam_id": "exam1"}, True),
        ({"exam_name": "final*"}, True),
        ({"exam_name": "Onboarding"}, False),
        ({"course_id": "course-v1:edX+*"}, True),
        ({"content_id": "*block@exam1"}, True),
        ({"practice_exam": False}, True),
        ({"onboarding": True}, False),
        ({"email": "*@example.com", "exam_name": "Midterm"}, False),  # every field must fit
        ({}, True),
    ],
)
def test_what_a_match_fits(store, match, fits) -> None:
    add_exam(store)
    attempt = register(store)
    exam = store.exams.get_exam("exam1")
    (rule,) = parse({"rules": [{"match": match, "then": {}}]}).rules
    assert scenarios.matches(rule.match, attempt, exam, lambda: 1) is fits


def test_the_attempt_order_counts_the_learners_attempts_at_that_exam(store) -> None:
    add_exam(store)
    add_exam(store, "exam2", lms_exam_id=2, name="Midterm")
    first = register(store)
    register(store, "exam2")  # another exam: not counted
    register(store, user_id="other-learner")  # another learner: not counted
    second = register(store)
    load(
        store,
        {"match": {"attempt": 2}, "then": {"verdict": "passed"}},
        {"match": {"email": "learner@example.com"}, "then": {"verdict": "violation"}},
    )
    assert store.scenarios.attempt_order(first) == 1
    assert store.scenarios.attempt_order(second) == 2
    assert compose(store, first)["status"] == "violation"
    assert compose(store, second)["status"] == "passed"


def test_the_order_is_asked_only_when_a_rule_needs_it(store) -> None:
    add_exam(store)
    attempt = register(store)
    exam = store.exams.get_exam("exam1")
    asked: list[int] = []

    def order() -> int:
        asked.append(1)
        return 3

    scenario = parse(
        {
            "rules": [
                {"match": {"email": "nobody@*", "attempt": 1}, "then": {}},
                {"match": {"attempt": 3}, "then": {}},
                {"match": {"attempt": 4}, "then": {}},
            ]
        }
    )
    assert scenarios.first_rule(scenario, attempt, exam, order).index == 1
    assert asked == [1]  # once, and not for the rule whose email did not fit


# -- what the rules decide --------------------------------------------------------------------


def test_verdict_comments_and_reviewer(store) -> None:
    add_exam(store)
    load(
        store,
        {
            "match": {"email": "learner@example.com"},
            "then": {
                "verdict": "violation",
                "comments": [
                    "Looked away.",
                    {"comment": "A phone.", "status": "suspicious", "start": 120, "stop": 185},
                ],
                "reviewed_by": "staff@example.com",
            },
        },
    )
    body = compose(store, register(store))
    assert body == {
        "status": "violation",
        "comments": [
            {"comment": "Looked away.", "status": "violation", "start": 0, "stop": 0},
            {"comment": "A phone.", "status": "suspicious", "start": 120, "stop": 185},
        ],
        "reviewed_by": "staff@example.com",
    }


def test_a_verdict_without_comments_says_the_scenario_decided(store) -> None:
    add_exam(store)
    load(store, {"match": {}, "then": {"verdict": "suspicious"}})
    (comment,) = compose(store, register(store))["comments"]
    assert "scenario" in comment["comment"]
    assert "reviewed_by" not in compose(store, register(store))


def test_the_review_delay(store) -> None:
    add_exam(store)
    load(store, {"match": {"email": "fast@*"}, "then": {"review_delay_seconds": 0.5}})
    outbox = Outbox(store, lambda: SETTINGS)
    fast, slow = register(store, email="fast@example.com"), register(store)
    now = outbox.dispatcher.clock()
    fast_row = reviews.schedule(store, outbox, SETTINGS, fast)
    slow_row = reviews.schedule(store, outbox, SETTINGS, slow)
    assert fast_row["due_at"] - now == pytest.approx(0.5, abs=0.2)
    assert slow_row["due_at"] - now == pytest.approx(10.0, abs=0.2)  # the setting


def deliver_review(store: Store, attempt: dict[str, Any], verdict: str) -> None:
    row = {"kind": "reviewed", "attempt_id": attempt["id"], "payload": {"status": verdict}}
    CallbackBodies(store).after_delivery(row, SETTINGS)


def test_the_onboarding_profile_status(store) -> None:
    add_exam(store, "practice", lms_exam_id=5, name="Onboarding", practice=True)
    load(
        store,
        {
            "match": {"onboarding": True, "email": "rejected@*"},
            "then": {"onboarding_status": "rejected"},
        },
        {"match": {"onboarding": True, "email": "none@*"}, "then": {"onboarding_status": "none"}},
    )
    rejected = register(store, "practice", email="rejected@example.com", is_sample_attempt=True)
    deliver_review(store, rejected, "passed")  # passed would approve; the rule rejects
    profile = store.onboarding.get_onboarding_profile("abcd", rejected["user_id"])
    assert profile["status"] == "rejected"
    other = register(
        store, "practice", email="none@example.com", user_id="u2", is_sample_attempt=True
    )
    store.onboarding.save_onboarding_profile("abcd", "u2", "pending", "c", None)
    deliver_review(store, other, "violation")
    assert store.onboarding.get_onboarding_profile("abcd", "u2") is None
    # Without a rule, the verdict decides as before.
    plain = register(store, "practice", user_id="u3", email="u3@x.org", is_sample_attempt=True)
    deliver_review(store, plain, "passed")
    assert store.onboarding.get_onboarding_profile("abcd", "u3")["status"] == "approved"


def test_a_crash_at_a_time_of_the_run(store) -> None:
    add_exam(store)
    load(store, {"match": {}, "then": {"desktop": {"crash_at_seconds": 120}}})
    attempt_id = register(store)["id"]
    assert desktop.start(store, attempt_id, "running", now=T0).status == "running"
    assert desktop.ping(store, attempt_id, now=T0 + 60).status == "running"
    down = desktop.ping(store, attempt_id, now=T0 + 130)
    assert (down.http_status, down.status) == (503, "crashed")
    session = store.desktop.get_desktop_session(attempt_id)
    assert session["crashes"] == [[T0 + 120, None]]  # from the planned moment
    crashed = [e for e in store.attempts.list_events(attempt_id) if e["kind"] == "desktop_crashed"]
    assert ["crash at 120 s" in e["detail"]["cause"] for e in crashed] == [True]
    # A fault set afterwards stands: the planned crash is not opened again.
    desktop.set_fault(store, attempt_id, "running", None, "running", now=T0 + 140)
    assert desktop.ping(store, attempt_id, now=T0 + 150).status == "running"
    comments = compose(store, {"id": attempt_id})["comments"]
    assert "The proctoring application crashed." in [c["comment"] for c in comments]


def test_not_installed_and_latency_from_a_time(store) -> None:
    add_exam(store)
    load(
        store,
        {"match": {"email": "absent@*"}, "then": {"desktop": {"state": "not_installed"}}},
        {"match": {}, "then": {"desktop": {"latency_ms": 1500, "latency_from_seconds": 60}}},
    )
    absent = register(store, email="absent@example.com")["id"]
    assert desktop.start(store, absent, "running", now=T0).status == "not_installed"
    slow = register(store)["id"]
    assert desktop.latency_ms(store, slow, now=T0) == 0  # not started
    desktop.start(store, slow, "running", now=T0)
    assert desktop.latency_ms(store, slow, now=T0 + 59) == 0
    assert desktop.latency_ms(store, slow, now=T0 + 60) == 1500
    # A latency set through the control API wins.
    desktop.set_fault(store, slow, "running", 200, "running", now=T0 + 61)
    assert desktop.latency_ms(store, slow, now=T0 + 62) == 200


@responses.activate
def test_the_first_tries_of_a_callback_fail_unsent_then_it_is_delivered(store) -> None:
    responses.post(f"{LMS}/oauth2/access_token", json={"access_token": "t", "expires_in": 3600})
    add_exam(store)
    load(store, {"match": {}, "then": {"callback_failures": {"reviewed": 2}}})
    attempt = register(store, lms_host=LMS)
    outbox = Outbox(store, lambda: SETTINGS, bodies=CallbackBodies(store))
    now = [time.time()]
    outbox.dispatcher.clock = lambda: now[0]
    url = callback_url(attempt, "reviewed", SETTINGS)
    responses.post(url, json="OK")
    row = outbox.enqueue("reviewed", attempt["id"], url, {"status": "passed"}, 0)
    seen = []
    for _ in range(3):
        assert outbox.dispatcher.run_due() == 1
        current = store.callbacks.get_callback(row["id"])
        seen.append((current["state"], current["tries"]))
        now[0] = current["due_at"]
    assert seen == [("pending", 1), ("pending", 2), ("delivered", 3)]
    posts = [c for c in responses.calls if c.request.url == url]
    assert len(posts) == 1  # the simulated failures were never sent
    events = [
        e["detail"] for e in store.attempts.list_events(attempt["id"]) if e["kind"] == "callback"
    ]
    assert [e["state"] for e in events] == ["pending", "pending", "pending", "delivered"]
    # The ready callback is not a reviewed one: it goes at once.
    assert scenarios.simulated_failure(store, {**current, "kind": "ready", "tries": 0}) is None
    first = scenarios.simulated_failure(store, {**current, "tries": 0})
    assert "try 1 of the first 2" in first
    outbox.dispatcher.stop()


# -- precedence and scope -------------------------------------------------------------------


def test_a_queued_decision_beats_the_scenario(store) -> None:
    add_exam(store)
    load(
        store,
        {
            "match": {},
            "then": {
                "verdict": "violation",
                "comments": ["from the scenario"],
                "reviewed_by": "staff@example.com",
            },
        },
    )
    attempt = register(store)
    store.callbacks.save_review_decision(attempt["id"], "passed", [], None, None, "control API")
    body = compose(store, attempt)
    assert body["status"] == "passed"
    assert "reviewed_by" not in body
    assert all("from the scenario" not in c["comment"] for c in body["comments"])


def test_the_scenario_beats_an_email_keyword_and_a_keyword_still_works_without_a_rule(
    store,
) -> None:
    add_exam(store)
    load(store, {"match": {"email": "learner+violation@*"}, "then": {"verdict": "passed"}})
    caught = register(store, email="learner+violation@example.com")
    other = register(store, email="other+suspicious@example.com", user_id="u2")
    assert compose(store, caught)["status"] == "passed"
    assert compose(store, other)["status"] == "suspicious"


def test_a_scenario_is_the_loading_clients_only(store) -> None:
    add_exam(store)
    add_exam(store, "exam-b", client_id="other", lms_exam_id=1)
    load(store, {"match": {}, "then": {"verdict": "violation"}})
    assert compose(store, register(store))["status"] == "violation"
    assert compose(store, register(store, "exam-b"))["status"] == "passed"


def test_the_servers_scenario_is_every_clients_until_one_loads_or_clears_its_own(
    store, tmp_path
) -> None:
    path = tmp_path / "start.json"
    path.write_text(json.dumps({"rules": [{"match": {}, "then": {"verdict": "violation"}}]}))
    loader = scenarios.Scenarios(store, str(path), Clock())
    add_exam(store)
    add_exam(store, "exam-b", client_id="other", lms_exam_id=1)
    add_exam(store, "exam-g", client_id="guest-0123456789ab", lms_exam_id=1)
    assert compose(store, register(store))["status"] == "violation"
    assert loader.view("other")["source"] == "server"
    assert compose(store, register(store, "exam-g"))["status"] == "passed"  # a guest
    loader.clear("other")
    assert compose(store, register(store, "exam-b"))["status"] == "passed"
    store.reset_client("other")  # a reset goes back to the server's
    add_exam(store, "exam-b", client_id="other", lms_exam_id=1)
    assert compose(store, register(store, "exam-b"))["status"] == "violation"


def test_the_example_file_parses_and_decides(store) -> None:
    add_exam(store)
    load_example = json.loads(EXAMPLE.read_text())
    scenarios.Scenarios(store, None, Clock()).load("abcd", load_example)
    first = register(store, email="bob@example.com", user_id="bob")
    second = register(store, email="bob@example.com", user_id="bob")
    assert compose(store, first)["status"] == "violation"
    assert compose(store, first)["reviewed_by"] == "staff@example.com"
    assert compose(store, second)["status"] == "passed"


def test_whether_any_scenario_is_in_use(store, tmp_path) -> None:
    """Without any, the rules look nothing else up: the answer must follow every change."""
    loader = scenarios.Scenarios(store, None, Clock())
    assert not store.scenarios.in_use()
    loader.load("abcd", {"rules": []})
    assert store.scenarios.in_use()
    loader.clear("abcd")
    assert not store.scenarios.in_use()  # a cleared scenario is none
    path = tmp_path / "start.json"
    path.write_text('{"rules": []}')
    scenarios.Scenarios(store, str(path), Clock())
    assert store.scenarios.in_use()
    scenarios.Scenarios(store, None, Clock())  # a start without --scenario forgets it
    assert not store.scenarios.in_use()
