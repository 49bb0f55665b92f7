"""Fuzzing a live server from its OpenAPI description (schemathesis) and with hostile values
(hypothesis): the cases, how one is sent, and what every answer must satisfy.

Shared by ``tests/test_fuzz.py`` (bounded example counts, in ``make test``) and
``benchmarks/fuzz.py`` (a long random run that prints its figures).

A case is sent with credentials (a provider token, or HTTP Basic on the control API) and
must get an answer below 500 that the document describes; a refused one (4xx) must leave
the store as it was: the dump of every table but the journal (which records every request
by design) is compared before and after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.helpers import ATTEMPT, EXAM
from tests.spec import SPEC_PATH, check_answer

CLIENT = ("abcd", "abcdsecret")
# The server runs with no LMS credentials, so that no callback ever leaves it (a fuzzed
# lms_host names any host): the fuzz may not give it credentials or an LMS URL either.
WITHHELD_SETTINGS = ("lms_url", "lms_client_id", "lms_client_secret")
# Kept out of the random runs: a reset wipes the known exam and attempt the cases aim at
# (it is sent once at the end of a run, and the suite tests it elsewhere), and so does a
# state put in its place (the document's own example is an empty state; test_snapshots
# sends it every kind of bad document).
SKIPPED = {("POST", "/mockprock/api/reset"), ("PUT", "/mockprock/api/state")}


def load_schema() -> Any:
    return schemathesis.openapi.from_path(SPEC_PATH)


def operations() -> list[Any]:
    """Every operation of the document, but :data:`SKIPPED`."""
    found = [result.ok() for result in load_schema().get_all_operations()]
    return [op for op in found if (op.method.upper(), op.path) not in SKIPPED]


def case_strategy(operation: Any) -> st.SearchStrategy[Any]:
    """Cases that fit the document and cases that do not, for one operation."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def store_dump(db: Path) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table but the journal, read without writing."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'journal' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return [
            (table, connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall())
            for table in tables
        ]
    finally:
        connection.close()


@dataclass
class Target:
    """A live server under fuzz: its URL, its store, a token, and ids of real objects."""

    url: str
    db: Path
    token: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)
    sent: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    def prepare(self) -> Target:
        """A token, and one exam and attempt the cases may aim at."""
        answer = self.session.post(
            self.url + "/oauth2/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT[0],
                "client_secret": CLIENT[1],
            },
            timeout=30,
        )
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        auth = {"Authorization": f"JWT {self.token}"}
        exam = {**EXAM, "id": 424242, "content_id": EXAM["content_id"] + "-fuzz"}
        exam_id = self.session.post(
            self.url + "/api/v1/exam/", json=exam, headers=auth, timeout=30
        ).json()["id"]
        attempt_id = self.session.post(
            self.url + f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth, timeout=30
        ).json()["id"]
        self.ids = {
            "exam_id": exam_id,
            "attempt_id": attempt_id,
            "user_id": ATTEMPT["user_id"],
            "course_id": EXAM["course_id"],
        }
        return self

    def credentials(self, path: str) -> dict[str, str]:
        if path.startswith("/mockprock/api/"):
            return {}  # HTTP Basic, given to requests as auth
        return {"Authorization": f"JWT {self.token}"}

    def send(self, case: Any, aim: Callable[[str], bool] = lambda name: False) -> Any:
        """Send one schemathesis case; check its answer (see the module's docstring).

        ``aim(name)`` says whether a path parameter should name the known object instead of
        the generated value (so that cases reach real exams and attempts too)."""
        for name in list(case.path_parameters or {}):
            if name in self.ids and aim(name):
                case.path_parameters[name] = self.ids[name]
        if isinstance(case.body, dict) and case.path == "/mockprock/api/settings":
            for name in WITHHELD_SETTINGS:
                case.body.pop(name, None)
        case.headers = {
            **{k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"},
            **self.credentials(case.path),
        }
        before = store_dump(self.db)
        response = case.call(
            base_url=self.url,
            session=self.session,
            auth=CLIENT if case.path.startswith("/mockprock/api/") else None,
            timeout=30,
        )
        self.count(response.status_code)
        check_sent(response, before, self.db, case.path)
        return response

    def send_raw(self, method: str, path: str, body: bytes | None = None, **kwargs: Any) -> Any:
        """Send bytes as they are (a hostile body, a hostile path); check the answer."""
        headers = {**self.credentials(path), **kwargs.pop("headers", {})}
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        before = store_dump(self.db)
        response = self.session.request(
            method,
            self.url + path,
            data=body,
            headers=headers,
            auth=CLIENT if path.startswith("/mockprock/api/") else None,
            timeout=30,
            **kwargs,
        )
        self.count(response.status_code)
        check_sent(response, before, self.db, path)
        return response

    def count(self, status: int) -> None:
        self.sent += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1


class ServerFault(AssertionError):
    """An answer of 500 or more where the document describes none."""


def content_type(response: Any) -> str | None:
    """The Content-Type of a ``requests`` or a schemathesis response (lists of values)."""
    for name, value in response.headers.items():
        if name.lower() == "content-type":
            return value[0] if isinstance(value, list) else value
    return None


def check_sent(response: Any, before: Any, db: Path, path: str) -> None:
    """No 5xx (but the desktop application's described 503 for a set fault), an answer
    the document describes, and nothing changed by a refusal."""
    status = response.status_code
    if status >= 500 and not (path.startswith("/desktop/") and status == 503):
        raise ServerFault(
            f"{response.request.method} {response.request.path_url[:300]} -> {status}: "
            f"{response.content[:300]!r}"
        )
    check_answer(
        response.request.method,
        response.request.path_url,
        status,
        content_type(response),
        response.content,
    )
    if 400 <= status < 500 and not path.startswith("/desktop/"):
        after = store_dump(db)
        assert after == before, f"a refused request ({status}) changed the store: {path}"


# -- hostile values ---------------------------------------------------------------------

SQL_LIMIT = 2**63


class RawJson(str):
    """JSON text put in a body as it is (a number no encoder writes: 1e400, NaN)."""


# Values the store cannot keep or a parser chokes on; each goes where a field is read.
HOSTILE_NUMBERS = st.one_of(
    st.integers(min_value=SQL_LIMIT, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-SQL_LIMIT - 1),
    st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1" * 5000]).map(RawJson),
)
LONE_SURROGATES = st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)
HOSTILE_TEXT = st.builds(
    lambda before, surrogate, after: before + surrogate + after,
    st.text(max_size=5),
    LONE_SURROGATES,
    st.text(max_size=5),
)


def nested(depth: int, leaf: str = "1") -> str:
    """JSON text nested ``depth`` levels deep, arrays and objects alternating."""
    opening = "".join('{"a":' if i % 2 else "[" for i in range(depth))
    closing = "".join("}" if i % 2 else "]" for i in reversed(range(depth)))
    return opening + leaf + closing


DEEP_JSON = st.integers(min_value=33, max_value=5000).map(nested)


def hostile_body(template: dict[str, Any], name: str, raw_value: str) -> bytes:
    """``template`` as JSON with the field ``name`` set to ``raw_value`` (JSON text as is)."""
    marker = "\u0000HOSTILE\u0000"
    text = json.dumps({**template, name: marker})
    return text.replace(json.dumps(marker), raw_value).encode()


def json_text(value: Any) -> str:
    """A value as JSON text (:class:`RawJson` as it is)."""
    if isinstance(value, RawJson):
        return str(value)
    return json.dumps(value)  # a lone surrogate becomes its \\udXXX escape, as a client sends


# The JSON routes with a body, a valid body for each, and where the hostile values go.
JSON_ROUTES: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    (
        "POST",
        "/api/v1/exam/",
        {**EXAM, "id": 77, "content_id": "block-hostile"},
        ("id", "time_limit_mins", "exam_name", "course_id", "rules"),
    ),
    (
        "POST",
        "/api/v1/exam/{exam_id}/attempt/",
        ATTEMPT,
        ("time_limit_mins", "full_name", "user_id", "email"),
    ),
    ("PATCH", "/api/v1/exam/{exam_id}/attempt/{attempt_id}/", {"status": "started"}, ("status",)),
    (
        "PATCH",
        "/mockprock/api/settings",
        {"review_delay_seconds": 5},
        (
            "review_delay_seconds",
            "ready_delay_seconds",
            "upload_delay_seconds",
            "onboarding_valid_days",
            "callback_retry_seconds",
            "callback_backoff_seconds",
        ),
    ),
    (
        "POST",
        "/mockprock/api/attempts/{attempt_id}/review",
        {"status": "violation"},
        ("delay_seconds", "reviewed_by", "comments"),
    ),
    ("PUT", "/mockprock/api/attempts/{attempt_id}/desktop", {"state": "running"}, ("latency_ms",)),
    (
        "PUT",
        "/mockprock/api/users/{user_id}/onboarding",
        {"status": "approved"},
        ("course_id", "status"),
    ),
]

# Query parameters and path segments read as integers or as text.
HOSTILE_QUERIES: list[tuple[str, str]] = [
    ("/mockprock/api/callbacks", "limit"),
    ("/mockprock/api/requests", "limit"),
    ("/api/v1/courses/{course_id}/onboarding_statuses", "page"),
    ("/api/v1/courses/{course_id}/onboarding_statuses", "page_size"),
]
HOSTILE_PATHS: list[tuple[str, str]] = [
    ("POST", "/mockprock/api/callbacks/{value}/retry"),
    ("GET", "/api/v1/exam/{value}/"),
    ("GET", "/api/v1/exam/{exam_id}/attempt/{value}/"),
    ("GET", "/api/v1/courses/{value}/onboarding_statuses"),
    ("GET", "/mockprock/api/users/{value}/onboarding"),
    ("DELETE", "/api/v1/user/{value}/"),
]
