"""Test helpers shared by every test module: live servers, waiting, wire fixtures."""

from __future__ import annotations

import base64
import json
import re
import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockprock.config import Settings
from mockprock.conformance import shapes
from mockprock.processes import ServerProcess, mockprock_argv, wait_for
from mockprock.web.app import create_app

__all__ = [
    "ATTEMPT",
    "EXAM",
    "LMS_CLIENT",
    "REPO",
    "ServerProcess",
    "app_on",
    "basic",
    "csrf_of",
    "get_token",
    "lms_stub_argv",
    "make_settings",
    "mockprock_argv",
    "sign_in",
    "wait_for",
    "wire_requests",
]

REPO = Path(__file__).resolve().parent.parent
WIRE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "edx-proctoring-6.1.4-wire.jsonl"


def wire_requests() -> list[dict[str, Any]]:
    """Every line of the recording of the real edx-proctoring 6.1.4."""
    return [json.loads(line) for line in WIRE_FIXTURE.read_text().splitlines() if line.strip()]


# The exam and attempt the LMS sends, as edx-proctoring 6.1.4 does (the conformance kit's
# shapes, with this suite's course and learner).
EXAM = shapes.exam(
    1,
    "Final Exam",
    course_id="course-v1:edX+DemoX+Demo_Course",
    content_id="block-v1:edX+DemoX+Demo_Course+type@sequential+block@final",
)

ATTEMPT = shapes.attempt(
    "http://127.0.0.1:18000",
    "71d49000f38255a5c72268637d364c48a62c7a85",
    "Ada Learner",
    "learner@example.com",
)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: its own store, loopback, no environment leaking in."""
    values = {
        "db": str(tmp_path / "mockprock.sqlite"),
        "host": "127.0.0.1",
        "port": 0,
        # The LMS the attempts name (ATTEMPT["lms_host"]): callbacks may go there.
        "lms_url": "http://127.0.0.1:18000",
    }
    return Settings.load({**values, **overrides}, environ={})


def get_token(client: FlaskClient, client_id: str = "abcd", secret: str = "abcdsecret") -> str:
    response = client.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "token_type": "jwt",
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def basic(client_id: str = "abcd", secret: str | None = None) -> dict[str, str]:
    """HTTP Basic headers for a client; its secret is the id+"secret" rule's unless given."""
    pair = f"{client_id}:{client_id + 'secret' if secret is None else secret}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


@contextmanager
def app_on(tmp_path: Path, **settings: object) -> Iterator[Flask]:
    """An app on its own store in ``tmp_path`` with these settings, closed afterwards."""
    app = create_app(make_settings(tmp_path, **settings))
    app.testing = True
    try:
        yield app
    finally:
        app.extensions["mockprock"].close()


def csrf_of(page: str) -> str:
    """The CSRF token a console page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(
    client: FlaskClient, client_id: str = "abcd", secret: str = "abcdsecret"
) -> TestResponse:
    """Sign in to the console as a browser does: its page, then the form with the CSRF token."""
    page = client.get("/mockprock/").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "client_id": client_id, "client_secret": secret}
    return client.post("/mockprock/sign-in", data=form)


# The OAuth application the LMS stand-in accepts (the server calls the LMS back with it).
LMS_CLIENT = ("lms-client", "lms-client-secret")


def lms_stub_argv(*args: str) -> list[str]:
    """``python -m mockprock.lms_stub`` for ``LMS_CLIENT``, on a free loopback port."""
    return [
        sys.executable,
        "-m",
        "mockprock.lms_stub",
        "--client-id",
        LMS_CLIENT[0],
        "--client-secret",
        LMS_CLIENT[1],
        *args,
    ]


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[socketserver.BaseServer]:
    """Serve ``server`` on a thread while the block runs; shut down and closed after."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# The test LMS of mockprock.testing's in-process mode.
IN_PROCESS_LMS = "http://lms.test"


def capture_lms(proctoring: Any, posts: list, status: int = 200, lms: str = IN_PROCESS_LMS) -> None:
    """A stand-in LMS on ``mock_proctoring``'s own mock: a token for mockprock, and every
    callback recorded in ``posts`` (the requests) and answered ``status``."""
    mock = proctoring.requests_mock
    token = json.dumps({"access_token": "t", "token_type": "JWT", "expires_in": 3600})
    mock.add_callback("POST", f"{lms}/oauth2/access_token", callback=lambda r: (200, {}, token))
    mock.add_callback(
        "POST",
        re.compile(re.escape(lms) + "/api/"),
        callback=lambda r: (posts.append(r), (status, {}, '"OK"' if status < 400 else "down"))[1],
    )
