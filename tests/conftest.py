"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockprock.config import Settings
from mockprock.web.app import create_app
from tests.helpers import (
    ATTEMPT,
    EXAM,
    ServerProcess,
    get_token,
    lms_stub_argv,
    make_settings,
    mockprock_argv,
)

# Folders whose every test starts a real server: Chromium and the pages' servers, or the
# real LMS on a port. Elsewhere a module or test says so itself (pytest.mark.live).
LIVE_FOLDERS = ("browser", "real_lms")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of LIVE_FOLDERS ``live`` before ``-m "not live"`` deselects."""
    here = Path(__file__).parent
    for item in items:
        if any(item.path.is_relative_to(here / folder) for folder in LIVE_FOLDERS):
            item.add_marker(pytest.mark.live)


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
        # Callbacks may go to the LMS the test attempts name (ATTEMPT["lms_host"]).
        argv = mockprock_argv(
            db or tmp_path / "live.sqlite", "--allow-lms-origin", ATTEMPT["lms_host"], *args
        )
        server = ServerProcess(argv, env=env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


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
