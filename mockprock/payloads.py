"""Parsing and validation of every request body: one validator, no Flask.

The provider API, the control API, the OAuth endpoint and the desktop routes all read
their input through :func:`value` (one field) and :func:`parse` (many): a wrong type,
a missing field or a value outside its choices is a 400 that names the field, and
nothing is changed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mockprock import statuses
from mockprock.config import YEAR_SECONDS
from mockprock.errors import ProviderError, bad_request

# The largest page a list gives (the onboarding statuses, the control API's attempts),
# and the one the onboarding statuses endpoint gives unasked.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# The longest injected desktop latency: longer than any timeout the LMS gives the worker.
MAX_LATENCY_MS = 120_000
NUMBER = (int, float)
# SQLite keeps an integer in 8 bytes: a larger one could not be stored.
MIN_SQL_INT, MAX_SQL_INT = -(2**63), 2**63 - 1
# A body nested deeper is refused before it is parsed: no request of the LMS or the control
# API nests more than 4 levels, and parsing (or redacting) 1,000 levels would recurse.
MAX_JSON_DEPTH = 32
# The longest URL and the largest header block the app answers; beyond, a JSON 414 or 431
# (a server's own limit, 64 KB and more, answers before the app sees anything).
MAX_URL_BYTES = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024


@dataclass(frozen=True)
class Field:
    """One field of a request body: its accepted types, whether it must be there, the
    values it may take, and an extra check returning what is wrong (or None)."""

    name: str
    kinds: tuple[type, ...]
    required: bool = False
    choices: Collection[Any] | None = None
    check: Callable[[Any], str | None] | None = None
    error: str = "invalid_request"  # the error code of a value outside its choices


def _type_names(kinds: tuple[type, ...]) -> str:
    names = {int: "integer", float: "number", str: "string", dict: "object", list: "list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def value(payload: Mapping[str, Any], spec: Field) -> Any:
    """``payload[spec.name]`` checked against ``spec`` (None when absent and optional)."""
    if spec.name not in payload or payload[spec.name] is None:
        if spec.required:
            raise bad_request(f"missing required field '{spec.name}'")
        return None
    found = payload[spec.name]
    # bool is an int in Python; a JSON true where a number belongs is still wrong.
    if not isinstance(found, spec.kinds) or (isinstance(found, bool) and bool not in spec.kinds):
        raise bad_request(f"field '{spec.name}' must be {_type_names(spec.kinds)}")
    if spec.choices is not None and found not in spec.choices:
        raise bad_request(
            f"field '{spec.name}' must be one of {', '.join(map(str, spec.choices))}, "
            f"not {found!r}",
            error=spec.error,
        )
    if spec.check is not None:
        complaint = spec.check(found)
        if complaint:
            raise bad_request(f"field '{spec.name}' {complaint}")
    return found


def parse(payload: Mapping[str, Any], *specs: Field) -> dict[str, Any]:
    """Every field of ``specs`` from ``payload``, checked; absent optional ones are None."""
    return {spec.name: value(payload, spec) for spec in specs}


def _refuse_constant(name: str) -> Any:
    raise bad_request(f"malformed JSON: {name} is not a JSON number", error="malformed_json")


def _check_depth(raw: bytes) -> None:
    """A 400 for a body nested deeper than MAX_JSON_DEPTH, found without parsing it."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return
    # Brackets inside strings do not count: drop escapes, then the strings themselves.
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = re.sub(rb"[^\[\]{}]", b"", re.sub(rb'"[^"]*"', b"", text))
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise bad_request(
                f"malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels",
                error="malformed_json",
            )


def _check_values(data: Any, where: str) -> None:
    """A 400 naming the first value the store could not keep: an integer outside SQLite's
    range, a number that is not finite (1e400), text that is not valid Unicode (a lone
    surrogate such as "\\ud800", which no UTF-8 encodes)."""
    if isinstance(data, dict):
        for key, item in data.items():
            _check_text(key, f"a key in {where or 'the body'}")
            _check_values(item, f"{where}.{key}" if where else key)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _check_values(item, f"{where}[{index}]")
    elif isinstance(data, str):
        _check_text(data, f"field '{where}'")
    elif isinstance(data, bool) or data is None:
        return
    elif isinstance(data, int) and not MIN_SQL_INT <= data <= MAX_SQL_INT:
        raise bad_request(
            f"field '{where}' must be an integer between {MIN_SQL_INT} and {MAX_SQL_INT}"
        )
    elif isinstance(data, float) and not math.isfinite(data):
        raise bad_request(f"field '{where}' must be a finite number")


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request(f"{what} is not valid Unicode text (a lone surrogate)") from None


def json_value(raw: bytes) -> Any:
    """A JSON request body, parsed only when it is safe to (see :func:`_check_depth`) and
    holding only values the store can keep (see :func:`_check_values`); else a 400."""
    _check_depth(raw)
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"malformed JSON: {exc}", error="malformed_json") from None
    _check_values(data, "")
    return data


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object, or a 400 saying what is wrong with it."""
    if not raw.strip():
        raise bad_request("the request needs a JSON object body")
    data = json_value(raw)
    if not isinstance(data, dict):
        raise bad_request("the JSON body must be an object", error="malformed_json")
    return data


def query_int(
    args: Mapping[str, str],
    name: str,
    default: int,
    minimum: int = MIN_SQL_INT,
    maximum: int = MAX_SQL_INT,
) -> int:
    """An integer query parameter (``default`` when absent), from ``minimum`` to ``maximum``
    (by default SQLite's range)."""
    text = args.get(name)
    if text is None or text == "":
        return default
    # int() reads at most 4,300 digits and takes "1_000" and " 1": only plain digits here.
    if not re.fullmatch(r"-?[0-9]+", text):
        raise bad_request(f"query parameter '{name}' must be an integer")
    number = int(text) if len(text) <= 30 else MAX_SQL_INT + 1  # far out of range either way
    if not minimum <= number <= maximum:
        if maximum == MAX_SQL_INT:
            raise bad_request(f"{name} must be {minimum} or more")
        raise bad_request(f"{name} must be from {minimum} to {maximum}")
    return number


def query_list(
    args: Mapping[str, str], name: str, choices: Collection[str], what: str
) -> list[str]:
    """A comma-separated query parameter whose items must be among ``choices``."""
    items = [s for s in (args.get(name) or "").split(",") if s]
    unknown = sorted(set(items) - set(choices))
    if unknown:
        raise bad_request(f"unknown {what}: {', '.join(unknown)}; one of {', '.join(choices)}")
    return items


def _not_negative(number: Any) -> str | None:
    return "must be a number of seconds, 0 or more" if number < 0 else None


def _delay(number: Any) -> str | None:
    if 0 <= number <= YEAR_SECONDS:
        return None
    return f"must be a number of seconds from 0 to {YEAR_SECONDS}"


def _url_length(text: Any) -> str | None:
    return None if len(text) <= MAX_URL_BYTES else f"must be at most {MAX_URL_BYTES} characters"


def _latency(number: Any) -> str | None:
    return None if 0 <= number <= MAX_LATENCY_MS else f"must be from 0 to {MAX_LATENCY_MS}"


# -- the provider API ------------------------------------------------------------------


def exam(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The exam the LMS posted, normalised (both the wire and the documented names)."""
    name_key = "exam_name" if payload.get("exam_name") is not None else "name"
    practice_key = "is_practice_exam" if "is_practice_exam" in payload else "is_practice"
    found = parse(
        payload,
        Field("id", (int, str), required=True),
        Field("course_id", (str,), required=True),
        Field("content_id", (str,), required=True),
        Field(name_key, (str,), required=True),
        Field("time_limit_mins", (int,)),
        Field("is_proctored", (bool,)),
        Field(practice_key, (bool,)),
        Field("is_active", (bool,)),
        Field("due_date", (str,)),
        Field("hide_after_due", (bool,)),
        Field("backend", (str,)),
        Field("rules", (dict,)),
    )
    return {
        "lms_exam_id": found["id"],
        "course_id": found["course_id"],
        "content_id": found["content_id"],
        "exam_name": found[name_key],
        "time_limit_mins": found["time_limit_mins"],
        "is_proctored": True if found["is_proctored"] is None else found["is_proctored"],
        "is_practice_exam": found[practice_key],
        "is_active": True if found["is_active"] is None else found["is_active"],
        "due_date": found["due_date"],
        "hide_after_due": found["hide_after_due"],
        "backend": found["backend"],
        "rules": found["rules"] or {},
    }


def new_attempt(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The attempt the LMS registers; its status must be ``created``."""
    found = parse(
        payload,
        Field("status", (str,)),
        Field("lms_host", (str,), required=True),
        Field("user_id", (str, int), required=True),
        Field("full_name", (str,)),
        Field("email", (str,)),
        Field("time_limit_mins", (int,)),
        Field("is_sample_attempt", (bool,)),
        Field("review_policy", (str,)),
        Field("review_policy_exception", (str,)),
        # Proctortrack's backend: where the learner goes back to (kept; linked only to an
        # allowed origin, by the learner page).
        Field("exam_return_url", (str,), check=_url_length),
    )
    if (found["status"] or statuses.CREATED) != statuses.CREATED:
        raise bad_request(f"a new attempt's 'status' must be '{statuses.CREATED}'")
    return {
        **found,
        "user_id": str(found["user_id"]),
        "is_sample_attempt": bool(found["is_sample_attempt"]),
        "status": statuses.CREATED,
    }


def attempt_status(payload: Mapping[str, Any]) -> str:
    """The status a PATCH moves an attempt to: one of edx-proctoring's."""
    status = value(payload, Field("status", (str,), required=True))
    if status not in statuses.ATTEMPT_STATUSES:
        raise bad_request(f"unknown attempt status {status!r}", error="invalid_status")
    return status


def onboarding_filter(args: Mapping[str, str]) -> dict[str, Any]:
    """The onboarding statuses query: ``status`` filter, ``page`` and ``page_size``."""
    found = {
        "statuses": query_list(
            args, "status", statuses.ONBOARDING_STATUSES, "onboarding status filter"
        ),
        "page": query_int(args, "page", 1),
        "page_size": query_int(args, "page_size", DEFAULT_PAGE_SIZE),
    }
    if found["page"] < 1 or not 1 <= found["page_size"] <= MAX_PAGE_SIZE:
        raise bad_request(f"page must be 1 or more and page_size between 1 and {MAX_PAGE_SIZE}")
    return found


# -- the control API ---------------------------------------------------------------


def decision(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A verdict queued by hand: status, comments, reviewed_by, delay_seconds, source."""
    found = parse(
        payload,
        Field(
            "status",
            (str,),
            required=True,
            choices=statuses.REVIEW_STATUSES,
            error="invalid_status",
        ),
        Field("comments", (list,)),
        Field("reviewed_by", (str,)),
        Field("delay_seconds", NUMBER, check=_delay),
        Field("source", (str,), choices=statuses.DECISION_SOURCES),
    )
    found["comments"] = comments(found["comments"], found["status"])
    found["source"] = found["source"] or statuses.DECISION_BY_CONTROL_API
    return found


def comments(given: list[Any] | None, verdict: str) -> list[dict[str, Any]]:
    """Comments given with a decision, completed to the shape the LMS stores: each is a
    string or an object with ``comment`` and optional ``status``, ``start``, ``stop``."""
    out = []
    for index, item in enumerate(given or []):
        if isinstance(item, str):
            item = {"comment": item}
        if not isinstance(item, dict) or not isinstance(item.get("comment"), str):
            raise bad_request(f"comment {index} must be a string or an object with 'comment'")
        try:
            found = parse(
                {"status": verdict, "start": 0, "stop": 0, **item},
                Field("status", (str,)),
                Field("start", NUMBER, check=_not_negative),
                Field("stop", NUMBER, check=_not_negative),
            )
        except ProviderError as exc:
            raise bad_request(f"comment {index}: {exc.detail}") from None
        out.append({"comment": item["comment"], **found})
    return out


def desktop_fault(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{state: running|crashed|not_installed, latency_ms?}``."""
    return parse(
        payload,
        Field(
            "state", (str,), required=True, choices=statuses.DESKTOP_STATES, error="invalid_state"
        ),
        Field("latency_ms", (int,), check=_latency),
    )


def onboarding_setting(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{status: approved|rejected|pending|expired|none, course_id?}``."""
    return parse(
        payload,
        Field(
            "status",
            (str,),
            required=True,
            choices=statuses.PROFILE_SETTINGS,
            error="invalid_status",
        ),
        Field("course_id", (str,)),
    )


def attempt_listing(args: Mapping[str, str]) -> dict[str, Any]:
    """The control API's attempts query: ``page_size`` (none: every attempt) and ``page``
    (from 1), ``newest`` (newest first, with the exam's name, as the console and
    ``mockprock status`` list them), ``id`` (ids starting with it)."""
    # A larger page_size gets the largest page.
    size = min(query_int(args, "page_size", 0, minimum=1), MAX_PAGE_SIZE)
    page = query_int(args, "page", 1, minimum=1)
    prefix = (args.get("id") or "").strip().lower()
    return {
        "limit": size or None,
        # Past the last page is an empty page, never an integer SQLite cannot hold.
        "offset": min((page - 1) * size, 2**62),
        "newest": args.get("newest", "") not in ("", "0", "false"),
        "id_prefix": prefix or None,
    }


def callback_filter(args: Mapping[str, str]) -> dict[str, Any]:
    """The outbox listing's query: state, attempt, kind, limit."""
    return {
        "states": tuple(query_list(args, "state", statuses.CALLBACK_STATES, "callback state")),
        "attempt_id": args.get("attempt"),
        "kind": args.get("kind"),
        "limit": query_int(args, "limit", 1000, minimum=1),
    }
