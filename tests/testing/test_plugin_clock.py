"""``advance`` on the plugin's objects: the manual clock of the clock branch (``--clock
manual``, ``POST /mockprock/api/clock``, ``ControlClient.advance_clock``). Waits for the
``clock`` branch."""

from __future__ import annotations

import json

import pytest

from mockprock.testing import Proctoring, mock_proctoring
from tests.helpers import ATTEMPT, EXAM, IN_PROCESS_LMS, capture_lms


def submitted_attempt(proctoring: Proctoring) -> str:
    exam_id = proctoring.provider.save_exam(EXAM)
    attempt = {**ATTEMPT, "lms_host": IN_PROCESS_LMS}
    attempt_id = proctoring.provider.register_attempt(exam_id, attempt)["id"]
    for status in ("started", "submitted"):
        proctoring.provider.set_attempt_status(exam_id, attempt_id, status)
    return attempt_id


def test_in_process_the_clock_is_manual_and_an_advance_delivers_what_fell_due(
    no_socket: list,
) -> None:
    posts: list = []
    with mock_proctoring(review_delay_seconds=60) as proctoring:
        capture_lms(proctoring, posts)
        assert proctoring.control.clock()["mode"] == "manual"
        submitted_attempt(proctoring)
        proctoring.advance(59)
        assert posts == [], "the review is not due before its 60 s"
        proctoring.advance(1)
        assert [json.loads(post.body)["status"] for post in posts] == ["passed"]


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
