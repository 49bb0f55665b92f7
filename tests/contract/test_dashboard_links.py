"""The instructor-dashboard link: the one the LMS builds opens the right view, and the
``mockprock dashboard-url`` / ``get-dashboard`` commands build the same link."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.dashboard_link import DASHBOARD_PATH, DEFAULT_INSTRUCTOR, backend_path
from tests.contract.lms import lms_attempt_context, lms_exam, register, save_exam
from tests.lms_django import load_backend

STAFF = {"id": 7, "full_name": "Grace Staff", "email": "staff@example.com"}
COURSE_ID = lms_exam()["course_id"]


def open_page(url: str) -> str:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["jwt"][0]


@pytest.fixture
def course(connect):
    """A server holding one exam with one attempt, and the LMS's backend for it."""
    server, backend = connect()
    exam_id = save_exam(backend)
    attempt_id = register(backend, exam_id)
    return server, backend, exam_id, attempt_id


def dashboard_prefix(lms_backend: str) -> str:
    """Where ``lms_backend`` sends the instructor (the vendor paths' table)."""
    return backend_path(lms_backend, DASHBOARD_PATH).replace("<client_id>", "abcd") + "?jwt="


@pytest.mark.live
def test_the_course_view(course, lms_backend) -> None:
    server, backend, exam_id, _ = course
    url = backend.get_instructor_url(COURSE_ID, STAFF)
    assert url.startswith(server.url + dashboard_prefix(lms_backend))
    page = open_page(url)
    assert 'data-view="course"' in page
    assert COURSE_ID in page
    assert lms_exam()["exam_name"] in page
    assert exam_id in page
    assert STAFF["full_name"] in page


@pytest.mark.live
@pytest.mark.parametrize("lms_backend", ["mockprock"])  # MOCKPROCK_PUBLIC_URL: its own
def test_a_public_url_setting_sends_the_browser_there(course) -> None:
    """Tutor: the LMS calls http://mockprock:11136, the browser opens the public URL."""
    from django.test import override_settings

    server, backend, _, _ = course
    public = "http://browser.example:8080"
    with override_settings(MOCKPROCK_PUBLIC_URL=public + "/"):
        url = backend.get_instructor_url(COURSE_ID, STAFF)
    assert url.startswith(f"{public}/api/v1/instructor/abcd/?jwt=")
    # The same page, at the address the server answers on here.
    assert 'data-view="course"' in open_page(server.url + url.removeprefix(public))
    assert backend.get_instructor_url(COURSE_ID, STAFF).startswith(server.url)


@pytest.mark.live
def test_the_exam_view(course) -> None:
    _, backend, exam_id, attempt_id = course
    page = open_page(backend.get_instructor_url(COURSE_ID, STAFF, exam_id=exam_id))
    assert 'data-view="exam"' in page
    assert attempt_id in page
    assert lms_attempt_context()["full_name"] in page


@pytest.mark.live
def test_the_configuration_view(course) -> None:
    _, backend, exam_id, _ = course
    url = backend.get_instructor_url(
        COURSE_ID, STAFF, exam_id=exam_id, show_configuration_dashboard=True
    )
    page = open_page(url)
    assert 'data-view="config"' in page
    assert all(rule in page for rule in lms_exam()["rules"])


@pytest.mark.live
def test_the_attempt_view(course, lms_backend) -> None:
    _, backend, exam_id, attempt_id = course
    page = open_page(backend.get_instructor_url(COURSE_ID, STAFF, exam_id, attempt_id))
    assert 'data-view="attempt"' in page
    assert attempt_id in page
    assert lms_attempt_context()["full_name"] in page
    # Proctortrack's backend sends the learning MFE's page of the exam with the attempt.
    shown = re.search(r'id="exam-return-url">Returns to <code>([^<]+)</code>', page)
    if lms_backend == "proctortrack":
        exam = lms_exam()
        assert html.unescape(shown.group(1)) == (
            f"http://localhost:2000/course/{exam['course_id']}/{exam['content_id']}"
        )
    else:
        assert shown is None


@pytest.mark.live
def test_a_link_signed_with_another_secret_is_refused(connect) -> None:
    server, _ = connect()
    forger = load_backend(base_url=server.url, client_id="abcd", client_secret="not-abcdsecret")
    response = requests.get(forger.get_instructor_url(COURSE_ID, STAFF), timeout=10)
    assert response.status_code == 403
    assert "not-abcdsecret" not in response.text


def claims_without_nonce(url: str, secret: str) -> dict:
    claims = jwt.decode(token_of(url), secret, algorithms=["HS256"], options={"verify_iss": False})
    return {k: v for k, v in claims.items() if k not in ("jti", "exp")}


@pytest.mark.live
@pytest.mark.parametrize("lms_backend", ["mockprock"])  # the command builds mockprock's links
@pytest.mark.parametrize(
    ("flags", "view"),
    [((), "course"), (("--exam",), "exam"), (("--config",), "config"), (("--attempt",), "attempt")],
)
def test_dashboard_url_builds_the_link_the_lms_builds(course, flags, view) -> None:
    server, backend, exam_id, attempt_id = course
    args = ["dashboard-url", "-c", COURSE_ID, "--url", server.url + "/"]
    if flags:
        args += ["--exam", exam_id]
    if "--config" in flags:
        args += ["--config"]
    if "--attempt" in flags:
        args += ["--attempt", attempt_id]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    cli_url = result.output.strip()

    lms_url = backend.get_instructor_url(
        COURSE_ID,
        DEFAULT_INSTRUCTOR,
        exam_id=exam_id if flags else None,
        attempt_id=attempt_id if "--attempt" in flags else None,
        show_configuration_dashboard="--config" in flags,
    )
    assert cli_url.split("?")[0] == lms_url.split("?")[0]
    assert claims_without_nonce(cli_url, "abcdsecret") == claims_without_nonce(
        lms_url, "abcdsecret"
    )
    cli_exp = jwt.decode(token_of(cli_url), options={"verify_signature": False})["exp"]
    lms_exp = jwt.decode(token_of(lms_url), options={"verify_signature": False})["exp"]
    assert abs(cli_exp - lms_exp) < 60  # the same lifetime
    assert f'data-view="{view}"' in open_page(cli_url)


@pytest.mark.parametrize("flag", ["--attempt", "--config"])
def test_dashboard_url_refuses_what_the_lms_would_drop(flag) -> None:
    args = ["dashboard-url", "-c", COURSE_ID, flag, *(["x"] if flag == "--attempt" else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "need --exam" in result.output


def get_dashboard_script() -> str:
    script = Path(sys.executable).parent / "get-dashboard"
    return str(script) if script.exists() else shutil.which("get-dashboard") or "get-dashboard"


@pytest.mark.live
def test_the_get_dashboard_script_still_works(course) -> None:
    """The original's command line: ``get-dashboard [CLIENT_ID CLIENT_SECRET] -c COURSE``."""
    server, _, exam_id, _ = course
    for client in ([], ["abcd", "abcdsecret"]):
        done = subprocess.run(
            [get_dashboard_script(), *client, "-c", COURSE_ID, "--url", server.url],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        url = done.stdout.strip()
        assert f"/api/v1/instructor/{client[0] if client else 'client'}/?jwt=" in url
        page = open_page(url)
        assert 'data-view="course"' in page
        # A link shows its own client's courses only: the default client ``client``
        # sees nothing of the exam ``abcd`` saved (per-client scoping).
        assert (exam_id in page) == bool(client)
