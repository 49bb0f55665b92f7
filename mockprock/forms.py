"""The pages' forms (the dashboard's, the console's): what a person typed, as the bodies
and queries :mod:`mockprock.payloads` checks. A wrong field is a 400 naming it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mockprock import statuses
from mockprock.errors import bad_request
from mockprock.payloads import query_int
from mockprock.proctoring_config import PROCTORING_CONFIG

# The console shows this many attempts a page.
ATTEMPTS_PAGE_SIZE = 20
# The rules an exam may carry: those the provider's configuration describes.
EXAM_RULES = tuple(PROCTORING_CONFIG["en"]["rules"])


def attempt_filter(args: Mapping[str, str]) -> dict[str, Any]:
    """The console's attempts query: ``status``, ``q`` (text), ``page``."""
    status = args.get("status") or None
    if status is not None and status not in statuses.ATTEMPT_STATUSES:
        raise bad_request(f"unknown attempt status {status!r}", error="invalid_status")
    return {
        "status": status,
        "text": (args.get("q") or "").strip() or None,
        "page": query_int(args, "page", 1, minimum=1),
        "page_size": ATTEMPTS_PAGE_SIZE,
    }


def exam_rules(rules: Mapping[str, Any]) -> dict[str, bool]:
    """An exam's rules as the configuration view sends them: known rule names, on or off."""
    unknown = sorted(set(rules) - set(EXAM_RULES))
    if unknown:
        raise bad_request(
            f"unknown exam rule(s): {', '.join(unknown)}; one of " + ", ".join(EXAM_RULES)
        )
    for name, on in rules.items():
        if not isinstance(on, bool):
            raise bad_request(f"rule '{name}' must be true or false")
    return dict(rules)


def rules_form(form: Mapping[str, str]) -> dict[str, bool]:
    """The configuration view's checkboxes (``rule-<name>``): every rule, on or off."""
    return {name: form.get(f"rule-{name}") == "on" for name in EXAM_RULES}


def desktop_fault_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The console's desktop fault: a state, and a latency when one is typed."""
    body: dict[str, Any] = {"state": form.get("state", "")}
    if (form.get("latency_ms") or "").strip():
        body["latency_ms"] = int(number_field(form, "latency_ms"))
    return body


def onboarding_form(form: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The console's onboarding profile: the learner, and the body the control API takes."""
    user_id = (form.get("user_id") or "").strip()
    if not user_id:
        raise bad_request("name the learner (user id)")
    body = {"status": form.get("status", "")}
    if (form.get("course_id") or "").strip():
        body["course_id"] = form["course_id"].strip()
    return user_id, body


def dashboard_view(
    source: Mapping[str, str], course_id: str, user: dict[str, Any]
) -> dict[str, Any]:
    """The dashboard view a session's link names (``exam``, then ``attempt`` or
    ``config``), inside the session's course, as the claims a signed link would carry."""
    claims: dict[str, Any] = {"course_id": course_id, "user": user}
    if source.get("exam"):
        claims["exam_id"] = source["exam"]
        if source.get("attempt"):
            claims["attempt_id"] = source["attempt"]
        elif source.get("config"):
            claims["config"] = True
    return claims


def number_field(form: Mapping[str, str], name: str, default: float = 0) -> float:
    """A number typed into a form field (``default`` when empty)."""
    text = (form.get(name) or "").strip()
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise bad_request(f"field '{name}' must be a number, not {text[:40]!r}")
    return number


def verdict_form(form: Mapping[str, str], reviewed_by: str | None, source: str) -> dict[str, Any]:
    """A verdict from a page's form (status, comment, start and stop seconds, delay) as
    the body :func:`decision` reads."""
    body: dict[str, Any] = {"status": form.get("status") or "", "source": source}
    if (form.get("comment") or "").strip():
        body["comments"] = [
            {
                "comment": form["comment"].strip(),
                "start": number_field(form, "start"),
                "stop": number_field(form, "stop"),
            }
        ]
    if reviewed_by:
        body["reviewed_by"] = reviewed_by
    if (form.get("delay_seconds") or "").strip():
        body["delay_seconds"] = number_field(form, "delay_seconds")
    return body
