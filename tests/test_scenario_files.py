"""Scenario files: what is refused (with the field's path and the reason), reading JSON and
TOML, and the published JSON Schema agreeing with the package's own checks."""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mockprock import statuses
from mockprock.payloads import MAX_LATENCY_MS
from mockprock.provider.scenario_file import ScenarioError, parse, read_file
from tests.helpers import REPO

SCHEMA = json.loads((REPO / "mockprock" / "scenario.schema.json").read_text())
EXAMPLE_JSON = REPO / "docs" / "scenario.example.json"
EXAMPLE_TOML = REPO / "docs" / "scenario.example.toml"


def schema_errors(document: Any) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    return [error.message for error in validator.iter_errors(document)]


def rule(**then: Any) -> dict[str, Any]:
    return {"match": {}, "then": then}


VALID = [
    json.loads(EXAMPLE_JSON.read_text()),
    {"rules": []},
    {"rules": [rule()]},
    {"rules": [{"name": "", "match": {"user_id": 7, "exam_id": "12"}, "then": {}}]},
    {"rules": [rule(verdict="not_reviewed", review_delay_seconds=0, onboarding_status="none")]},
    {"rules": [rule(desktop={"state": "crashed"}, callback_failures={"all": 0})]},
    {"rules": [rule(desktop={"latency_ms": MAX_LATENCY_MS, "latency_from_seconds": 1.5})]},
    {"rules": [{"match": {"attempt": 1, "practice_exam": True}, "then": {"comments": ["x"]}}]},
]

# (the document, the path of the field refused, words of the reason)
REFUSED = [
    ([], "", "must be an object"),
    ({}, "rules", "is required"),
    ({"rules": {}}, "rules", "must be a list"),
    ({"rules": [rule()], "extra": 1}, "extra", "unknown key"),
    ({"rules": [{"match": {}}]}, "rules[0].then", "is required"),
    ({"rules": [rule(), rule(verdcit="passed")]}, "rules[1].then.verdcit", "unknown key"),
    ({"rules": [{"match": {"emial": "a"}, "then": {}}]}, "rules[0].match.emial", "unknown key"),
    ({"rules": [rule(), rule(), rule(verdict="cheating")]}, "rules[2].then.verdict", "one of"),
    ({"rules": [rule(verdict=1)]}, "rules[0].then.verdict", "one of"),
    ({"rules": [rule(review_delay_seconds=-1)]}, "rules[0].then.review_delay_seconds", "from 0"),
    ({"rules": [rule(review_delay_seconds="10")]}, "rules[0].then.review_delay_seconds", "number"),
    ({"rules": [rule(review_delay_seconds=True)]}, "rules[0].then.review_delay_seconds", "number"),
    (
        {"rules": [rule(review_delay_seconds=10**9)]},
        "rules[0].then.review_delay_seconds",
        "from 0",
    ),
    (
        {"rules": [{"match": {"email": {"regex": "(unclosed"}}, "then": {}}]},
        "rules[0].match.email.regex",
        "not a regular expression",
    ),
    ({"rules": [{"match": {"email": ""}, "then": {}}]}, "rules[0].match.email", "empty"),
    ({"rules": [{"match": {"email": 3}, "then": {}}]}, "rules[0].match.email", "glob"),
    ({"rules": [{"match": {"attempt": 0}, "then": {}}]}, "rules[0].match.attempt", "from 1"),
    ({"rules": [{"match": {"attempt": 1.5}, "then": {}}]}, "rules[0].match.attempt", "integer"),
    (
        {"rules": [{"match": {"onboarding": "yes"}, "then": {}}]},
        "rules[0].match.onboarding",
        "true",
    ),
    ({"rules": [rule(comments="hi")]}, "rules[0].then.comments", "list"),
    ({"rules": [rule(comments=[{"text": "x"}])]}, "rules[0].then.comments[0].text", "unknown key"),
    (
        {"rules": [rule(comments=[{"comment": "x", "start": -5}])]},
        "rules[0].then.comments[0].start",
        "from 0",
    ),
    (
        {"rules": [rule(onboarding_status="approved-in-course")]},
        "rules[0].then.onboarding_status",
        "one of",
    ),
    ({"rules": [rule(desktop={})]}, "rules[0].then.desktop", "names none"),
    ({"rules": [rule(desktop={"state": "melted"})]}, "rules[0].then.desktop.state", "one of"),
    (
        {"rules": [rule(desktop={"latency_ms": MAX_LATENCY_MS + 1})]},
        "rules[0].then.desktop.latency_ms",
        "from 0",
    ),
    (
        {"rules": [rule(desktop={"latency_from_seconds": 5})]},
        "rules[0].then.desktop.latency_from_seconds",
        "latency_ms",
    ),
    (
        {"rules": [rule(callback_failures={"sent": 1})]},
        "rules[0].then.callback_failures.sent",
        "unknown key",
    ),
    (
        {"rules": [rule(callback_failures={"all": -1})]},
        "rules[0].then.callback_failures.all",
        "from 0",
    ),
    (
        {"rules": [rule(callback_failures={"ready": 101})]},
        "rules[0].then.callback_failures.ready",
        "to 100",
    ),
    ({"rules": [rule(reviewed_by="")]}, "rules[0].then.reviewed_by", "empty"),
    ({"rules": [rule()] * 1001}, "rules", "at most 1000"),
]


@pytest.mark.parametrize("document", VALID)
def test_valid_scenarios_pass_both_the_package_and_the_schema(document) -> None:
    parse(document)
    assert schema_errors(document) == []


@pytest.mark.parametrize(("document", "path", "reason"), REFUSED)
def test_a_refusal_names_the_field_and_the_reason_and_the_schema_refuses_it_too(
    document, path, reason
) -> None:
    with pytest.raises(ScenarioError) as refused:
        parse(document)
    assert refused.value.path == path
    assert reason in refused.value.reason
    reason_given = refused.value.reason
    assert str(refused.value) == (f"{path}: {reason_given}" if path else reason_given)
    assert schema_errors(document) != []


def test_the_schemas_vocabularies_are_the_packages() -> None:
    then = SCHEMA["$defs"]["then"]["properties"]
    assert tuple(then["verdict"]["enum"]) == statuses.REVIEW_STATUSES
    assert tuple(then["onboarding_status"]["enum"]) == statuses.PROFILE_SETTINGS
    desktop = SCHEMA["$defs"]["desktop"]["properties"]
    assert tuple(desktop["state"]["enum"]) == statuses.DESKTOP_STATES
    assert desktop["latency_ms"]["maximum"] == MAX_LATENCY_MS


def test_the_schema_says_first_match_wins_and_the_precedence() -> None:
    text = SCHEMA["description"]
    assert "first" in text and "decision queued" in text
    assert text.index("decision queued") < text.index("scenario, then") < text.index("+keyword")


def test_the_toml_example_is_the_json_example() -> None:
    as_json = read_file(EXAMPLE_JSON)
    as_json.pop("$schema")
    if sys.version_info >= (3, 11):
        assert read_file(EXAMPLE_TOML) == as_json
    else:  # Python 3.10 has no tomllib: the refusal says what to do
        with pytest.raises(ScenarioError, match=r"Python 3\.11"):
            read_file(EXAMPLE_TOML)


def test_unreadable_and_malformed_files_are_scenario_errors(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        read_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{rules: [}")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        read_file(bad)


def test_parse_does_not_change_what_it_is_given() -> None:
    document = json.loads(EXAMPLE_JSON.read_text())
    kept = copy.deepcopy(document)
    parse(document)
    assert document == kept
