"""``mock_proctoring``: requests to its URL served in process, no socket, everything else
passed through; callbacks attempted before the call that made them due returns; a context
manager and a decorator (pytest test functions included)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from mockprock.testing import Proctoring, mock_proctoring
from tests.helpers import ATTEMPT, EXAM, IN_PROCESS_LMS, capture_lms, serving

pytest_plugins = ["pytester"]

LMS = IN_PROCESS_LMS


def test_the_provider_and_control_apis_answer_in_process(no_socket: list) -> None:
    with mock_proctoring() as proctoring:
        assert proctoring.url == "http://mockprock.test"
        exam_id = proctoring.provider.save_exam(EXAM)
        attempt = proctoring.provider.register_attempt(exam_id, ATTEMPT)
        assert proctoring.provider.get_attempt(exam_id, attempt["id"])["status"] == "created"
        assert [a["id"] for a in proctoring.control.attempts()] == [attempt["id"]]
        # Plain requests too, query strings and error answers as the server gives them.
        answer = requests.get(f"{proctoring.url}/mockprock/api/attempts?page_size=x", timeout=5)
        assert answer.status_code == 401 and answer.json()["error"]
        assert requests.get(f"{proctoring.url}/openapi.json", timeout=5).json()["openapi"]


def test_each_use_starts_empty_and_leaves_nothing() -> None:
    mock = mock_proctoring()
    with mock as proctoring:
        store = Path(mock._folder)
        assert (store / "mockprock.sqlite").is_file()
        exam_id = proctoring.provider.save_exam(EXAM)
        with pytest.raises(RuntimeError, match="running already"):
            mock.__enter__()
    with mock as proctoring:
        assert proctoring.provider.request("GET", f"/api/v1/exam/{exam_id}/").status_code == 404
    assert not store.exists(), "its store is removed"
    with pytest.raises(requests.ConnectionError):
        requests.get("http://mockprock.test/openapi.json", timeout=5)


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"real")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.live
def test_other_urls_pass_through_and_the_socket_guard_sees_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Echo)) as server, mock_proctoring():
        answer = requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=5)
    assert answer.text == "real"
    # What the no_socket fixture does, seen to catch a pass-through.
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("connected"))
    with mock_proctoring(), pytest.raises(pytest.fail.Exception, match="connected"):
        requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=5)


@pytest.fixture
def lms_posts() -> Iterator[list[requests.PreparedRequest]]:
    yield []


def test_a_callback_is_attempted_before_the_call_that_made_it_due_returns(
    no_socket: list, lms_posts: list
) -> None:
    with mock_proctoring(ready_delay_seconds=0) as proctoring:
        capture_lms(proctoring, lms_posts)
        exam_id = proctoring.provider.save_exam(EXAM)
        attempt = proctoring.provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": LMS})
        proctoring.control.ready(attempt["id"])
        assert [p.url.rsplit("/", 1)[-1] for p in lms_posts] == ["ready"]
        assert json.loads(lms_posts[0].body) == {"status": "ready"}
        assert lms_posts[0].headers["Authorization"] == "JWT t"
        [row] = proctoring.control.callbacks()
        assert row["state"] == "delivered" and row["last_status"] == 200
        # A verdict queued for a submitted attempt goes before the control call returns.
        proctoring.provider.set_attempt_status(exam_id, attempt["id"], "started")
        proctoring.provider.set_attempt_status(exam_id, attempt["id"], "submitted")
        proctoring.control.review(attempt["id"], "violation", delay_seconds=0)
        assert len(lms_posts) == 2 and f"/{attempt['id']}/" in lms_posts[-1].url
        assert json.loads(lms_posts[-1].body)["status"] == "violation"


def test_the_test_lms_is_refused_without_a_lookup_unless_routed(no_socket: list) -> None:
    with mock_proctoring(ready_delay_seconds=0) as proctoring:
        exam_id = proctoring.provider.save_exam(EXAM)
        attempt = proctoring.provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": LMS})
        proctoring.control.ready(attempt["id"])
        [row] = proctoring.control.callbacks()
        assert row["state"] == "pending" and row["tries"] == 1
        assert "Connection refused by Responses" in row["last_error"]


def test_an_lms_that_keeps_failing_is_retried_later_not_in_a_loop(lms_posts: list) -> None:
    with mock_proctoring(ready_delay_seconds=0) as proctoring:
        capture_lms(proctoring, lms_posts, status=503)
        exam_id = proctoring.provider.save_exam(EXAM)
        attempt = proctoring.provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": LMS})
        proctoring.control.ready(attempt["id"])
        assert len(lms_posts) == 1, "tried once; the retry waits for its backoff"
        [row] = proctoring.control.callbacks()
        assert row["state"] == "pending" and row["last_status"] == 503


def test_the_decorator_hands_the_mockprock_to_a_function_that_asks() -> None:
    @mock_proctoring()
    def create(name: str, proctoring: Proctoring) -> tuple[str, list]:
        exam_id = proctoring.provider.save_exam({**EXAM, "exam_name": name})
        return proctoring.provider.get_exam(exam_id)["exam_name"], proctoring.control.attempts()

    @mock_proctoring()
    def plain() -> int:
        return requests.get("http://mockprock.test/openapi.json", timeout=5).status_code

    assert create("Midterm") == ("Midterm", [])
    assert plain() == 200
    with pytest.raises(TypeError, match="plain"):

        @mock_proctoring()
        async def coroutine() -> None:
            pass


def test_the_decorator_on_a_pytest_test_keeps_its_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from mockprock.testing import mock_proctoring

        @pytest.fixture
        def exam():
            return {{**{EXAM!r}, "exam_name": "Final"}}

        @mock_proctoring(review_delay_seconds=33)
        def test_with_fixture_and_mockprock(exam, proctoring, tmp_path):
            assert tmp_path.is_dir()
            exam_id = proctoring.provider.save_exam(exam)
            assert proctoring.provider.get_exam(exam_id)["exam_name"] == "Final"
            assert proctoring.control.settings()["review_delay_seconds"] == 33

        @mock_proctoring()
        def test_without_asking(exam):
            assert exam["exam_name"] == "Final"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
