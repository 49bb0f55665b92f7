"""Settings of the provider server, in one place.

Every setting is a field of :class:`Settings`. Its value comes from, first match wins:
a command-line flag ``--<flag>``, the environment variable ``MOCKPROCK_<FLAG>`` (the flag
in capitals, ``-`` as ``_``), the default here. Names the variables had before that rule
(``MOCKPROCK_<FIELD>``, such as ``MOCKPROCK_DEFAULT_REVIEW_STATUS``) still work, second.
The click options of ``mockprock serve`` and ``python -m mockprock.server`` are built
from these fields (``command_options``), so a new setting needs one field here and nothing
else."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockprock.setting_values import (
    SettingsError,
    check_number,
    field_type,
    is_http_url,
    origin_of,
    value_of,
)
from mockprock.statuses import (
    APP_RUNNING,
    CLOCK_MODES,
    CLOCK_SYSTEM,
    DESKTOP_STATES,
    ONBOARDING_MODES,
    ONBOARDING_OPTIONAL,
    PASSED,
    REVIEW_STATUSES,
)

ENV_PREFIX = "MOCKPROCK_"
DEFAULT_PORT = 11136
# The devstack LMS as the devstack host sees it (README, "Using it with devstack"), also
# the ``lms_host`` devstack registers attempts with: its callbacks go with no other flag.
DEFAULT_LMS_URL = "http://localhost:18000"

# The URL of a running server, for the commands that talk to one (`mockprock status`...).
DEFAULT_SERVER_URL = f"http://localhost:{DEFAULT_PORT}"
SERVER_URL_VARIABLES = (ENV_PREFIX + "URL", ENV_PREFIX + "BASE_URL")  # the second: old name


# The documented ranges of the numbers (a field's ``maximum``; none is negative): a year
# for a delay or a duration, so that every due time and expiry stays a date.
YEAR_SECONDS = 366 * 24 * 3600


def _setting(default: Any, help: str, **extra: Any) -> Any:
    """A setting and what is said of it once, here: ``help``; ``flag``, ``short``,
    ``choices``, ``maximum``, ``repeatable`` (``"pairs"`` or ``"origins"``) and
    ``secret``; ``runtime`` (the control API may change it while the server runs),
    ``clearable`` (an empty value clears it), ``routes_secrets`` (it decides where a
    secret goes: only an operator changes it) and ``releases_held`` (a change may let
    held callbacks go); the name lists of ``runtime_settings`` and ``trust`` come from it."""
    return field(default=default, metadata={"help": help, **extra})


def setting_names(key: str, value: Any = True) -> tuple[str, ...]:
    """The settings whose metadata says ``key`` is ``value``, in their order here."""
    return tuple(f.name for f in dataclasses.fields(Settings) if f.metadata.get(key) == value)


@dataclass(frozen=True)
class Settings:
    host: str = _setting(
        "0.0.0.0", "Interface to listen on (0.0.0.0 so a dockerised LMS can reach it)."
    )
    port: int = _setting(DEFAULT_PORT, "Port to listen on.", maximum=65535)
    db: str = _setting("mockprock.sqlite", "SQLite file holding all state.")
    clients: tuple[tuple[str, str], ...] = _setting(
        (),
        "Accepted provider client as ID:SECRET (repeatable; environment: comma-separated). "
        "Without any, a client is accepted when its secret is its id followed by 'secret'.",
        flag="client",
        repeatable="pairs",
    )
    admins: tuple[tuple[str, str], ...] = _setting(
        (),
        "Operator as ID:SECRET (repeatable): only an operator changes where secrets go "
        "(lms_url, LMS credentials, allowed origins) at run time. Without any, every "
        "accepted client may while the server listens on loopback only.",
        flag="admin",
        repeatable="pairs",
    )
    lms_url: str = _setting(
        DEFAULT_LMS_URL,
        "LMS base URL (for OAuth tokens and admin links).",
        short="-l",
        runtime=True,
        routes_secrets=True,
        releases_held=True,
    )
    lms_client_id: str | None = _setting(
        None,
        "Client id of the LMS OAuth application.",
        runtime=True,
        clearable=True,
        routes_secrets=True,
        releases_held=True,
    )
    lms_client_secret: str | None = _setting(
        None,
        "Client secret of the LMS OAuth application.",
        secret=True,
        runtime=True,
        clearable=True,
        routes_secrets=True,
        releases_held=True,
    )
    allowed_lms_origins: tuple[str, ...] = _setting(
        (),
        "Another origin the LMS calls back to, such as http://localhost:18000 (repeatable; "
        "environment: comma-separated). The origin of --lms-url is always allowed.",
        flag="allow-lms-origin",
        repeatable="origins",
        runtime=True,
        routes_secrets=True,
    )
    allowed_origins: tuple[str, ...] = _setting(
        (),
        "Another origin whose pages may drive the desktop application without naming the "
        "attempt, and that the learner page links back to (exam_return_url) (repeatable; "
        "environment: comma-separated). The LMS origins always may.",
        flag="allow-origin",
        repeatable="origins",
        runtime=True,
        routes_secrets=True,
    )
    public_url: str | None = _setting(
        None, "Base of the links the server hands out (default: the request's own host)."
    )
    token_lifetime_seconds: int = _setting(
        3600, "Lifetime of the provider's access tokens.", maximum=YEAR_SECONDS
    )
    max_body_bytes: int = _setting(1024 * 1024, "Largest request body accepted.", maximum=2**30)
    read_timeout_seconds: float = _setting(
        30.0,
        "Seconds a request's headers and body may take to arrive, and an idle keep-alive "
        "connection may stay open; then the connection is closed.",
        flag="read-timeout",
        maximum=3600,
    )
    journal_size: int = _setting(
        500, "How many provider-API requests the journal keeps.", maximum=1_000_000
    )
    clock: str = _setting(
        CLOCK_SYSTEM, "The system's clock, or a manual one tests move.", choices=CLOCK_MODES
    )
    # The simulation knobs (also changeable at run time through the control API).
    review_delay_seconds: float = _setting(
        10.0,
        "Delay between submission and review callback.",
        flag="review-delay",
        maximum=YEAR_SECONDS,
        runtime=True,
    )
    ready_delay_seconds: float = _setting(
        2.0,
        "Delay between download page and ready callback.",
        flag="ready-delay",
        maximum=YEAR_SECONDS,
        runtime=True,
    )
    upload_delay_seconds: float = _setting(
        5.0,
        "Time the desktop app takes to upload after stop.",
        flag="upload-delay",
        maximum=YEAR_SECONDS,
        runtime=True,
    )
    default_review_status: str = _setting(
        PASSED,
        "Verdict when nothing else decides one.",
        choices=REVIEW_STATUSES,
        flag="review-status",
        runtime=True,
    )
    onboarding: str = _setting(
        ONBOARDING_OPTIONAL,
        "Onboarding gate for proctored exams.",
        choices=ONBOARDING_MODES,
        runtime=True,
    )
    onboarding_valid_days: int = _setting(
        730, "How long an approved onboarding profile stays valid.", maximum=36_600, runtime=True
    )
    verdict_from_session: bool = _setting(
        False,
        "A crash or a long heartbeat gap makes the default verdict 'suspicious'.",
        runtime=True,
    )
    desktop_default: str = _setting(
        APP_RUNNING,
        "Desktop application state for new attempts.",
        choices=DESKTOP_STATES,
        runtime=True,
    )
    scenario: str | None = _setting(
        None, "Scenario file (JSON; TOML on Python 3.11+) for the clients without their own."
    )
    ping_interval_seconds: int = _setting(
        60,
        "Heartbeat interval the LMS worker uses.",
        flag="ping-interval",
        maximum=24 * 3600,
    )
    callback_retry_seconds: float = _setting(
        24 * 3600.0,
        "How long a callback is retried before it is marked failed.",
        maximum=YEAR_SECONDS,
        runtime=True,
    )
    callback_backoff_seconds: float = _setting(
        1.0,
        "First retry delay of a callback; it doubles on each try, up to 60 s.",
        maximum=YEAR_SECONDS,
        runtime=True,
    )

    # -- derived values -------------------------------------------------------------

    @property
    def lms_root(self) -> str:
        """The LMS URL without a trailing slash or a trailing ``/oauth2``."""
        url = self.lms_url.rstrip("/")
        if url.endswith("/oauth2"):
            url = url[: -len("/oauth2")]
        return url

    @property
    def lms_admin_url(self) -> str:
        """Where a developer creates the OAuth application the server calls the LMS with
        (the LMS as the server sees it: on devstack and Tutor, the browser's address too)."""
        return f"{self.lms_root}/admin/oauth2_provider/application/add/"

    @property
    def client_secrets(self) -> dict[str, str]:
        return dict(self.clients)

    @property
    def admin_secrets(self) -> dict[str, str]:
        return dict(self.admins)

    @property
    def lms_origins(self) -> tuple[str, ...]:
        """Where callbacks may go: the origin of ``lms_url``, then ``--allow-lms-origin``."""
        return tuple(dict.fromkeys((origin_of(self.lms_url), *self.allowed_lms_origins)))

    @property
    def desktop_origins(self) -> tuple[str, ...]:
        """Whose pages may drive the desktop application without naming the attempt."""
        return tuple(dict.fromkeys((*self.lms_origins, *self.allowed_origins)))

    # -- building ---------------------------------------------------------------------

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from flags (``overrides``; ``None`` means not given), then the environment."""
        values = {f.name: value_of(f, value) for f, value in _given_values(overrides, environ)}
        return cls(**values).validated()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (strings parsed as their field's type), validated."""
        by_name = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(by_name))
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        parsed = {name: value_of(by_name[name], value) for name, value in changes.items()}
        return dataclasses.replace(self, **parsed).validated()

    def validated(self) -> Settings:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            choices = f.metadata.get("choices")
            if choices and value not in choices:
                raise SettingsError(f"{f.name} must be one of {', '.join(choices)}, not {value!r}")
            expected = field_type(f)
            if expected in (int, float):
                check_number(f, value, expected)
            if expected is bool and not isinstance(value, bool):
                raise SettingsError(f"{f.name} must be true or false, not {value!r}")
        for name in ("lms_url", "public_url"):
            value = getattr(self, name)
            if value is not None and not is_http_url(value):
                raise SettingsError(
                    f"{name} must be an http:// or https:// URL such as "
                    f"http://localhost:18000, not {value!r}"
                )
        if not 0 <= self.port < 65536:
            raise SettingsError("port must be between 0 (any free port) and 65535")
        if self.ping_interval_seconds == 0:
            raise SettingsError("ping_interval_seconds must be positive")
        if self.read_timeout_seconds == 0:
            raise SettingsError("read_timeout_seconds must be positive")
        return self

    def public(self) -> dict[str, Any]:
        """The settings as JSON-friendly data, with every secret left out."""
        out = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("secret") or f.metadata.get("repeatable") == "pairs":
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        out["lms_client_secret_set"] = bool(self.lms_client_secret)
        out["clients"] = [client_id for client_id, _ in self.clients]
        out["admins"] = [client_id for client_id, _ in self.admins]
        out["lms_origins"] = list(self.lms_origins)
        return out


class CurrentSettings:
    """The server's settings now (changed at run time), held by the provider and read by
    the dispatcher through :meth:`get`: neither calls the other for them."""

    def __init__(self, settings: Settings) -> None:
        self.value = settings

    def get(self) -> Settings:
        return self.value


def _given_values(
    overrides: Mapping[str, Any] | None, environ: Mapping[str, str] | None
) -> list[tuple[dataclasses.Field, Any]]:
    """Each setting given by a flag (``None`` or ``()`` means not given) or else by its
    environment variable, with the value as given."""
    overrides = overrides or {}
    environ = os.environ if environ is None else environ
    given = []
    for f in dataclasses.fields(Settings):
        value = overrides.get(f.name)
        if value is not None and value != ():
            given.append((f, value))
            continue
        variable = next((name for name in env_names(f) if name in environ), None)
        if variable:
            given.append((f, environ[variable]))
    return given


def flag_of(f: dataclasses.Field) -> str:
    """The command-line flag of a setting, without its dashes."""
    return f.metadata.get("flag", f.name.replace("_", "-"))


def env_names(f: dataclasses.Field) -> tuple[str, ...]:
    """The environment variables of a setting: ``MOCKPROCK_<FLAG>``, then the old name."""
    names = (ENV_PREFIX + flag_of(f).replace("-", "_").upper(), ENV_PREFIX + f.name.upper())
    return tuple(dict.fromkeys(names))


def given_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The names of the settings a flag or an environment variable gave (not defaults)."""
    return frozenset(f.name for f, _ in _given_values(overrides, environ))
