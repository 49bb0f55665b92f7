"""The OpenAPI description: a valid 3.1 document, describing exactly the app's routes, and
matching what a live server answers to the real LMS's requests and to bad ones."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from openapi_spec_validator import OpenAPIV31SpecValidator

from mockprock.dashboard_link import VENDOR_PATHS
from mockprock.web.app import create_app
from tests.conftest import ATTEMPT, EXAM, make_settings
from tests.helpers import ServerProcess, mockprock_argv, wire_requests
from tests.spec import (
    METHODS,
    SPEC_PATH,
    SpecMismatch,
    check_answer,
    check_response,
    pointer,
    resolve,
    spec,
    validate_schema_at,
)

CLIENT = ("abcd", "abcdsecret")
REGISTER = "/api/v1/exam/{exam_id}/attempt/"
CALLBACK_PATH = re.compile(
    r"/api/edx_proctoring/v1/proctored_exam/attempt/\{[^}]+\}/(ready|reviewed)$"
)


# -- the document ------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1():
    document = spec()
    assert document["openapi"].startswith("3.1.")
    # Its scenario schema is a file beside it (``scenario.schema.json``, served beside it).
    validator = OpenAPIV31SpecValidator(document, base_uri=SPEC_PATH.as_uri())
    errors = [e.message for e in validator.iter_errors()]
    assert errors == []


def _media_examples() -> Iterator[tuple[str, Any]]:
    """Every example of a request or response body, with where its schema is."""

    def walk(node: Any, parts: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            if "schema" in node and parts and "/" in parts[-1]:  # a media type object
                location = pointer(*parts, "schema")
                if "example" in node:
                    yield location, node["example"]
                for example in node.get("examples", {}).values():
                    yield location, resolve(example)["value"]
            for key, value in node.items():
                yield from walk(value, (*parts, key))

    yield from walk(spec(), ())


def test_every_example_matches_its_schema():
    examples = list(_media_examples())
    assert len(examples) > 30
    for location, value in examples:
        validate_schema_at(location, value)


def test_a_wrong_body_is_caught():
    """The checker itself can fail: a token answer without its token does not pass."""
    with pytest.raises(SpecMismatch, match="access_token"):
        check_answer(
            "POST", "/oauth2/access_token", 200, "application/json", b'{"token_type": "JWT"}'
        )
    with pytest.raises(SpecMismatch, match="does not describe"):
        check_answer("GET", "/api/v1/config/", 418, "application/json", b"{}")


def _flask_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue  # the console's CSS, not an API
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD"}:
            # Flask answers OPTIONS on every route by itself; only the desktop routes
            # answer it on purpose (CORS preflight), and those are described.
            if method == "OPTIONS" and rule.provide_automatic_options:
                continue
            operations.add((path, method.lower()))
    return operations


def test_every_route_is_described_and_every_described_route_exists(tmp_path):
    app = create_app(make_settings(tmp_path))
    try:
        served = _flask_operations(app)
    finally:
        app.extensions["mockprock"].close()
    described = {
        (path, method)
        for path, item in spec()["paths"].items()
        for method in item
        if method in METHODS
    }
    # A vendor's path is the operation of mockprock's own path (x-vendor-paths says which).
    aliases = {
        (vendor, method)
        for backend, paths in spec()["x-vendor-paths"].items()
        if backend != "description"
        for vendor, own in paths.items()
        for method in spec()["paths"][own]
        if method in METHODS
    }
    assert aliases <= served, "vendor paths the app does not serve"
    assert served - aliases - described == set(), "routes the document does not describe"
    assert described - served == set(), "described routes the app does not have"


def test_the_vendor_paths_of_the_document_are_the_servers_table():
    table = {
        backend: {
            re.sub(r"<([^>]+)>", r"{\1}", vendor): re.sub(r"<([^>]+)>", r"{\1}", own)
            for own, vendor in paths.items()
        }
        for backend, paths in VENDOR_PATHS.items()
    }
    described = {k: v for k, v in spec()["x-vendor-paths"].items() if k != "description"}
    assert described == table


def test_callbacks_are_described_on_registration():
    callbacks = spec()["paths"][REGISTER]["post"]["callbacks"]
    assert set(callbacks) == {"ready", "reviewed"}
    for kind, item in callbacks.items():
        (expression,) = item
        assert expression.startswith("{$request.body#/lms_host}")
        assert CALLBACK_PATH.search(expression).group(1) == kind


def test_served_without_credentials_as_json(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == spec()


# -- a live server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    """One live server on loopback for this module's requests."""
    db = tmp_path_factory.mktemp("openapi") / "live.sqlite"
    process = ServerProcess(
        mockprock_argv(db, "--review-delay", "3600", "--ready-delay", "3600", "--upload-delay", "0")
    ).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def token(server: ServerProcess) -> str:
    response = requests.post(
        server.url + "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
        },
        timeout=30,
    )
    check_response(response)
    return response.json()["access_token"]


def _ids_in_order(pattern: str) -> list[str]:
    found: list[str] = []
    for line in wire_requests():
        for value in re.findall(pattern, line.get("path", "")):
            if value not in found:
                found.append(value)
    return found


def _adapt(text: str, ids: dict[str, str]) -> str:
    for old, new in ids.items():
        text = text.replace(old, new)
    return text


def _dashboard_query(path: str, ids: dict[str, str]) -> str:
    """The recorded dashboard link's claims with this run's ids, signed again (it expired)."""
    claims = jwt.decode(parse_qs_value(path, "jwt"), options={"verify_signature": False})
    claims = json.loads(_adapt(json.dumps(claims), ids))
    claims["exp"] = time.time() + 3600
    return "jwt=" + jwt.encode(claims, CLIENT[1], algorithm="HS256")


def parse_qs_value(path: str, name: str) -> str:
    query = urlsplit(path).query
    return dict(part.split("=", 1) for part in query.split("&"))[name]


@pytest.mark.live
def test_the_recorded_lms_flow_gets_answers_the_document_describes(server, token):
    """Every request the real edx-proctoring 6.1.4 sent, in order, with this run's ids."""
    exam_ids = _ids_in_order(r"/exam/([0-9a-f]{32})/")
    attempt_ids = _ids_in_order(r"/attempt/([0-9a-f]{32})/")
    ids: dict[str, str] = {}
    created_exams = registered = 0
    checked = []
    for line in wire_requests():
        if line["direction"] != "LMS -> provider":
            continue
        headers = {k: v for k, v in line["headers"].items() if k != "Authorization"}
        if "Authorization" in line["headers"]:
            headers["Authorization"] = f"JWT {token}"
        path = _adapt(line["path"], ids)
        if path.startswith("/api/v1/instructor/"):
            path = path.split("?", 1)[0] + "?" + _dashboard_query(line["path"], ids)
        body = line.get("json")
        if body is not None:
            body = json.loads(_adapt(json.dumps(body), ids))
        response = requests.request(
            line["method"],
            server.url + path,
            headers=headers,
            data=line.get("form"),
            json=body,
            timeout=30,
        )
        check_response(response)
        assert response.status_code == 200, (line["method"], path, response.text)
        template = urlsplit(path).path
        if line["method"] == "POST" and template == "/api/v1/exam/":
            ids[exam_ids[created_exams]] = response.json()["id"]
            created_exams += 1
        elif line["method"] == "POST" and template.endswith("/attempt/"):
            ids[attempt_ids[registered]] = response.json()["id"]
            registered += 1
        checked.append((line["method"], template))
    assert len(checked) == sum(
        1 for line in wire_requests() if line["direction"] != "provider -> LMS"
    )
    assert registered == 2 and created_exams == 2


def _callback_operation(kind: str) -> tuple[str, dict[str, Any]]:
    (expression, item) = next(iter(spec()["paths"][REGISTER]["post"]["callbacks"][kind].items()))
    return pointer("paths", REGISTER, "post", "callbacks", kind, expression, "post"), item["post"]


def test_the_real_lms_callback_answers_are_described():
    """The recorded callbacks and the real LMS's answers (403, 404, 400 included)."""
    recorded = [line for line in wire_requests() if line["direction"] == "provider -> LMS"]
    assert len(recorded) == 4
    for line in recorded:
        kind = line["what"].split()[0]
        location, operation = _callback_operation(kind)
        validate_schema_at(
            location + pointer("requestBody", "content", "application/json", "schema"),
            line["request_json"],
        )
        status = str(line["lms_answer_status"])
        assert status in operation["responses"], (kind, status)
        validate_schema_at(
            location + pointer("responses", status, "content", "application/json", "schema"),
            json.loads(line["lms_answer_body"]),
        )
    assert "403" in _callback_operation("ready")[1]["responses"]
    assert "403" in _callback_operation("reviewed")[1]["responses"]


def _api(server: ServerProcess, token: str, method: str, path: str, **kwargs) -> Any:
    headers = {"Authorization": f"JWT {token}", **kwargs.pop("headers", {})}
    response = requests.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
    check_response(response)
    return response


@pytest.fixture(scope="module")
def attempt(server: ServerProcess, token: str) -> dict[str, str]:
    exam = {**EXAM, "id": 9001, "content_id": EXAM["content_id"] + "-openapi"}
    exam_id = _api(server, token, "POST", "/api/v1/exam/", json=exam).json()["id"]
    attempt_id = _api(server, token, "POST", f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT)
    return {"exam": exam_id, "attempt": attempt_id.json()["id"]}


@pytest.mark.live
def test_callbacks_mockprock_queues_match_the_document(server, token, attempt):
    """The ``ready`` and ``reviewed`` bodies the server composes, as the outbox holds them."""
    exam_id, attempt_id = attempt["exam"], attempt["attempt"]
    _api(server, token, "GET", f"/download?attempt={attempt_id}&exam={exam_id}")
    _api(server, token, "POST", "/desktop/start", params={"attempt": attempt_id})
    _api(server, token, "GET", "/desktop/ping", params={"attempt": attempt_id})
    _api(server, token, "POST", "/desktop/stop", params={"attempt": attempt_id})
    path = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    _api(server, token, "PATCH", path, json={"status": "submitted"})
    callbacks = _api(
        server, token, "GET", "/mockprock/api/callbacks", params={"attempt": attempt_id}
    ).json()
    assert sorted(c["kind"] for c in callbacks) == ["ready", "reviewed"]
    for callback in callbacks:
        location, _ = _callback_operation(callback["kind"])
        validate_schema_at(
            location + pointer("requestBody", "content", "application/json", "schema"),
            callback["payload"],
        )
    _api(server, token, "GET", f"/mockprock/api/attempts/{attempt_id}")
    _api(server, token, "GET", f"/mockprock/api/attempts/{attempt_id}/desktop")
    _api(server, token, "GET", "/mockprock/api/attempts")
    _api(server, token, "GET", "/mockprock/api/requests", params={"limit": 5})
    _api(server, token, "GET", "/mockprock/api/settings")
    queued = _api(
        server,
        token,
        "POST",
        f"/mockprock/api/attempts/{attempt_id}/review",
        json={"status": "violation", "comments": ["Notes on the desk."]},
    )
    assert queued.json()["sends"] == "now"
    onboarding = f"/mockprock/api/users/{ATTEMPT['user_id']}/onboarding"
    _api(
        server,
        token,
        "PUT",
        onboarding,
        json={"status": "approved", "course_id": EXAM["course_id"]},
    )
    _api(server, token, "GET", onboarding)
    paged = f"/api/v1/courses/{EXAM['course_id']}/onboarding_statuses"
    assert _api(server, token, "GET", paged, params={"page_size": 1}).json()["count"] >= 1
    state = _api(server, token, "GET", "/mockprock/api/state").json()
    assert attempt_id in [a["id"] for a in state["attempts"]]
    loaded = _api(server, token, "PUT", "/mockprock/api/state", json=state).json()
    assert [a["id"] for a in loaded["attempts"]] == [a["id"] for a in state["attempts"]]


# -- bad requests: refusals are described too --------------------------------------------

BAD_REQUESTS = [
    # (method, path, keyword arguments, status); {exam}/{attempt} are filled in.
    ("POST", "/oauth2/access_token", {"data": {"grant_type": "password"}}, 400),
    ("POST", "/oauth2/access_token", {"data": {"grant_type": "client_credentials"}}, 400),
    (
        "POST",
        "/oauth2/access_token",
        {"data": {"grant_type": "client_credentials", "client_id": "abcd", "client_secret": "x"}},
        401,
    ),
    ("GET", "/api/v1/config/", {"headers": {"Authorization": "JWT not-a-token"}}, 401),
    ("GET", "/api/v1/config/", {"headers": {"Authorization": ""}}, 401),
    (
        "POST",
        "/api/v1/exam/",
        {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("POST", "/api/v1/exam/", {"json": {"id": 1}}, 400),
    ("POST", "/api/v1/exam/", {"json": [1, 2]}, 400),
    ("POST", "/api/v1/exam/", {"data": b" " * (1024 * 1024 + 1)}, 413),
    ("GET", "/api/v1/exam/no-such-exam/", {}, 404),
    ("POST", "/api/v1/exam/no-such-exam/attempt/", {"json": ATTEMPT}, 404),
    ("POST", "/api/v1/exam/{exam}/attempt/", {"json": {**ATTEMPT, "status": "started"}}, 400),
    ("PATCH", "/api/v1/exam/{exam}/attempt/{attempt}/", {"json": {"status": "cheating"}}, 400),
    ("DELETE", "/api/v1/exam/{exam}/attempt/no-such-attempt/", {}, 404),
    (
        "GET",
        "/api/v1/courses/course-v1:edX+DemoX+Demo_Course/onboarding_statuses",
        {"params": {"status": "nope"}},
        400,
    ),
    (
        "GET",
        "/api/v1/courses/course-v1:edX+DemoX+Demo_Course/onboarding_statuses",
        {"params": {"page": 999}},
        404,
    ),
    ("GET", "/api/v1/instructor/abcd/", {"params": {"jwt": "expired.or.bad"}}, 403),
    ("GET", "/download", {}, 400),
    ("GET", "/desktop/ping", {"params": {"attempt": "no-such-attempt"}}, 404),
    ("OPTIONS", "/desktop/start", {"headers": {"Origin": "http://localhost:2000"}}, 204),
    ("GET", "/mockprock/api/settings", {"headers": {"Authorization": ""}}, 401),
    ("GET", "/mockprock/api/settings", {"auth": ("abcd", "wrong")}, 401),
    ("PATCH", "/mockprock/api/settings", {"json": {"port": 1}}, 400),
    ("PUT", "/mockprock/api/attempts/{attempt}/desktop", {"json": {"state": "melted"}}, 400),
    ("POST", "/mockprock/api/attempts/no-such-attempt/review", {"json": {"status": "passed"}}, 404),
    ("GET", "/mockprock/api/callbacks", {"params": {"limit": 0}}, 400),
    ("POST", "/mockprock/api/callbacks/987654/retry", {}, 404),
    ("PUT", "/mockprock/api/state", {"json": {"mockprock_state": 2}}, 400),
]


@pytest.mark.live
@pytest.mark.parametrize(("method", "path", "kwargs", "status"), BAD_REQUESTS)
def test_refusals_match_the_document(server, token, attempt, method, path, kwargs, status):
    path = path.format(**attempt)
    response = _api(server, token, method, path, **kwargs)
    assert response.status_code == status, response.text


@pytest.mark.live
def test_desktop_refusals_match_the_document(server, token):
    exam = {**EXAM, "id": 9002, "content_id": EXAM["content_id"] + "-desktop"}
    exam_id = _api(server, token, "POST", "/api/v1/exam/", json=exam).json()["id"]
    attempt_id = _api(
        server, token, "POST", f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT
    ).json()["id"]
    params = {"attempt": attempt_id}
    assert _api(server, token, "GET", "/desktop/ping", params=params).status_code == 409
    fault = f"/mockprock/api/attempts/{attempt_id}/desktop"
    _api(server, token, "PUT", fault, json={"state": "not_installed"})
    assert _api(server, token, "POST", "/desktop/start", params=params).status_code == 503
    # No attempt named, from a page that is not the LMS's: the described 403.
    foreign = {"Origin": "https://evil.example"}
    assert _api(server, token, "POST", "/desktop/start", headers=foreign).status_code == 403


@pytest.mark.live
def test_a_method_a_path_does_not_take_is_the_described_405(server, token):
    response = requests.post(
        server.url + "/api/v1/config/", headers={"Authorization": f"JWT {token}"}, timeout=30
    )
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    validate_schema_at(
        pointer("components", "responses", "MethodNotAllowed", "content", "application/json")
        + pointer("schema"),
        response.json(),
    )


@pytest.mark.live
def test_openapi_json_is_served_by_the_live_server(server):
    response = requests.get(server.url + "/openapi.json", timeout=30)
    check_response(response)
    assert response.json() == spec()


@pytest.mark.live
def test_scenario_answers_match_the_document(server, token):
    example = json.loads((SPEC_PATH.parent.parent / "docs" / "scenario.example.json").read_text())
    try:
        loaded = _api(server, token, "PUT", "/mockprock/api/scenario", json=example)
        assert loaded.status_code == 200
        assert _api(server, token, "GET", "/mockprock/api/scenario").json()["rules"] == 5
        bad = {"rules": [{"match": {}, "then": {"verdict": "cheating"}}]}
        refused = _api(server, token, "PUT", "/mockprock/api/scenario", json=bad)
        assert refused.status_code == 400
    finally:
        cleared = _api(server, token, "DELETE", "/mockprock/api/scenario")
    assert cleared.json()["scenario"] is None
    schema = requests.get(server.url + "/scenario.schema.json", timeout=30)
    check_response(schema)
    assert schema.json()["title"] == "mockprock scenario"
