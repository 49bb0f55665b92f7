"""The proof, as an edx-platform developer writes it: Django's test settings with the real
edx-proctoring, its own API, and mockprock in process (``mock_proctoring``): the backend's
calls and mockprock's callbacks (into Django's test client) all in this one process, with
no socket opened during the flow. Two learners take a proctored exam; a reviewer's
verdicts (queued through the control API) reach the LMS as the real views record them.

The same flow driven by a scenario file and the manual clock: ``test_django_flow_scenario``;
over real HTTP: ``tests/real_lms/test_plugin_server.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from mockprock.testing import Proctoring, mock_proctoring
from tests.lms_django import load_backend
from tests.testing import edx_lms

VIOLATION = {"comment": "A second person in the room", "start": 120, "stop": 180}


@pytest.fixture(scope="module", autouse=True)
def lms_database() -> None:
    edx_lms.migrate()


@contextmanager
def in_process_lms(**settings: Any) -> Iterator[Proctoring]:
    """The LMS's mockprock backend pointed at an in-process mockprock (with ``settings``)
    whose callbacks go into Django's test client, as a reviewer."""
    # The LMS registers attempts with lms_host http://SITE_NAME: the in-process LMS's.
    # (ALLOWED_HOSTS: what pytest-django's test environment allows the test client.)
    lms = override_settings(SITE_NAME="lms.test", HTTPS="off", ALLOWED_HOSTS=["testserver"])
    with lms, mock_proctoring(**settings) as proctoring:
        proctoring.route_callbacks_to(Client(), user=edx_lms.user("reviewer", reviewer=True))
        load_backend(
            base_url=proctoring.url,
            client_id=proctoring.client_id,
            client_secret=proctoring.client_secret,
        )
        try:
            yield proctoring
        finally:
            load_backend()  # the LMS's backend as it was


@pytest.fixture
def lms_with_mockprock() -> Iterator[Proctoring]:
    with in_process_lms(ready_delay_seconds=0, review_delay_seconds=60) as proctoring:
        yield proctoring


def ready_at_once(attempt_id: int) -> None:
    # In process the ready callback reached the LMS before the download page answered.
    assert edx_lms.status(attempt_id) == "ready_to_start"


def test_a_proctored_exam_from_registration_to_review_in_one_process(
    lms_with_mockprock: Proctoring, no_socket: list
) -> None:
    proctoring = lms_with_mockprock
    exam_id = edx_lms.proctored_exam()
    ada, bob = edx_lms.user("ada"), edx_lms.user("bob")
    attempts = {
        "violation": edx_lms.take_exam(exam_id, ada, ready_at_once),
        "passed": edx_lms.take_exam(exam_id, bob, ready_at_once),
    }
    assert {a["status"] for a in attempts.values()} == {"submitted"}
    assert [edx_lms.review(a) for a in attempts.values()] == [None, None]

    # The reviewer decides; each call returns once the LMS has the review.
    proctoring.control.review(
        attempts["violation"]["external_id"], "violation", comments=[VIOLATION], delay_seconds=0
    )
    proctoring.control.review(attempts["passed"]["external_id"], "passed", delay_seconds=0)

    for verdict, attempt in attempts.items():
        assert edx_lms.review(attempt).review_status == edx_lms.REVIEW_STATUS[verdict]
        assert edx_lms.status(attempt["id"]) == edx_lms.ATTEMPT_STATUS[verdict]
    assert edx_lms.comments(attempts["violation"]) == [(VIOLATION["comment"], 120, 180)]
    # mockprock saw the LMS take both (its answers recorded in the outbox).
    delivered = proctoring.control.callbacks(state="delivered")
    assert sorted(row["kind"] for row in delivered) == ["ready", "ready", "reviewed", "reviewed"]


def test_route_callbacks_to_is_for_the_in_process_mode() -> None:
    from mockprock.testing.handle import TEST_CLIENT

    over_http = Proctoring("http://127.0.0.1:9", *TEST_CLIENT)
    with pytest.raises(RuntimeError, match="point its lms_url at a running LMS"):
        over_http.route_callbacks_to(Client())
