"""The LMS finds the backend through its entry point and configures it from its settings."""

from __future__ import annotations

import pytest
from django.apps import apps
from edx_proctoring.backends.rest import BaseRestProctoringProvider
from stevedore.extension import ExtensionManager

from mockprock.backend import MockProckBackend
from mockprock.dashboard_link import DASHBOARD_PATH, TOKEN_PATH, VENDOR_PATHS
from tests.contract.lms import EDX_LINE
from tests.lms_django import load_backend


def test_the_entry_point_names_the_backend_class() -> None:
    extensions = {e.name: e for e in ExtensionManager(namespace="openedx.proctoring")}
    assert extensions["mockprock"].plugin is MockProckBackend


def test_the_lms_loads_it_as_its_default_backend() -> None:
    backend = load_backend(client_id="abcd", client_secret="abcdsecret")
    assert isinstance(backend, MockProckBackend)
    assert (backend.client_id, backend.client_secret) == ("abcd", "abcdsecret")
    choices = dict(apps.get_app_config("edx_proctoring").get_backend_choices())
    assert choices["mockprock"] == backend.verbose_name


def test_what_the_lms_shows_about_the_provider() -> None:
    backend = load_backend(client_id="abcd", client_secret="abcdsecret")
    assert backend.verbose_name == "Mock Proctoring Service"
    assert "@" in backend.tech_support_email
    assert backend.tech_support_phone
    assert backend.npm_module == "@edx/mockprock"
    assert backend.has_dashboard is True
    assert backend.supports_onboarding is True
    assert backend.needs_oauth is True
    # The LMS redirects to a dashboard link at once; a day lets the reviewer reload it.
    assert backend.token_expiration_time == 24 * 3600


def test_the_lms_waits_for_the_provider_as_its_line_says() -> None:
    # 6.1 gives every provider call 30 s; 5.2 sets no timeout at all.
    assert getattr(BaseRestProctoringProvider, "timeout", None) == EDX_LINE.timeout_seconds
    backend = load_backend(client_id="abcd", client_secret="abcdsecret")
    assert getattr(backend, "timeout", None) == EDX_LINE.timeout_seconds


def test_settings_override_the_allow_listed_attributes() -> None:
    backend = load_backend(tech_support_email="help@lms.example", timeout=5, unknown_key="x")
    assert backend.tech_support_email == "help@lms.example"
    if EDX_LINE.timeout_seconds is None:
        assert not hasattr(backend, "timeout")  # 5.2 does not allow-list the key
    else:
        assert backend.timeout == 5  # 6.1 added the `timeout` key
    assert not hasattr(backend, "unknown_key")  # the LMS passes only its allow list


@pytest.mark.parametrize(
    ("setting", "environment", "expected"),
    [
        (None, None, "http://host.docker.internal:11136"),
        (None, "http://172.17.0.1:11136/", "http://172.17.0.1:11136"),
        ("http://mockprock.local:8000/", "http://172.17.0.1:11136", "http://mockprock.local:8000"),
    ],
    ids=["default", "environment", "setting-wins"],
)
def test_where_the_backend_finds_the_server(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, environment: str | None, expected: str
) -> None:
    if environment is None:
        monkeypatch.delenv("MOCKPROCK_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("MOCKPROCK_BASE_URL", environment)
    options = {"base_url": setting} if setting else {}
    backend = load_backend(client_id="abcd", client_secret="abcdsecret", **options)
    assert backend.base_url == expected
    assert backend.config_url == expected + "/api/v1/config/"


def test_the_vendor_paths_table_is_where_the_real_proctortrack_backend_calls() -> None:
    """edx-proctoring-proctortrack-v2 from PyPI: its token and dashboard paths are the
    table's; every other URL it builds is the base class's, as mockprock's backend's."""
    from edx_proctoring.backends.rest import BaseRestProctoringProvider

    base = "http://mockprock.test"
    backend = load_backend("proctortrack", client_id="abcd", client_secret="x", base_url=base)
    assert type(backend).__module__.startswith("edx_proctoring_proctortrack")
    table = VENDOR_PATHS["proctortrack"]
    assert backend.session.oauth_uri == table[TOKEN_PATH]
    assert (
        backend.instructor_url
        == base + table[DASHBOARD_PATH].replace("<client_id>", "{client_id}") + "?jwt={jwt}"
    )
    plain = load_backend(client_id="abcd", client_secret="x", base_url=base)  # mockprock's
    urls = [
        name
        for name, member in vars(BaseRestProctoringProvider).items()
        if name.endswith("_url") and isinstance(member, property)
    ]
    assert "create_exam_attempt_url" in urls
    differ = {n for n in urls if getattr(backend, n) != getattr(plain, n)}
    assert differ == {"instructor_url"}
    assert backend.npm_module == "edx-proctoring-proctortrack-v2"
