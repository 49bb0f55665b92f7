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
