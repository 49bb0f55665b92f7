"""``export_state`` / ``import_state`` on the plugin's objects: the snapshot branch's
``GET``/``PUT /mockprock/api/state``. A state saved in process loads into a real server and
back. Waits for the ``snapshot`` branch."""

from __future__ import annotations

import pytest

from mockprock.testing import Proctoring, mock_proctoring
from tests.helpers import ATTEMPT, EXAM


def an_attempt(proctoring: Proctoring) -> str:
    exam_id = proctoring.provider.save_exam(EXAM)
    return proctoring.provider.register_attempt(exam_id, ATTEMPT)["id"]


def test_in_process_a_round_trip_gives_the_same_state(no_socket: list) -> None:
    with mock_proctoring() as proctoring:
        attempt_id = an_attempt(proctoring)
        saved = proctoring.export_state()
        proctoring.control.reset()
        assert proctoring.control.attempts() == []
        proctoring.import_state(saved)
        assert [a["id"] for a in proctoring.control.attempts()] == [attempt_id]
        assert proctoring.export_state() == saved


@pytest.mark.live
def test_a_state_saved_in_process_loads_into_a_real_server(mockprock_server: Proctoring) -> None:
    with mock_proctoring() as proctoring:
        attempt_id = an_attempt(proctoring)
        saved = proctoring.export_state()
    mockprock_server.import_state(saved)
    assert [a["id"] for a in mockprock_server.control.attempts()] == [attempt_id]
    assert mockprock_server.export_state()["attempts"] == saved["attempts"]
