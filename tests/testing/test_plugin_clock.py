"""``advance`` on the plugin's objects: the manual clock of the clock branch (``--clock
manual``, ``POST /mockprock/api/clock``, ``ControlClient.advance_clock``). Waits for the
``clock`` branch."""

from __future__ import annotations

import json
import re

import pytest

from mockprock.testing import Proctoring, mock_proctoring
from tests.helpers import ATTEMPT, EXAM

LMS = "http://lms.test"


def submitted_attempt(proctoring: Proctoring) -> str:
    exam_id = proctoring.provider.save_exam(EXAM)
    attempt_id = proctoring.provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": LMS})["id"]
    for status in ("started", "submitted"):
        proctoring.provider.set_attempt_status(exam_id, attempt_id, status)
    return attempt_id


def test_in_process_the_clock_is_manual_and_an_advance_delivers_what_fell_due(
    no_socket: list,
) -> None:
    posts: list = []
    with mock_proctoring(review_delay_seconds=60) as proctoring:
        mock = proctoring.requests_mock
        token = json.dumps({"access_token": "t", "expires_in": 3600})
        mock.add_callback("POST", f"{LMS}/oauth2/access_token", callback=lambda r: (200, {}, token))
        mock.add_callback(
            "POST",
            re.compile(re.escape(LMS) + "/api/"),
            callback=lambda r: (posts.append(json.loads(r.body)), (200, {}, '"OK"'))[1],
        )
        assert proctoring.control.clock()["mode"] == "manual"
        submitted_attempt(proctoring)
        proctoring.advance(59)
        assert posts == [], "the review is not due before its 60 s"
        proctoring.advance(1)
        assert [post["status"] for post in posts] == ["passed"]


@pytest.mark.live
def test_over_http_the_fixtures_clock_is_manual(mockprock_server: Proctoring) -> None:
    before = mockprock_server.control.clock()
    assert before["mode"] == "manual"
    after = mockprock_server.advance(90)
    assert after["now"] == pytest.approx(before["now"] + 90)
    assert mockprock_server.control.clock()["now"] == pytest.approx(before["now"] + 90)


@pytest.mark.live
@pytest.mark.mockprock(review_delay_seconds=60)
def test_over_http_an_advance_tries_the_review_before_it_returns(
    mockprock_server: Proctoring,
) -> None:
    submitted_attempt(mockprock_server)
    [review] = mockprock_server.control.callbacks(kind="reviewed")
    assert review["tries"] == 0
    mockprock_server.advance(60)
    [review] = mockprock_server.control.callbacks(kind="reviewed")
    assert review["tries"] == 1  # nothing answers at lms.test: tried, and due again later
