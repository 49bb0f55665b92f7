"""The verdict rules, without a server: which verdict a review gets (a queued decision, the
learner's keyword, the session's findings, the server's default) and its comments."""

from __future__ import annotations

import pytest

from mockprock import payloads
from mockprock.errors import ProviderError
from mockprock.provider import verdicts

FINDING = {"comment": "No heartbeat for 200 s", "status": "suspicious", "start": 60, "stop": 260}


@pytest.mark.parametrize(
    ("email", "name", "expected"),
    [
        ("learner+violation@example.com", "Ada", "violation"),
        ("learner+suspicious@example.com", None, "suspicious"),
        ("learner+NOT_REVIEWED@example.com", "", "not_reviewed"),
        ("learner+passed@example.com", "Ada +violation", "passed"),  # the email first
        ("learner@example.com", "Ada +suspicious", "suspicious"),
        (None, None, None),
        ("learner@example.com", "Ada Lovelace", None),
        ("learner+violations-team@example.com", None, "violation"),
        ("learnerviolation@example.com", None, None),  # the plus sign is the keyword
    ],
)
def test_keyword_verdict(email, name, expected) -> None:
    assert verdicts.keyword_verdict(email, name) == expected


def test_a_queued_decision_wins_over_everything() -> None:
    verdict = verdicts.choose_verdict(
        "not_reviewed", "a+violation@example.com", "A", "suspicious", [FINDING], True
    )
    assert verdict == ("not_reviewed", "decision")


def test_a_keyword_wins_over_the_session_and_the_default() -> None:
    verdict = verdicts.choose_verdict(
        None, "a+passed@example.com", "A", "violation", [FINDING], True
    )
    assert verdict == ("passed", "keyword")


def test_session_findings_make_the_default_suspicious_only_when_switched_on() -> None:
    on = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [FINDING], True)
    off = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [FINDING], False)
    clean = verdicts.choose_verdict(None, "a@example.com", "A", "passed", [], True)
    assert on == ("suspicious", "session")
    assert off == ("passed", "default")
    assert clean == ("passed", "default")


def test_the_default_verdict_is_the_servers() -> None:
    assert verdicts.choose_verdict(None, None, None, "violation", [], False) == (
        "violation",
        "default",
    )


def test_review_comments_prefer_the_decision_then_the_session() -> None:
    given = [{"comment": "Phone in view", "status": "violation", "start": 5, "stop": 9}]
    assert verdicts.review_comments("violation", "decision", given, [FINDING], 600) == given
    assert verdicts.review_comments("suspicious", "session", [], [FINDING], 600) == [FINDING]


def test_without_comments_the_review_gets_a_summary_the_lms_can_store() -> None:
    (summary,) = verdicts.review_comments("passed", "keyword", [], [], 612.4)
    assert summary["status"] == "passed"
    assert "keyword" in summary["comment"]
    assert (summary["start"], summary["stop"]) == (0, 612)


def test_decision_comments_completes_strings_and_objects() -> None:
    comments = payloads.comments(
        ["Looked away", {"comment": "Phone", "status": "warning", "start": 3, "stop": 4.5}],
        "violation",
    )
    assert comments == [
        {"comment": "Looked away", "status": "violation", "start": 0, "stop": 0},
        {"comment": "Phone", "status": "warning", "start": 3, "stop": 4.5},
    ]
    assert payloads.comments(None, "passed") == []


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [{"status": "ok"}],
        [42],
        [{"comment": "x", "status": 3}],
        [{"comment": "x", "start": -1}],
        [{"comment": "x", "stop": "late"}],
        [{"comment": "x", "start": True}],
    ],
)
def test_decision_comments_refuses_what_the_lms_could_not_store(bad) -> None:
    with pytest.raises(ProviderError) as refused:
        payloads.decision({"status": "passed", "comments": bad})
    assert refused.value.status == 400
