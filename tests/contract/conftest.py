"""A minimal LMS for the contract tests: Django with the real edx_proctoring installed.

Only what edx_proctoring's app, its REST backend and its OAuth client need. Django is
configured once per process, here, so only this directory sees it; the backend is
(re)loaded for each test by edx_proctoring's own ``ready()``, which reads
``PROCTORING_BACKENDS`` and instantiates every ``openedx.proctoring`` entry point it
names, exactly as in the LMS.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import django
import pytest
from django.conf import settings

from tests.helpers import ServerProcess

LMS_SETTINGS: dict[str, Any] = {
    "SECRET_KEY": "mockprock-contract-tests",
    # edx_when: edx_proctoring's api imports its models.
    "INSTALLED_APPS": [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "edx_when",
        "edx_proctoring",
    ],
    # Never queried: the backend only talks HTTP. Models still need a database alias.
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    "LANGUAGE_CODE": "en-us",
    "USE_I18N": True,
    "PLATFORM_NAME": "Contract LMS",
    "SITE_NAME": "localhost",
    "PROCTORING_SETTINGS": {},
    "PROCTORING_BACKENDS": {"DEFAULT": "mockprock", "mockprock": {}},
    # ready() writes workers.json under ENV_ROOT, and only when NODE_MODULES_ROOT is set.
    "ENV_ROOT": tempfile.gettempdir(),
}


def configure_lms() -> None:
    if not settings.configured:
        settings.configure(**LMS_SETTINGS)
        django.setup()


configure_lms()


def load_backend(**options: Any) -> Any:
    """The LMS's default backend after its start-up with ``PROCTORING_BACKENDS['mockprock']
    = options`` (the allow-listed keys reach the backend, as in the LMS)."""
    from django.apps import apps
    from django.core.cache import cache
    from django.test.utils import override_settings
    from edx_django_utils.cache import RequestCache
    from edx_proctoring.backends import get_backend_provider

    # OAuth tokens are cached per server URL, and a later test's server may get a port
    # an earlier one had.
    cache.clear()
    RequestCache.clear_all_namespaces()
    with override_settings(PROCTORING_BACKENDS={"DEFAULT": "mockprock", "mockprock": options}):
        apps.get_app_config("edx_proctoring").ready()
        return get_backend_provider()


@pytest.fixture
def connect(
    start_mockprock: Callable[..., ServerProcess],
) -> Iterator[Callable[..., tuple[ServerProcess, Any]]]:
    """``connect(*server_args, **backend_options)``: a live mockprock server and the LMS's
    backend pointed at it with the default client ``abcd`` / ``abcdsecret``."""

    def connect_(*server_args: str, **options: Any) -> tuple[ServerProcess, Any]:
        server = start_mockprock(*server_args)
        options = {"client_id": "abcd", "client_secret": "abcdsecret", **options}
        return server, load_backend(base_url=server.url, **options)

    yield connect_
    load_backend()  # no test's server stays configured
