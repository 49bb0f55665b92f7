"""The command line's side of the settings: one click option per :class:`Settings` field
(``mockprock serve`` and ``python -m mockprock.server`` share them), and the hint a command
gives when the server extra is missing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mockprock.config import Settings, env_names, flag_of
from mockprock.setting_values import field_type

# What the commands need beyond the standard library: the `server` extra.
SERVER_REQUIREMENTS = ("click", "flask", "werkzeug", "jwt", "requests", "waitress")


def missing_extra(exc: ModuleNotFoundError, command: str) -> BaseException:
    """What a command raises when an import failed: for a package of the ``server`` extra
    (the wheel installed alone), an exit with the fix instead of a traceback."""
    if (exc.name or "").split(".")[0] not in SERVER_REQUIREMENTS:
        return exc
    return SystemExit(
        f"{command}: the Python package {exc.name!r} is missing; it comes with mockprock's "
        "server extra. Install it with: pip install 'mockprock[server]'"
    )


def option_specs() -> list[tuple[str, dataclasses.Field]]:
    """Each setting with the flag name it goes by on the command line."""
    return [(flag_of(f), f) for f in dataclasses.fields(Settings)]


def click_options(command: Callable) -> Callable:
    """Decorate a click command with one option per setting (defaults stay in Settings)."""
    import click

    for flag, f in reversed(option_specs()):
        env = env_names(f)[0]
        default = f.default
        limits = f"; 0 to {f.metadata['maximum']}" if "maximum" in f.metadata else ""
        help_text = f"{f.metadata['help']} [env {env}; default {default!r}{limits}]"
        kind = field_type(f)
        names = [f"--{flag}", *([f.metadata["short"]] if "short" in f.metadata else [])]
        if f.metadata.get("repeatable"):
            decorator = click.option(f"--{flag}", f.name, multiple=True, help=help_text)
        elif kind is bool:
            decorator = click.option(f"--{flag}/--no-{flag}", f.name, default=None, help=help_text)
        else:
            choices = f.metadata.get("choices")
            click_type = (
                click.Choice(choices) if choices else {int: int, float: float}.get(kind, str)
            )
            decorator = click.option(*names, f.name, type=click_type, default=None, help=help_text)
        command = decorator(command)
    return command
