"""The contract tests' LMS: Django with the real edx_proctoring installed.

Django is configured once per process, in tests/lms_django.py, which the real-LMS tests
share; the backend is (re)loaded for each test by edx_proctoring's own ``ready()``, which
reads ``PROCTORING_BACKENDS`` and instantiates every ``openedx.proctoring`` entry point it
names, exactly as in the LMS.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Without the LMS side installed these tests cannot run: say so instead of an ImportError.
# CI installs the 'edx' extra, so there a missing package fails the run, never skips it.
if os.environ.get("CI"):
    import edx_proctoring  # noqa: F401
pytest.importorskip(
    "edx_proctoring",
    reason="needs the real edx-proctoring: install the 'edx' extra (pip install -e '.[edx]')",
)

from mockprock.dashboard_link import BACKENDS
from tests.helpers import ServerProcess
from tests.lms_django import configure_lms, load_backend

__all__ = ["connect", "load_backend"]

configure_lms()


@pytest.fixture(params=BACKENDS)
def lms_backend(request: pytest.FixtureRequest) -> str:
    """The LMS backend calling mockprock: its own, then each vendor's real one from PyPI
    (Proctortrack's), configured only with ``client_id``, ``client_secret``, ``base_url``."""
    return request.param


@pytest.fixture
def connect(
    lms_backend: str, start_mockprock: Callable[..., ServerProcess]
) -> Iterator[Callable[..., tuple[ServerProcess, Any]]]:
    """``connect(*server_args, **backend_options)``: a live mockprock server and the LMS's
    backend (``lms_backend``) pointed at it with the default client ``abcd``."""

    def connect_(*server_args: str, **options: Any) -> tuple[ServerProcess, Any]:
        server = start_mockprock(*server_args)
        options = {"client_id": "abcd", "client_secret": "abcdsecret", **options}
        return server, load_backend(lms_backend, base_url=server.url, **options)

    yield connect_
    load_backend()  # no test's server stays configured
