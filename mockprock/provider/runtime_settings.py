"""What the control API may change while the server runs, and how a change is checked.

Changes are kept in the store and survive a restart, except where a flag or an
environment variable gave the setting explicitly at start (those win). The settings
that decide where secrets go (``trust.SECRET_ROUTING``) change only for an operator."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from mockprock import forms, payloads, trust
from mockprock.config import Settings, SettingsError, flag_of, setting_names
from mockprock.errors import ProviderError, bad_request
from mockprock.store import Store

log = logging.getLogger(__name__)

# Read from the settings' own metadata (``config._setting``): what the control API may
# change, what is a list of origins, what may let held callbacks go, what an empty value
# clears.
RUNTIME_SETTINGS = setting_names("runtime")
ORIGIN_LISTS = setting_names("repeatable", "origins")
LMS_SETTINGS = setting_names("releases_held")
CLEARABLE = setting_names("clearable")


def with_stored_overrides(
    store: Store, settings: Settings, explicit: Iterable[str]
) -> tuple[Settings, list[str]]:
    """``settings`` with the control API's stored changes, except those a flag or an
    environment variable gave explicitly at start; and the lines the banner shows about
    the stored changes deciding where secrets go (a hardened start applies only an
    operator's: ``trust.stored_routing_note``).

    A stored value the server cannot use (NaN or Infinity kept by an older version, a
    name it no longer knows) is skipped with a warning: it never stops the server."""
    explicit = frozenset(explicit)
    by_operator = store.settings.operator_settings()
    start = settings
    notes = []
    for name, value in store.settings.settings_overrides().items():
        if name not in RUNTIME_SETTINGS or name in explicit:
            continue
        if name in trust.SECRET_ROUTING:
            applies, note = trust.stored_routing_note(name, value, start, name in by_operator)
            notes.append(note)
            log.log(logging.INFO if applies else logging.WARNING, note)
            if not applies:
                continue
        try:
            settings = settings.replace(**{name: value})
        except SettingsError as exc:
            log.warning("ignoring the stored change of %s: %s", name, exc)
    return settings, notes


def changed(
    current: Settings, changes: Any, is_admin: bool = False
) -> tuple[Settings, dict[str, Any]]:
    """The settings after ``changes`` (checked, all or nothing) and the changes as kept.
    A change of where secrets go is refused (403, nothing changed) unless the caller is
    an operator (``is_admin``: named with --admin; see :func:`trust.operator_refusal`)."""
    if not isinstance(changes, dict) or not changes:
        raise bad_request("send an object of settings to change")
    fixed = sorted(set(changes) - set(RUNTIME_SETTINGS))
    if fixed:
        raise bad_request(
            f"cannot change {', '.join(fixed)} at run time; changeable: "
            + ", ".join(RUNTIME_SETTINGS),
            error="invalid_setting",
        )
    routing = [
        name for name in RUNTIME_SETTINGS if name in changes and name in trust.SECRET_ROUTING
    ]
    refusal = trust.operator_refusal(current, is_admin, routing) if routing else None
    if refusal is not None:
        raise refusal
    changes = {
        name: None if name in CLEARABLE and value == "" else value
        for name, value in changes.items()
    }
    for name in changes:
        if name in ORIGIN_LISTS:
            value = changes[name]
            if not isinstance(value, str) and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                raise bad_request(
                    f'{name} must be a list of origins such as ["http://localhost:18000"]',
                    error="invalid_setting",
                )
        elif name in CLEARABLE or isinstance(getattr(current, name), str):
            try:
                payloads.value(
                    changes, payloads.Field(name, (str,), required=name not in CLEARABLE)
                )
            except ProviderError as exc:
                raise bad_request(f"{name} must be a string", error="invalid_setting") from exc
    try:
        new = current.replace(**changes)
    except SettingsError as exc:
        raise bad_request(str(exc), error="invalid_setting") from None
    log.info("settings changed: %s", ", ".join(sorted(changes)))  # names only: no secrets
    return new, {name: _stored(getattr(new, name)) for name in changes}


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def resettable(current: Settings, stored: dict[str, Any], is_admin: bool) -> list[str]:
    """The stored changes a reset forgets: all of them for an operator; for any other
    client, all but those deciding where secrets go."""
    operator = trust.operator_refusal(current, is_admin, list(trust.SECRET_ROUTING)) is None
    return [name for name in stored if operator or name not in trust.SECRET_ROUTING]


def form_fields(settings: Settings, is_admin: bool = True) -> list[dict[str, Any]]:
    """The changeable settings as the console's form shows them: name, help, value,
    ``kind`` (bool, int, float, text, secret) and choices. A secret's value is never
    shown, only whether it is set. ``locked`` says how to change a setting that decides
    where secrets go when this client may not (``is_admin``: named with --admin): the
    form then offers no input for it, so it names no action that would be refused."""
    out = []
    by_name = {f.name: f for f in dataclasses.fields(settings)}
    may_route = trust.operator_refusal(settings, is_admin, list(trust.SECRET_ROUTING)) is None
    for name in RUNTIME_SETTINGS:
        spec = by_name[name]
        value = getattr(settings, name)
        secret = bool(spec.metadata.get("secret"))
        kinds = {bool: "bool", int: "int", float: "float", tuple: "list"}
        kind = "secret" if secret else kinds.get(type(value), "text")
        out.append(
            {
                "name": name,
                "help": spec.metadata.get("help", ""),
                "kind": kind,
                # A list of origins shows (and is typed) comma-separated.
                "value": None if secret else ", ".join(value) if kind == "list" else value,
                "is_set": bool(value),
                "choices": spec.metadata.get("choices"),
                "locked": None
                if may_route or name not in trust.SECRET_ROUTING
                else _locked_hint(settings, flag_of(spec)),
            }
        )
    return out


def _locked_hint(settings: Settings, flag: str) -> str:
    """How a setting deciding where secrets go changes, for a client who may not."""
    restart = f"restart the server with --{flag}"
    if settings.admins:
        return (
            "Only an operator changes it here: sign in as a client named with --admin, "
            f"or {restart}."
        )
    return (
        f"Fixed while the server listens on {settings.host} with no --admin: {restart} "
        "(add --admin ID:SECRET to change it here as that operator)."
    )


def changes_from_form(settings: Settings, form: Mapping[str, str]) -> dict[str, Any]:
    """The settings a console form changes, typed as the settings are: an unticked box
    is false, an empty secret keeps the one set (``clear-<name>`` clears it)."""
    changes: dict[str, Any] = {}
    for field in form_fields(settings):
        name, kind = field["name"], field["kind"]
        if kind == "bool":
            value: Any = form.get(name) == "on"
        elif name not in form:
            continue
        elif kind == "secret":
            if form.get(f"clear-{name}") == "on":
                changes[name] = ""
            elif form[name]:
                changes[name] = form[name]
            continue
        elif kind in ("int", "float"):
            value = forms.number_field(form, name, default=field["value"])
            value = int(value) if kind == "int" and value == int(value) else value
        elif kind == "list":
            value = ", ".join(form[name].replace(",", " ").split())
        else:
            value = form[name].strip()
            if name in CLEARABLE and not value and field["value"] is None:
                continue
        if value != field["value"]:
            changes[name] = value
    return changes
