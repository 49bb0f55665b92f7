"""The kit's parts without servers: its request shapes against the wire recording of
edx-proctoring 6.1.4, check selection, and the text, JUnit XML and JSON reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.conformance import report, shapes
from mockprock.conformance.model import FAIL, PASS, SKIP, Exchange, Result, summary_line
from mockprock.conformance.registry import AREAS, CHECKS, selected
from mockprock.conformance.runner import run_conformance  # noqa: F401  (registers checks)
from tests.helpers import wire_requests


def _recorded(method: str, path_start: str) -> dict:
    return next(
        r
        for r in wire_requests()
        if r["direction"] == "LMS -> provider"
        and r["method"] == method
        and r["path"].startswith(path_start)
    )


def test_the_kit_sends_the_shapes_edx_proctoring_sends() -> None:
    exam = _recorded("POST", "/api/v1/exam/")
    assert set(shapes.exam(1, "x")) == set(exam["json"])
    resave = shapes.exam(1, "x", "a39a4e50f5fa48129b3301df578a5e98")
    for name, value in exam["json"].items():
        if value is not None:
            assert type(resave[name]) is type(value), name
    attempt = next(
        r for r in wire_requests() if r.get("method") == "POST" and r["path"].endswith("/attempt/")
    )
    sent = shapes.attempt("http://lms", "u", "n", "e@example.com")
    assert set(sent) == set(attempt["json"])
    assert sent["status"] == attempt["json"]["status"] == "created"
    token = _recorded("POST", "/oauth2/access_token")
    assert shapes.token_form("abcd", "abcdsecret") == token["form"]
    assert {k: v for k, v in exam["headers"].items() if k != "Authorization"} == shapes.JSON_HEADERS
    config = _recorded("GET", "/api/v1/config/")
    assert shapes.LANGUAGE_HEADER["Accept-Language"] == config["headers"]["Accept-Language"]
    patched = {r["json"]["status"] for r in wire_requests() if r.get("method") == "PATCH"}
    assert patched <= set(shapes.PATCHED_STATUSES)


def test_every_check_has_an_area_and_a_unique_name() -> None:
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names)) >= 30
    assert {n.split(".")[0] for n in names} == set(AREAS)
    # Run in the order of the areas, the whole-run timing last.
    assert names[-1] == "timing.within_timeout"


def test_only_selects_by_area_or_name_and_refuses_unknown_names() -> None:
    chosen = [c.name for c in selected(["security", "token.bad_secret,attempts.get"])]
    assert "token.bad_secret" in chosen and "attempts.get" in chosen
    assert all(n.startswith("security.") for n in chosen if n.split(".")[0] == "security")
    assert "token.client_credentials" not in chosen
    assert [c.name for c in selected([])] == [c.name for c in CHECKS]
    with pytest.raises(ValueError, match="no check or area named nosuch"):
        selected(["nosuch"])
    result = CliRunner().invoke(main, ["conformance", "--only", "nosuch"])
    assert result.exit_code == 2 and "no check or area named nosuch" in result.output


def test_list_names_every_check() -> None:
    result = CliRunner().invoke(main, ["conformance", "--list"])
    assert result.exit_code == 0
    for check in CHECKS:
        assert check.name in result.output


def _results() -> list[Result]:
    exchange = Exchange(
        "POST", "http://p/api/v1/exam/x/attempt/", {"user_id": "u"}, 201, '{"id":"a"}'
    )
    return [
        Result("attempts.register", "registration", FAIL, "needs exactly 200", [exchange], 0.1),
        Result("token.bad_secret", "bad secret", PASS, "", [], 0.05),
        Result("onboarding.refusal_onboarding_missing", "gate", SKIP, "needs the control API"),
    ]


def test_a_failure_line_says_what_was_sent_and_what_came_back() -> None:
    line = report.text_line(_results()[0])
    assert line.startswith("FAIL attempts.register: needs exactly 200")
    assert 'sent: POST http://p/api/v1/exam/x/attempt/ {"user_id": "u"}' in line
    assert 'got:  201 {"id":"a"}' in line
    assert report.text_line(_results()[2]) == (
        "SKIP onboarding.refusal_onboarding_missing: needs the control API"
    )
    assert summary_line(_results()) == "1 passed, 1 failed, 1 skipped"


def test_junit_and_json_reports() -> None:
    suite = ET.fromstring(report.junit_xml(_results()))
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["attempts.register"].find("failure")
    assert failure is not None and failure.get("message") == "needs exactly 200"
    assert "got:  201" in failure.text
    assert cases["onboarding.refusal_onboarding_missing"].find("skipped") is not None
    assert cases["token.bad_secret"].find("failure") is None
    data = json.loads(report.json_report(_results(), {"url": "http://p"}))
    assert (data["passed"], data["failed"], data["skipped"]) == (1, 1, 1)
    assert data["results"][0]["exchanges"][0]["status"] == 201
