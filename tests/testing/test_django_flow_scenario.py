"""The issue's proof in full: ``test_django_flow``'s in-process LMS, with the verdicts
decided by a scenario (one learner ``violation`` with a comment, another ``passed``) and a
60 s review delay passed by advancing the manual clock, not by waiting. No socket is opened
during the flow. Waits for the ``scenario`` and ``clock`` branches; over real HTTP:
``tests/real_lms/test_plugin_server_scenario.py``. ``benchmarks/in_process_flow.py`` times
this flow."""

from __future__ import annotations

import pytest

from mockprock.testing import Proctoring
from tests.testing import edx_lms
from tests.testing.test_django_flow import in_process_lms

VIOLATION = {"comment": "A second person in the room", "start": 120, "stop": 180}
SCENARIO = {
    "rules": [
        {"match": {"email": "ada*"}, "then": {"verdict": "violation", "comments": [VIOLATION]}},
        {"match": {"email": "bob*"}, "then": {"verdict": "passed"}},
    ]
}
REVIEW_DELAY = 60
READY_DELAY = 2


@pytest.fixture(scope="module", autouse=True)
def lms_database() -> None:
    edx_lms.migrate()


def run_flow(proctoring: Proctoring) -> dict[str, dict]:
    """Scenario, exam, two learners' attempts; then the clock past the review delay. The
    attempts by verdict, as the LMS has them at the end."""
    proctoring.load_scenario(SCENARIO)
    exam_id = edx_lms.proctored_exam()

    def ready(attempt_id: int) -> None:
        proctoring.advance(READY_DELAY)  # the desktop application starts
        assert edx_lms.status(attempt_id) == "ready_to_start"

    attempts = {
        "violation": edx_lms.take_exam(exam_id, edx_lms.user("ada"), ready),
        "passed": edx_lms.take_exam(exam_id, edx_lms.user("bob"), ready),
    }
    proctoring.advance(REVIEW_DELAY - READY_DELAY - 1)
    assert [edx_lms.review(a) for a in attempts.values()] == [None, None], "not due yet"
    proctoring.advance(READY_DELAY + 1)
    return attempts


def test_a_scenario_and_the_clock_decide_the_reviews_in_one_process(no_socket: list) -> None:
    with in_process_lms(review_delay_seconds=REVIEW_DELAY, ready_delay_seconds=READY_DELAY) as p:
        attempts = run_flow(p)
    for verdict, attempt in attempts.items():
        assert edx_lms.review(attempt).review_status == edx_lms.REVIEW_STATUS[verdict]
        assert edx_lms.status(attempt["id"]) == edx_lms.ATTEMPT_STATUS[verdict]
    assert edx_lms.comments(attempts["violation"]) == [(VIOLATION["comment"], 120, 180)]
