"""Settings: flags, then MOCKPROCK_* variables, then defaults; bad values are refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mockprock.command_options import click_options
from mockprock.config import Settings, SettingsError


def test_environment_fills_what_flags_leave_out():
    env = {
        "MOCKPROCK_PORT": "9999",
        "MOCKPROCK_REVIEW_DELAY_SECONDS": "0.5",
        "MOCKPROCK_DB": "x.db",
    }
    settings = Settings.load({"port": 1234}, environ=env)
    assert settings.port == 1234
    assert settings.review_delay_seconds == 0.5
    assert settings.db == "x.db"


def test_clients_from_flags_and_environment():
    assert Settings.load({"clients": ("a:b", "c:d:e")}, environ={}).client_secrets == {
        "a": "b",
        "c": "d:e",
    }
    env = {"MOCKPROCK_CLIENTS": "lms:one, studio:two"}
    assert Settings.load(environ=env).client_secrets == {"lms": "one", "studio": "two"}


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("MOCKPROCK_REVIEW_STATUS", "violation", "default_review_status", "violation"),
        ("MOCKPROCK_DEFAULT_REVIEW_STATUS", "violation", "default_review_status", "violation"),
        ("MOCKPROCK_CLIENT", "lms:one", "clients", (("lms", "one"),)),
        ("MOCKPROCK_CLIENTS", "lms:one", "clients", (("lms", "one"),)),
        ("MOCKPROCK_REVIEW_DELAY", "0.5", "review_delay_seconds", 0.5),
        ("MOCKPROCK_REVIEW_DELAY_SECONDS", "0.5", "review_delay_seconds", 0.5),
        ("MOCKPROCK_PING_INTERVAL", "5", "ping_interval_seconds", 5),
        ("MOCKPROCK_LMS_URL", "http://lms:1", "lms_url", "http://lms:1"),
    ],
)
def test_variables_are_named_after_flags_and_old_names_still_work(variable, value, field, expected):
    assert getattr(Settings.load(environ={variable: value}), field) == expected


def test_the_flag_variable_wins_over_the_old_name():
    env = {"MOCKPROCK_REVIEW_STATUS": "suspicious", "MOCKPROCK_DEFAULT_REVIEW_STATUS": "violation"}
    assert Settings.load(environ=env).default_review_status == "suspicious"


@pytest.mark.parametrize(
    "url", ["not-a-url", "localhost:18000", "ftp://lms.example", "http://", "http://lms:port"]
)
def test_an_lms_or_public_url_that_is_not_http_is_refused(url):
    with pytest.raises(SettingsError, match="must be an http:// or https:// URL"):
        Settings.load({"lms_url": url}, environ={})
    with pytest.raises(SettingsError, match="public_url must be"):
        Settings.load({"public_url": url}, environ={})


@pytest.mark.parametrize(
    ("overrides", "env", "message"),
    [
        ({"default_review_status": "great"}, {}, "default_review_status must be one of"),
        ({}, {"MOCKPROCK_PORT": "eleven"}, "cannot read 'eleven'"),
        ({}, {"MOCKPROCK_VERDICT_FROM_SESSION": "maybe"}, "cannot read 'maybe'"),
        ({"clients": ("no-colon",)}, {}, "ID:SECRET"),
        ({"review_delay_seconds": -1.0}, {}, "must not be negative"),
        ({"port": 70000}, {}, "port must be"),
    ],
)
def test_bad_values_are_refused(overrides, env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load(overrides, environ=env)


def test_booleans_read_from_the_environment():
    assert Settings.load(environ={"MOCKPROCK_VERDICT_FROM_SESSION": "yes"}).verdict_from_session
    assert not Settings.load(environ={"MOCKPROCK_VERDICT_FROM_SESSION": "off"}).verdict_from_session


def test_replace_parses_and_validates():
    settings = Settings.load(environ={})
    assert settings.replace(review_delay_seconds="3").review_delay_seconds == 3.0
    with pytest.raises(SettingsError, match="unknown setting"):
        settings.replace(colour="blue")
    with pytest.raises(SettingsError):
        settings.replace(onboarding="sometimes")


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://localhost:18000", "http://localhost:18000"),
        ("http://localhost:18000/", "http://localhost:18000"),
        ("http://localhost:18000/oauth2", "http://localhost:18000"),
        ("http://localhost:18000/oauth2/", "http://localhost:18000"),
    ],
)
def test_lms_root_drops_a_trailing_oauth2(url, root):
    settings = Settings.load({"lms_url": url}, environ={})
    assert settings.lms_root == root
    assert settings.lms_admin_url == root + "/admin/oauth2_provider/application/add/"


def test_public_settings_never_show_secrets():
    settings = Settings.load(
        {"lms_client_secret": "lms-very-secret", "clients": ("abcd:client-very-secret",)},
        environ={},
    )
    shown = str(settings.public())
    assert "very-secret" not in shown
    assert settings.public()["lms_client_secret_set"] is True
    assert settings.public()["clients"] == ["abcd"]


def test_every_setting_is_a_flag_with_its_environment_variable():
    import click

    @click.command()
    @click_options
    def command(**options):
        click.echo(repr(Settings.load(options, environ={"MOCKPROCK_ONBOARDING": "required"})))

    runner = CliRunner()
    help_text = runner.invoke(command, ["--help"]).output
    for flag in ("--review-delay", "--ready-delay", "--review-status", "--client", "-l, --lms-url"):
        assert flag in help_text
    assert "MOCKPROCK_REVIEW_DELAY;" in help_text
    result = runner.invoke(
        command, ["--review-delay", "0", "--client", "a:b", "--verdict-from-session"]
    )
    assert result.exit_code == 0, result.output
    assert "review_delay_seconds=0.0" in result.output
    assert "clients=(('a', 'b'),)" in result.output
    assert "verdict_from_session=True" in result.output
    assert "onboarding='required'" in result.output
    refused = runner.invoke(command, ["--review-status", "great"])
    assert refused.exit_code == 2


def test_given_settings_names_flags_and_environment_but_not_defaults():
    from mockprock.config import given_settings

    given = given_settings(
        {"port": 1, "db": None, "clients": ()}, environ={"MOCKPROCK_ONBOARDING": "required"}
    )
    assert given == {"port", "onboarding"}
