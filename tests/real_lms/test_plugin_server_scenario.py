"""``test_django_flow_scenario``'s flow (scenario verdicts, the manual clock past a 60 s
review delay) through ``mockprock_server`` over real HTTP, calling the real LMS's views
back. Waits for the ``scenario`` and ``clock`` branches."""

from __future__ import annotations

from typing import Any

import pytest

from mockprock.testing import Proctoring
from tests.lms_django import load_backend
from tests.real_lms.conftest import LMS_CLIENT, RealLms
from tests.testing import edx_lms
from tests.testing.test_django_flow_scenario import READY_DELAY, REVIEW_DELAY, VIOLATION, run_flow


@pytest.fixture
def mockprock_settings(real_lms: RealLms) -> dict[str, Any]:
    return {
        "lms_url": real_lms.url,
        "lms_client_id": LMS_CLIENT[0],
        "lms_client_secret": LMS_CLIENT[1],
        "ready_delay_seconds": READY_DELAY,
        "review_delay_seconds": REVIEW_DELAY,
    }


def test_a_scenario_and_the_clock_decide_the_reviews_over_http(
    mockprock_server: Proctoring,
) -> None:
    load_backend(
        base_url=mockprock_server.url,
        client_id=mockprock_server.client_id,
        client_secret=mockprock_server.client_secret,
    )
    try:
        # An advance answers once what fell due was tried: the LMS has it then.
        attempts = run_flow(mockprock_server)
    finally:
        load_backend()
    for verdict, attempt in attempts.items():
        assert edx_lms.review(attempt).review_status == edx_lms.REVIEW_STATUS[verdict]
        assert edx_lms.status(attempt["id"]) == edx_lms.ATTEMPT_STATUS[verdict]
    assert edx_lms.comments(attempts["violation"]) == [(VIOLATION["comment"], 120, 180)]
