"""What a test drives mockprock through, whichever way it runs: the same object from the
``mockprock_server`` fixtures (a real server) and from ``mock_proctoring`` (in process), so
a test moves from one to the other without changing a line.

Standard library only at import (the plugin imports this module when pytest starts): the
clients are imported when an object is made, which needs the server extra.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockprock.client import ControlClient, ProviderClient

INSTALL_HINT = 'pip install "mockprock[testing]"'
# What the testing extra adds to the server extra's (command_options.SERVER_REQUIREMENTS).
TESTING_REQUIREMENTS = ("responses",)

# The provider client a test's server accepts (an operator too: a reset between tests then
# forgets every setting a test changed, those deciding where secrets go included).
TEST_CLIENT = ("mockprock-test", "mockprock-test-secret")
# Where callbacks go unless a test says otherwise: a name no machine answers (``.test`` is
# reserved), with credentials, so that callbacks are due and visible rather than held.
TEST_LMS = ("http://lms.test", "mockprock-lms", "mockprock-lms-secret")


class MissingExtra(ModuleNotFoundError):
    """A package of the testing extra is not installed; the message says how to add it."""


def load(module: str) -> Any:
    """``mockprock.testing.<module>``, or :class:`MissingExtra` naming the install command
    when the extra it needs is missing (the plugin itself never needs it)."""
    try:
        return importlib.import_module(f"mockprock.testing.{module}")
    except ModuleNotFoundError as exc:
        from mockprock.command_options import SERVER_REQUIREMENTS

        top = (exc.name or "").split(".")[0]
        if top not in (*SERVER_REQUIREMENTS, *TESTING_REQUIREMENTS):
            raise
        raise MissingExtra(
            f"mockprock's test helpers need the Python package {exc.name!r}, which comes with "
            f"mockprock's testing extra. Install it with: {INSTALL_HINT}",
            name=exc.name,
        ) from None


def setting_names() -> frozenset[str]:
    from mockprock.config import Settings

    return frozenset(f.name for f in dataclasses.fields(Settings))


def settings_for_test(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a test's server starts with: loopback, the test client, the test LMS,
    the manual clock; ``overrides`` (a test's own) win. A name that is no setting is a
    ``SettingsError`` (a typo never passes unnoticed)."""
    from mockprock.setting_values import SettingsError

    unknown = sorted(set(overrides) - setting_names())
    if unknown:
        raise SettingsError(f"unknown mockprock setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "clients": (TEST_CLIENT,),
        "admins": (TEST_CLIENT,),
        "lms_url": TEST_LMS[0],
        "lms_client_id": TEST_LMS[1],
        "lms_client_secret": TEST_LMS[2],
        "clock": "manual",
    }
    return {**values, **overrides}


def client_of(settings: Mapping[str, Any]) -> tuple[str, str]:
    """The provider client a test uses: the first of the accepted ones."""
    first = next(iter(settings.get("clients") or ()), None)
    if first is None:
        return TEST_CLIENT
    if isinstance(first, str):  # "ID:SECRET", as the flag takes it
        client_id, _, secret = first.partition(":")
        return client_id, secret
    return first[0], first[1]


class Proctoring:
    """A mockprock a test drives: its ``url``, the provider client a test's LMS uses
    (``client_id``, ``client_secret``), ``control`` (the control API, as the CLI uses it)
    and ``provider`` (the provider API, as the LMS calls it).

    ``requests_mock`` is the ``responses`` mock serving it in process (None over real
    HTTP): a test that mocks other URLs with ``responses`` adds them to this one, since
    nested ``responses`` mocks do not see each other."""

    def __init__(
        self, url: str, client_id: str, client_secret: str, requests_mock: Any = None
    ) -> None:
        from mockprock.client import ControlClient, ProviderClient

        self.url = url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.control: ControlClient = ControlClient(self.url, client_id, client_secret)
        self.provider: ProviderClient = ProviderClient(self.url, client_id, client_secret)
        self.requests_mock = requests_mock

    def __repr__(self) -> str:
        where = "in process" if self.requests_mock is not None else "over HTTP"
        return f"<mockprock at {self.url} ({where}), client {self.client_id}>"

    # One way to do each thing: the control API's client does it; these are the names a
    # test reads.

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the server's manual clock; what became due is attempted before this
        returns."""
        return self.control.advance_clock(seconds)

    def load_scenario(self, scenario: dict[str, Any] | str | Path) -> dict[str, Any]:
        """Load a scenario (a dict, or the path of a scenario file) for this client."""
        return self.control.load_scenario(scenario)

    def export_state(self) -> dict[str, Any]:
        """This client's whole state as JSON (never a secret)."""
        return self.control.export_state()

    def import_state(self, data: dict[str, Any]) -> dict[str, Any]:
        """Replace this client's state with ``data`` (from :meth:`export_state`)."""
        return self.control.import_state(data)

    def route_callbacks_to(
        self, django_client: Any, user: Any = None, lms_url: str | None = None
    ) -> None:
        """In process only: answer the LMS token request and deliver every callback to
        ``lms_url`` (the server's LMS by default) into ``django_client`` (Django's test
        client), logged in as ``user`` (one allowed to review attempts, such as a member of
        ``mockprock_review``); see :mod:`mockprock.testing.lms_routing`."""
        if self.requests_mock is None:
            raise RuntimeError(
                "route_callbacks_to works in process (mock_proctoring): a real server calls "
                "the LMS over HTTP, so point its lms_url at a running LMS instead"
            )
        lms_routing = load("lms_routing")
        lms_url = lms_url or self.control.settings()["lms_url"]
        lms_routing.route_callbacks(self, django_client, lms_url, user)
