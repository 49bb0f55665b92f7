"""Property-based fuzzing of a live server: schemathesis cases from the OpenAPI description
for every operation, and hypothesis strategies for hostile values (JSON
nested past any parser's stack, integers past SQLite's, NaN and 1e400, lone surrogates).

Every answer is below 500, matches the document, and a refusal changes nothing in the
store (see ``tests/fuzzing.py``). Example counts are bounded so that the whole module
stays within a few minutes on two cores; ``benchmarks/fuzz.py`` runs longer.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzzing import (
    DEEP_JSON,
    HOSTILE_NUMBERS,
    HOSTILE_PATHS,
    HOSTILE_QUERIES,
    HOSTILE_TEXT,
    JSON_ROUTES,
    Target,
    case_strategy,
    hostile_body,
    json_text,
    operations,
)
from tests.helpers import ServerProcess, mockprock_argv

pytestmark = pytest.mark.live

# Examples per operation (34 operations) and per hostile route: about 700 requests.
EXAMPLES = 15
HOSTILE_EXAMPLES = 12
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ folder; the same examples on every run
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure names its request
    suppress_health_check=list(HealthCheck),
)
OPERATIONS = operations()


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[Target]:
    """One live server for the module, no LMS credentials (no callback leaves it)."""
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    process = ServerProcess(
        mockprock_argv(db, "--review-delay", "3600", "--ready-delay", "3600", "--upload-delay", "0")
    ).start()
    try:
        yield Target(process.url, db).prepare()
    finally:
        process.stop()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_every_operation_answers_as_described(target, operation):
    """Cases that fit the document and cases that do not: no 5xx, described answers."""

    @FUZZ
    @given(case=case_strategy(operation), aim=st.data())
    def fuzz(case, aim):
        target.send(case, lambda name: aim.draw(st.booleans(), label=name))

    fuzz()


def _route(path: str, target: Target, value: str = "") -> str:
    return path.format(value=value, **target.ids)


@pytest.mark.parametrize(
    ("method", "path", "template", "fields"), JSON_ROUTES, ids=lambda v: str(v)[:40]
)
def test_hostile_values_in_bodies_are_refused(target, method, path, template, fields):
    """An integer past SQLite's range, NaN, 1e400 or a lone surrogate in any field: a 400."""

    @settings(FUZZ, max_examples=HOSTILE_EXAMPLES)
    @given(name=st.sampled_from(fields), value=st.one_of(HOSTILE_NUMBERS, HOSTILE_TEXT))
    def fuzz(name, value):
        body = hostile_body(template, name, json_text(value))
        response = target.send_raw(method, _route(path, target), body)
        assert response.status_code == 400, (name, value, response.text)
        assert response.json()["error"] in ("invalid_request", "malformed_json", "invalid_setting")

    fuzz()


@pytest.mark.parametrize(
    ("method", "path", "template", "_"), JSON_ROUTES, ids=lambda v: str(v)[:40]
)
def test_deep_json_is_refused_before_parsing(target, method, path, template, _):
    """JSON nested deeper than 32 levels, as the whole body or in a field: a clear 400."""

    @settings(FUZZ, max_examples=4)
    @given(deep=DEEP_JSON, whole=st.booleans())
    def fuzz(deep, whole):
        body = deep.encode() if whole else hostile_body(template, next(iter(template)), deep)
        response = target.send_raw(method, _route(path, target), body)
        assert response.status_code == 400, response.text
        assert "nested deeper than 32" in response.json()["detail"]

    fuzz()


@pytest.mark.parametrize(("path", "name"), HOSTILE_QUERIES)
def test_hostile_query_integers_are_refused(target, path, name):
    @settings(FUZZ, max_examples=HOSTILE_EXAMPLES)
    @given(value=st.one_of(HOSTILE_NUMBERS.map(str), st.sampled_from(["1_0", " 1", "0x10"])))
    def fuzz(value):
        response = target.send_raw("GET", _route(path, target), params={name: value})
        assert response.status_code == 400, (value, response.text)

    fuzz()


@pytest.mark.parametrize(("method", "path"), HOSTILE_PATHS)
def test_hostile_path_segments_are_answered(target, method, path):
    """Huge numbers and lone surrogates (as UTF-8 bytes no decoder accepts) in a path."""
    segment = st.one_of(
        HOSTILE_NUMBERS.map(str),
        HOSTILE_TEXT.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")),
    )

    @settings(FUZZ, max_examples=HOSTILE_EXAMPLES)
    @given(value=segment)
    def fuzz(value):
        response = target.send_raw(method, _route(path, target, value))
        assert response.status_code in (200, 400, 404), (value, response.text)

    fuzz()


def test_oversized_url_and_headers_are_json(target):
    """Past the app's limits (16 KB of URL, 32 KB of headers) and below the HTTP server's."""
    long_url = target.send_raw("GET", "/api/v1/config/", params={"x": "a" * 40_000})
    assert long_url.status_code == 414
    assert long_url.json()["error"] == "request_uri_too_long"
    big_header = target.send_raw("GET", "/api/v1/config/", headers={"X-Big": "b" * 40_000})
    assert big_header.status_code == 431
    assert big_header.json()["error"] == "request_header_fields_too_large"
