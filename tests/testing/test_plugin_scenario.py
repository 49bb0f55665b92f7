"""``load_scenario`` on the plugin's objects (a dict, or a file's path): the scenario
branch's ``PUT /mockprock/api/scenario`` and ``ControlClient.load_scenario``; the shared
server's reset clears it. Waits for the ``scenario`` branch (and ``clock`` for the
delays)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockprock.testing import Proctoring, mock_proctoring
from mockprock.testing.handle import TEST_LMS
from tests.helpers import ATTEMPT, EXAM

SCENARIO = {
    "rules": [
        {"match": {"email": "learner@*"}, "then": {"verdict": "suspicious"}},
    ]
}


def review_status(proctoring: Proctoring) -> str:
    """The verdict of a learner's review, composed as it goes (to the test LMS, which
    nothing answers) once the review delay has passed."""
    exam_id = proctoring.provider.save_exam(EXAM)
    attempt = {**ATTEMPT, "lms_host": TEST_LMS[0]}
    attempt_id = proctoring.provider.register_attempt(exam_id, attempt)["id"]
    for status in ("started", "submitted"):
        proctoring.provider.set_attempt_status(exam_id, attempt_id, status)
    proctoring.advance(proctoring.control.settings()["review_delay_seconds"])
    [review] = proctoring.control.callbacks(kind="reviewed")
    assert review["tries"] == 1
    return review["payload"]["status"]


def test_in_process_a_scenario_dict_decides(no_socket: list) -> None:
    with mock_proctoring() as proctoring:
        proctoring.load_scenario(SCENARIO)
        assert proctoring.control.scenario()["rules"]
        assert review_status(proctoring) == "suspicious"


def test_in_process_a_scenario_file_decides(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(SCENARIO))
    with mock_proctoring() as proctoring:
        proctoring.load_scenario(path)
        proctoring.load_scenario(str(path))  # a path as text too
        assert review_status(proctoring) == "suspicious"


@pytest.mark.live
def test_over_http_a_scenario_decides(mockprock_server: Proctoring) -> None:
    mockprock_server.load_scenario(SCENARIO)
    assert review_status(mockprock_server) == "suspicious"


@pytest.mark.live
@pytest.mark.parametrize("round", [1, 2])
def test_the_shared_servers_reset_clears_the_scenario(
    mockprock_shared_server: Proctoring, round: int
) -> None:
    # Whichever round runs second finds no scenario left by the first.
    assert review_status(mockprock_shared_server) == "passed"
    mockprock_shared_server.load_scenario(SCENARIO)
