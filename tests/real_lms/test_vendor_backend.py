"""A vendor's own LMS backend against mockprock: the real Proctortrack v2 backend from PyPI
(``edx-proctoring-proctortrack-v2``), configured with nothing but ``client_id``,
``client_secret`` and ``base_url``, through a whole exam with the real edx-proctoring.

Its token request (``/edx/oauth2/access_token``) and dashboard link
(``/launch/edx/instructor/<client_id>/``) reach mockprock only through the table of vendor
paths: without it the first call of this test is a 404.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from edx_proctoring import api
from edx_proctoring.backends import get_backend_provider

from tests.real_lms.conftest import Flow

MFE = "http://localhost:2000"  # the test LMS's LEARNING_MICROFRONTEND_URL


@pytest.mark.parametrize("lms_backend", ["proctortrack"])
def test_a_proctortrack_exam_from_registration_to_the_dashboard(
    connect: Callable[..., Flow],
) -> None:
    flow = connect("--allow-origin", MFE)
    exam = flow.exam()
    assert exam["backend"] == "proctortrack"
    assert exam["external_id"], "the exam reached mockprock (a token at the vendor's path)"
    attempt = flow.register(exam, flow.learner())
    assert attempt["status"] == "created" and attempt["external_id"]

    # The backend adds the learning MFE's page of the exam; mockprock keeps it.
    registered = flow.control.attempt(attempt["external_id"])
    return_url = f"{MFE}/course/{exam['course_id']}/{exam['content_id']}"
    assert registered["exam_return_url"] == return_url

    # The learner page (download link, as the LMS gives it) sends the ready callback and,
    # the checks passed, offers the way back to the exam on the allowed MFE origin.
    download_url = registered_download(flow, attempt)
    flow.open_download_page(attempt)
    flow.wait_status(attempt, "ready_to_start")
    page = requests.get(download_url, timeout=10).text
    back = re.search(r'<p id="exam-return"[^>]*>\s*<a class="button" href="([^"]+)"', page)
    assert back and html.unescape(back.group(1)) == return_url

    flow.start(attempt)
    flow.submit(attempt)
    flow.wait_status(attempt, "verified")
    for kind in ("ready", "reviewed"):
        flow.delivered(attempt, kind)  # one each, taken by the LMS (it waits for the row)
    assert len(flow.callbacks(attempt)) == 2
    assert flow.review(attempt).review_status == "Clean"

    # The instructor's link, as edx-proctoring's InstructorDashboard view builds it.
    backend = get_backend_provider(name="proctortrack")
    staff = {"id": 1, "full_name": "Grace Staff", "email": "staff@lms.example"}
    url = backend.get_instructor_url(
        exam["course_id"], staff, exam["external_id"], attempt["external_id"]
    )
    assert urlsplit(url).path == "/launch/edx/instructor/abcd/"
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert 'data-view="attempt"' in answer.text
    assert attempt["external_id"] in answer.text
    shown = re.search(r'id="exam-return-url">Returns to <code>([^<]+)</code>', answer.text)
    assert shown and html.unescape(shown.group(1)) == return_url


def registered_download(flow: Flow, attempt: dict) -> str:
    """The software download link the LMS's exam page shows (before the exam starts)."""
    data = api.get_exam_attempt_data(attempt["proctored_exam"]["id"], attempt["id"])
    return data["software_download_url"]
