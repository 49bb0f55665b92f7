"""Fixtures shared by the whole suite."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockprock.app import create_app
from mockprock.config import Settings
from tests.helpers import ServerProcess, mockprock_argv

EXAM = {
    "id": 1,
    "course_id": "course-v1:edX+DemoX+Demo_Course",
    "content_id": "block-v1:edX+DemoX+Demo_Course+type@sequential+block@final",
    "external_id": None,
    "exam_name": "Final Exam",
    "time_limit_mins": 30,
    "is_proctored": True,
    "is_practice_exam": False,
    "is_active": True,
    "due_date": None,
    "hide_after_due": False,
    "backend": "mockprock",
    "rules": {"allow_notes": True},
}

ATTEMPT = {
    "lms_host": "http://127.0.0.1:18000",
    "time_limit_mins": 30,
    "is_sample_attempt": False,
    "user_id": "71d49000f38255a5c72268637d364c48a62c7a85",
    "full_name": "Ada Learner",
    "email": "learner@example.com",
    "status": "created",
}


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: its own store, loopback, no environment leaking in."""
    values = {"db": str(tmp_path / "mockprock.sqlite"), "host": "127.0.0.1", "port": 0}
    return Settings.load({**values, **overrides}, environ={})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.testing = True
    yield app
    app.extensions["mockprock"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


@pytest.fixture
def auth(client: FlaskClient) -> dict[str, str]:
    """Headers carrying a provider token for the default client ``abcd``."""
    return {"Authorization": f"JWT {get_token(client)}"}


@pytest.fixture
def exam_id(client: FlaskClient, auth: dict[str, str]) -> str:
    return client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]


@pytest.fixture
def attempt_id(client: FlaskClient, auth: dict[str, str], exam_id: str) -> str:
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth)
    return response.get_json()["id"]


@pytest.fixture
def start_mockprock(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start real mockprock servers on free loopback ports; all are stopped afterwards.

    ``start_mockprock("--review-delay", "0", db=path, env={...})``
    """
    started: list[ServerProcess] = []

    def start(
        *args: str, db: Path | None = None, env: dict[str, str] | None = None
    ) -> ServerProcess:
        server = ServerProcess(mockprock_argv(db or tmp_path / "live.sqlite", *args), env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


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


@pytest.fixture
def start_lms_stub() -> Iterator[Callable[..., ServerProcess]]:
    """Start LMS stand-ins (``start_lms_stub("--port", "1234")``); all stopped afterwards."""
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        stub = ServerProcess(lms_stub_argv(*args))
        started.append(stub)
        return stub.start()

    yield start
    for stub in started:
        stub.stop()
