"""The in-process proof's flow (``tests/testing/test_django_flow.py``) through the plugin's
``mockprock_server`` fixture over real HTTP: a mockprock process calling the real LMS's
views back (``real_lms``, served on a loopback port) with the LMS's OAuth application."""

from __future__ import annotations

from typing import Any

import pytest

from mockprock.testing import Proctoring
from tests.helpers import wait_for
from tests.lms_django import load_backend
from tests.real_lms.conftest import LMS_CLIENT, RealLms
from tests.testing import edx_lms

VIOLATION = {"comment": "A second person in the room", "start": 120, "stop": 180}


@pytest.fixture
def mockprock_settings(real_lms: RealLms) -> dict[str, Any]:
    """The plugin's fixture, told where the LMS is and how to call it back."""
    return {
        "lms_url": real_lms.url,
        "lms_client_id": LMS_CLIENT[0],
        "lms_client_secret": LMS_CLIENT[1],
        "ready_delay_seconds": 0,
        "review_delay_seconds": 60,
    }


@pytest.fixture
def lms_with_mockprock(mockprock_server: Proctoring) -> Any:
    load_backend(
        base_url=mockprock_server.url,
        client_id=mockprock_server.client_id,
        client_secret=mockprock_server.client_secret,
    )
    yield mockprock_server
    load_backend()


def ready(attempt_id: int) -> None:
    wait_for(lambda: edx_lms.status(attempt_id) == "ready_to_start", what="the ready callback")


def test_a_proctored_exam_from_registration_to_review_over_http(
    lms_with_mockprock: Proctoring,
) -> None:
    proctoring = lms_with_mockprock
    exam_id = edx_lms.proctored_exam()
    ada, bob = edx_lms.user("ada"), edx_lms.user("bob")
    attempts = {
        "violation": edx_lms.take_exam(exam_id, ada, ready),
        "passed": edx_lms.take_exam(exam_id, bob, ready),
    }
    proctoring.control.review(
        attempts["violation"]["external_id"], "violation", comments=[VIOLATION], delay_seconds=0
    )
    proctoring.control.review(attempts["passed"]["external_id"], "passed", delay_seconds=0)

    for verdict, attempt in attempts.items():
        wait_for(
            lambda attempt=attempt, verdict=verdict: (
                edx_lms.status(attempt["id"]) == edx_lms.ATTEMPT_STATUS[verdict]
            ),
            what=f"the {verdict} review to reach the LMS",
        )
        assert edx_lms.review(attempt).review_status == edx_lms.REVIEW_STATUS[verdict]
    assert edx_lms.comments(attempts["violation"]) == [(VIOLATION["comment"], 120, 180)]
