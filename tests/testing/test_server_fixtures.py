"""The real-server fixtures: ``mockprock_server`` (a server of the test's own, its settings
from ``mockprock_settings`` and the ``mockprock`` marker, stopped after the test) and
``mockprock_shared_server`` (the session's server, reset before each test)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from mockprock.setting_values import SettingsError
from mockprock.testing import Proctoring
from mockprock.testing.handle import TEST_CLIENT
from mockprock.testing.server import running_server
from tests.helpers import ATTEMPT, EXAM

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.live


def port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        return sock.connect_ex((parts.hostname, parts.port)) == 0


@pytest.fixture
def mockprock_settings() -> dict[str, Any]:
    return {"ready_delay_seconds": 7}


@pytest.mark.mockprock(review_delay_seconds=42)
def test_the_server_is_the_tests_own_with_its_settings(mockprock_server: Proctoring) -> None:
    assert mockprock_server.url.startswith("http://127.0.0.1:")
    assert (mockprock_server.client_id, mockprock_server.client_secret) == TEST_CLIENT
    settings = mockprock_server.control.settings()
    # The fixture's settings, then the marker's; the rest the test defaults.
    assert settings["ready_delay_seconds"] == 7
    assert settings["review_delay_seconds"] == 42
    assert settings["host"] == "127.0.0.1"
    assert settings["lms_url"] == "http://lms.test"
    # The provider API as the LMS calls it, with the client the object names.
    exam_id = mockprock_server.provider.save_exam(EXAM)
    attempt = mockprock_server.provider.register_attempt(exam_id, ATTEMPT)
    assert mockprock_server.control.attempt(attempt["id"])["status"] == "created"
    assert requests.get(f"{mockprock_server.url}/openapi.json", timeout=10).ok


def test_a_setting_that_does_not_exist_or_is_not_the_fixtures_is_refused(
    tmp_path: Path,
) -> None:
    refused = {
        "review_dealy_seconds": r"unknown mockprock setting\(s\): review_dealy_seconds",
        "port": r"port: a test's server listens on 127\.0\.0\.1",
    }
    for name, message in refused.items():
        with pytest.raises(SettingsError, match=message), running_server({name: 1}, tmp_path):
            pass
    with (
        pytest.raises(SettingsError, match="review_delay_seconds must not be negative"),
        running_server({"review_delay_seconds": -1}, tmp_path),
    ):
        pass


def test_teardown_stops_the_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pathlib

        def test_uses_it(mockprock_server):
            assert mockprock_server.control.attempts() == []
            pathlib.Path("url.txt").write_text(mockprock_server.url)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    url = (pytester.path / "url.txt").read_text()
    assert url.startswith("http://127.0.0.1:")
    assert not port_open(url), "the server's port is closed once the test is over"


def test_the_shared_server_is_one_server_reset_before_each_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockprock_session_settings():
            return {"review_delay_seconds": 30}
        """
    )
    pytester.makepyfile(
        f"""
        import json, pathlib
        import pytest

        EXAM = {EXAM!r}
        seen = []

        def record(proctoring, name):
            settings = proctoring.control.settings()
            seen.append({{
                "test": name,
                "url": proctoring.url,
                "attempts": len(proctoring.control.attempts()),
                "review_delay_seconds": settings["review_delay_seconds"],
                "lms_url": settings["lms_url"],
            }})
            pathlib.Path("seen.json").write_text(json.dumps(seen))

        @pytest.mark.mockprock(review_delay_seconds=5, lms_url="http://other-lms.test")
        def test_first(mockprock_shared_server):
            p = mockprock_shared_server
            exam_id = p.provider.save_exam(EXAM)
            p.provider.register_attempt(exam_id, {ATTEMPT!r})
            record(p, "first")

        def test_second(mockprock_shared_server):
            record(mockprock_shared_server, "second")
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
    first, second = json.loads((pytester.path / "seen.json").read_text())
    assert first["url"] == second["url"], "one server for the session"
    assert not port_open(first["url"]), "stopped when the session ends"
    # The first test's attempt and settings changes are gone for the second.
    assert (first["attempts"], second["attempts"]) == (1, 0)
    assert first["review_delay_seconds"] == 5 and second["review_delay_seconds"] == 30
    assert first["lms_url"] == "http://other-lms.test"
    assert second["lms_url"] == "http://lms.test"
