"""A scenario file: reading it (JSON, or TOML where Python has ``tomllib``), checking it
and its parsed form. Plain Python with no dependency: the package's
``scenario.schema.json`` publishes the same rules for editors and other tools (a test
holds the two together), and the package does not depend on ``jsonschema``.

A refusal is a :class:`ScenarioError` naming the field's path (``rules[2].then.verdict``,
counting from 0) and the reason. What the rules mean is ``scenarios``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockprock import statuses
from mockprock.config import YEAR_SECONDS
from mockprock.payloads import MAX_LATENCY_MS

# The limits the schema states too.
MAX_RULES = 1000
MAX_COMMENTS = 100
MAX_FAILED_TRIES = 100
CALLBACK_KINDS = (statuses.READY, statuses.REVIEWED, "all")

TOP_KEYS = ("$schema", "description", "rules")
RULE_KEYS = ("name", "match", "then")
MATCH_KEYS = (
    "user_id",
    "email",
    "full_name",
    "exam_id",
    "external_exam_id",
    "exam_name",
    "content_id",
    "course_id",
    "practice_exam",
    "onboarding",
    "attempt",
)
PATTERN_KEYS = ("email", "full_name", "exam_name", "content_id", "course_id")
THEN_KEYS = (
    "verdict",
    "comments",
    "reviewed_by",
    "review_delay_seconds",
    "onboarding_status",
    "desktop",
    "callback_failures",
)
COMMENT_KEYS = ("comment", "status", "start", "stop")
DESKTOP_KEYS = ("state", "crash_at_seconds", "latency_ms", "latency_from_seconds")


class ScenarioError(ValueError):
    """A scenario refused: ``path`` is the field (``rules[0].then.verdict``), ``reason``
    what is wrong with it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


# -- the parsed form ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """A glob matching the whole value, or a regular expression found anywhere in it;
    both ignore case."""

    glob: str | None = None
    regex: re.Pattern[str] | None = None

    def matches(self, value: str | None) -> bool:
        text = value or ""
        if self.regex is not None:
            return self.regex.search(text) is not None
        return fnmatch.fnmatchcase(text.lower(), (self.glob or "").lower())


@dataclass(frozen=True)
class Match:
    """What an attempt must be for its rule to decide; each field left None fits all."""

    user_id: str | None = None
    email: Pattern | None = None
    full_name: Pattern | None = None
    exam_id: str | None = None
    external_exam_id: str | None = None
    exam_name: Pattern | None = None
    content_id: Pattern | None = None
    course_id: Pattern | None = None
    practice_exam: bool | None = None
    onboarding: bool | None = None
    attempt: int | None = None


@dataclass(frozen=True)
class Desktop:
    state: str | None = None
    crash_at_seconds: float | None = None
    latency_ms: int | None = None
    latency_from_seconds: float = 0.0


@dataclass(frozen=True)
class Then:
    """What a rule decides; None (or empty) leaves it to what decides without a scenario."""

    verdict: str | None = None
    comments: tuple[dict[str, Any], ...] = ()
    reviewed_by: str | None = None
    review_delay_seconds: float | None = None
    onboarding_status: str | None = None
    desktop: Desktop = field(default_factory=Desktop)
    callback_failures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    index: int
    name: str | None
    match: Match
    then: Then

    @property
    def label(self) -> str:
        """How messages name it: ``rules[1]`` and its name, if it has one."""
        return f"rules[{self.index}]" + (f" ({self.name!r})" if self.name else "")


@dataclass(frozen=True)
class Scenario:
    rules: tuple[Rule, ...]


# -- reading ------------------------------------------------------------------------------


def read_file(path: str | Path) -> dict[str, Any]:
    """The document in a scenario file: TOML for a ``.toml`` file (Python 3.11+), JSON
    otherwise. Not checked yet (:func:`parse` does); a ScenarioError when unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError("", f"cannot read the scenario file {path}: {exc}") from None
    if path.suffix.lower() == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            raise ScenarioError(
                "", f"{path}: TOML scenario files need Python 3.11 or newer; write it as JSON"
            ) from None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError("", f"{path} is not valid TOML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ScenarioError("", f"{path} is not valid JSON: {exc}") from None


# -- checking -----------------------------------------------------------------------------


def parse(document: Any) -> Scenario:
    """The scenario ``document`` states, checked; ScenarioError for the first thing wrong."""
    _object(document, "", TOP_KEYS, required=("rules",))
    for key in ("$schema", "description"):
        if key in document:
            _string(document[key], key, empty=True)
    rules = document["rules"]
    if not isinstance(rules, list):
        raise ScenarioError("rules", "must be a list of rules")
    if len(rules) > MAX_RULES:
        raise ScenarioError("rules", f"has {len(rules)} rules; at most {MAX_RULES}")
    return Scenario(tuple(_rule(item, index) for index, item in enumerate(rules)))


def _rule(item: Any, index: int) -> Rule:
    path = f"rules[{index}]"
    _object(item, path, RULE_KEYS, required=("match", "then"))
    name = _string(item["name"], f"{path}.name", empty=True) if "name" in item else None
    return Rule(index, name, _match(item["match"], f"{path}.match"), _then(item["then"], path))


def _match(given: Any, path: str) -> Match:
    _object(given, path, MATCH_KEYS)
    found: dict[str, Any] = {}
    for key in ("user_id", "exam_id"):
        if key in given:
            found[key] = str(_id(given[key], f"{path}.{key}"))
    if "external_exam_id" in given:
        found["external_exam_id"] = _string(given["external_exam_id"], f"{path}.external_exam_id")
    for key in PATTERN_KEYS:
        if key in given:
            found[key] = _pattern(given[key], f"{path}.{key}")
    for key in ("practice_exam", "onboarding"):
        if key in given:
            if not isinstance(given[key], bool):
                raise ScenarioError(f"{path}.{key}", "must be true or false")
            found[key] = given[key]
    if "attempt" in given:
        found["attempt"] = _number(given["attempt"], f"{path}.attempt", 1, None, integer=True)
    return Match(**found)


def _then(given: Any, rule_path: str) -> Then:
    path = f"{rule_path}.then"
    _object(given, path, THEN_KEYS)
    found: dict[str, Any] = {}
    if "verdict" in given:
        found["verdict"] = _choice(given["verdict"], f"{path}.verdict", statuses.REVIEW_STATUSES)
    if "comments" in given:
        found["comments"] = _comments(given["comments"], f"{path}.comments")
    if "reviewed_by" in given:
        found["reviewed_by"] = _string(given["reviewed_by"], f"{path}.reviewed_by")
    if "review_delay_seconds" in given:
        found["review_delay_seconds"] = _seconds(
            given["review_delay_seconds"], f"{path}.review_delay_seconds"
        )
    if "onboarding_status" in given:
        found["onboarding_status"] = _choice(
            given["onboarding_status"], f"{path}.onboarding_status", statuses.PROFILE_SETTINGS
        )
    if "desktop" in given:
        found["desktop"] = _desktop(given["desktop"], f"{path}.desktop")
    if "callback_failures" in given:
        found["callback_failures"] = _failures(
            given["callback_failures"], f"{path}.callback_failures"
        )
    return Then(**found)


def _comments(given: Any, path: str) -> tuple[dict[str, Any], ...]:
    """Each comment in the shape the LMS stores (``comment``, ``status``, ``start``,
    ``stop``); a status left out is the verdict's, filled in when the review is composed."""
    if not isinstance(given, list):
        raise ScenarioError(path, "must be a list of comments")
    if len(given) > MAX_COMMENTS:
        raise ScenarioError(path, f"has {len(given)} comments; at most {MAX_COMMENTS}")
    out = []
    for index, item in enumerate(given):
        where = f"{path}[{index}]"
        if isinstance(item, str):
            item = {"comment": item}
        _object(item, where, COMMENT_KEYS, required=("comment",), what="a string or an object")
        comment: dict[str, Any] = {"comment": _string(item["comment"], f"{where}.comment")}
        if "status" in item:
            comment["status"] = _string(item["status"], f"{where}.status")
        for key in ("start", "stop"):
            comment[key] = _number(item.get(key, 0), f"{where}.{key}", 0, YEAR_SECONDS)
        out.append(comment)
    return tuple(out)


def _desktop(given: Any, path: str) -> Desktop:
    _object(given, path, DESKTOP_KEYS, non_empty=True)
    found: dict[str, Any] = {}
    if "state" in given:
        found["state"] = _choice(given["state"], f"{path}.state", statuses.DESKTOP_STATES)
    for key in ("crash_at_seconds", "latency_from_seconds"):
        if key in given:
            found[key] = _seconds(given[key], f"{path}.{key}")
    if "latency_ms" in given:
        found["latency_ms"] = _number(
            given["latency_ms"], f"{path}.latency_ms", 0, MAX_LATENCY_MS, integer=True
        )
    elif "latency_from_seconds" in given:
        raise ScenarioError(f"{path}.latency_from_seconds", "needs latency_ms beside it")
    return Desktop(**found)


def _failures(given: Any, path: str) -> dict[str, int]:
    _object(given, path, CALLBACK_KINDS, non_empty=True)
    return {
        kind: _number(count, f"{path}.{kind}", 0, MAX_FAILED_TRIES, integer=True)
        for kind, count in given.items()
    }


# -- one value ----------------------------------------------------------------------------


def _object(
    given: Any,
    path: str,
    keys: tuple[str, ...],
    required: tuple[str, ...] = (),
    non_empty: bool = False,
    what: str = "an object",
) -> None:
    where = path or "the scenario"
    if not isinstance(given, dict):
        subject = "" if path else "the scenario "
        raise ScenarioError(path, f"{subject}must be {what}, not {_kind(given)}")
    for key in given:
        if key not in keys:
            raise ScenarioError(
                f"{path}.{key}" if path else str(key),
                f"unknown key; {where} takes {', '.join(keys)}",
            )
    for key in required:
        if key not in given:
            raise ScenarioError(f"{path}.{key}" if path else key, "is required")
    if non_empty and not given:
        raise ScenarioError(path, f"names none of {', '.join(keys)}")


def _kind(given: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(type(given), type(given).__name__)


def _string(given: Any, path: str, empty: bool = False) -> str:
    if not isinstance(given, str):
        raise ScenarioError(path, f"must be a string, not {_kind(given)}")
    if not empty and not given:
        raise ScenarioError(path, "must not be empty")
    return given


def _id(given: Any, path: str) -> str | int:
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    return _string(given, path)


def _choice(given: Any, path: str, choices: tuple[str, ...]) -> str:
    if given not in choices or not isinstance(given, str):
        raise ScenarioError(path, f"must be one of {', '.join(choices)}, not {given!r}")
    return given


def _number(given: Any, path: str, low: float, high: float | None, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if isinstance(given, bool) or not isinstance(given, kinds):
        raise ScenarioError(path, f"must be {'an integer' if integer else 'a number'}")
    if given != given or given < low or (high is not None and given > high):
        upper = f" to {high}" if high is not None else " or more"
        raise ScenarioError(path, f"must be from {low}{upper}, not {given!r}")
    return given


def _seconds(given: Any, path: str) -> float:
    return float(_number(given, path, 0, YEAR_SECONDS))


def _pattern(given: Any, path: str) -> Pattern:
    if isinstance(given, str):
        return Pattern(glob=_string(given, path))
    if isinstance(given, dict):
        _object(given, path, ("regex",), required=("regex",))
        text = _string(given["regex"], f"{path}.regex")
        try:
            return Pattern(regex=re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise ScenarioError(f"{path}.regex", f"is not a regular expression: {exc}") from None
    raise ScenarioError(path, 'must be a glob (a string) or {"regex": ...}')
