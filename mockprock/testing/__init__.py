"""mockprock in a project's own tests: the pytest plugin (entry point ``pytest11``, name
``mockprock``) and ``mock_proctoring``.

pytest loads this module wherever mockprock is installed, an LMS's environment included, so
at import it takes only the standard library and pytest, and it registers no autouse
fixture: installing mockprock changes no other test run. What the fixtures need (the server
and testing extras) is imported when a fixture is used; a missing package fails that test
with the install command.

Fixtures (each yields a :class:`~mockprock.testing.handle.Proctoring`: ``url``,
``client_id``, ``client_secret``, ``control``, ``provider``, ``advance``,
``load_scenario``, ``export_state``, ``import_state``):

``mockprock_server``
    A server of the test's own (127.0.0.1, a free port, a store in a temporary folder, the
    manual clock), stopped after the test. Its settings: the ``mockprock_settings`` fixture
    (override it, for instance to depend on your LMS's URL), then the ``mockprock`` marker:
    ``@pytest.mark.mockprock(review_delay_seconds=60)``.
``mockprock_session_server``
    One server for the whole session (settings: the ``mockprock_session_settings``
    fixture), never reset: use ``mockprock_shared_server`` in tests.
``mockprock_shared_server``
    The session's server, reset before the test (its exams, attempts, callbacks and
    settings changes wiped), then given the ``mockprock`` marker's settings as run-time
    changes. Faster than ``mockprock_server`` when a suite has many tests.

``mock_proctoring(base_url="http://mockprock.test", **settings)`` (context manager and
decorator) serves ``requests`` calls to ``base_url`` in process; see
:mod:`mockprock.testing.inprocess`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockprock.testing.handle import INSTALL_HINT, MissingExtra, Proctoring, load

__all__ = ["INSTALL_HINT", "MissingExtra", "Proctoring", "mock_proctoring"]

MARKER = "mockprock"


def __getattr__(name: str) -> Any:
    # ``from mockprock.testing import mock_proctoring`` imports the in-process mode (Flask,
    # responses) then, not when pytest loads the plugin.
    if name == "mock_proctoring":
        return load("inprocess").mock_proctoring
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): mockprock settings for the mockprock_server fixture's server "
        "(or run-time changes of mockprock_shared_server's)",
    )


def marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ``mockprock`` markers' settings, the closest (the test's own) winning."""
    values: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes settings by name only")
        values.update(marker.kwargs)
    return values


def _load(module: str) -> Any:
    try:
        return load(module)
    except MissingExtra as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)  # outside the except: the message alone


@pytest.fixture
def mockprock_settings() -> dict[str, Any]:
    """Settings of ``mockprock_server``'s server (``Settings`` field names); override."""
    return {}


@pytest.fixture
def mockprock_server(
    request: pytest.FixtureRequest, mockprock_settings: dict[str, Any], tmp_path: Path
) -> Iterator[Proctoring]:
    """A real server of this test's own, stopped after it."""
    server = _load("server")
    settings = {**mockprock_settings, **marker_settings(request)}
    folder = tmp_path / "mockprock"
    folder.mkdir()
    with server.running_server(settings, folder) as proctoring:
        yield proctoring


@pytest.fixture(scope="session")
def mockprock_session_settings() -> dict[str, Any]:
    """Settings of ``mockprock_session_server``'s server; override in a conftest.py."""
    return {}


@pytest.fixture(scope="session")
def mockprock_session_server(
    mockprock_session_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proctoring]:
    """One real server for the session (tests use ``mockprock_shared_server``)."""
    server = _load("server")
    folder = tmp_path_factory.mktemp("mockprock")
    with server.running_server(mockprock_session_settings, folder) as proctoring:
        yield proctoring


@pytest.fixture
def mockprock_shared_server(
    request: pytest.FixtureRequest, mockprock_session_server: Proctoring
) -> Proctoring:
    """The session's server, reset for this test, with its ``mockprock`` marker's
    settings as run-time changes (a reset takes them back)."""
    mockprock_session_server.control.reset()
    changes = marker_settings(request)
    if changes:
        mockprock_session_server.control.change_settings(**changes)
    return mockprock_session_server
