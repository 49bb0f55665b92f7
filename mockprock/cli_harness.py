"""The commands for a server a test drives: its clock (``mockprock clock``), the
client's scenario (``mockprock scenario``) and the client's whole state (``mockprock
state``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mockprock.cli_control import call_server, control_options


@click.command(short_help="Show the server's clock, or advance a manual one.")
@click.argument("action", required=False, type=click.Choice(["advance"]))
@click.argument("seconds", required=False, type=float)
@control_options
def clock(action: str | None, seconds: float | None, **where: Any) -> None:
    """The server's time, or `mockprock clock advance SECONDS`: move a manual clock (a
    server started with --clock manual) forward; what fell due is tried before it answers."""
    if (action is None) != (seconds is None):
        raise click.UsageError("say `mockprock clock` or `mockprock clock advance SECONDS`")
    if seconds is None:
        now = call_server(**where, call=lambda control: control.clock())
        click.echo(f"{now['mode']} clock: {now['now_iso']} ({now['now']})")
        return
    moved = call_server(**where, call=lambda control: control.advance_clock(seconds))
    sent = moved["callbacks"]
    click.echo(
        f"clock advanced {moved['advanced_seconds']:g} s to {moved['now_iso']}; "
        f"callbacks due {sent['due']}: {sent['attempted']} tried, {sent['delivered']} "
        f"delivered; {sent['pending']} pending"
        + (f", next due {sent['next_due_iso']}" if sent["next_due_iso"] else "")
    )


@click.group(short_help="Load, show or clear the client's scenario file.")
def scenario() -> None:
    """A scenario: rules deciding what the client's attempts get (verdict, comments,
    delays, onboarding, desktop faults, failed callback tries); see the README."""


@scenario.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@control_options
def scenario_load(path: str, **where: Any) -> None:
    """Replace the client's scenario with the file PATH (JSON; TOML on Python 3.11+)."""
    from mockprock.provider.scenario_file import ScenarioError

    try:
        answer = call_server(**where, call=lambda control: control.load_scenario(path))
    except ScenarioError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    click.echo(f"scenario loaded from {path}: {answer['rules']} rule(s)")


@scenario.command("show")
@control_options
def scenario_show(**where: Any) -> None:
    """Print the client's scenario as JSON (null: none) and where it comes from."""
    click.echo(json.dumps(call_server(**where, call=lambda control: control.scenario()), indent=2))


@scenario.command("clear")
@control_options
def scenario_clear(**where: Any) -> None:
    """The client has no scenario (the server's --scenario neither, until a reset)."""
    call_server(**where, call=lambda control: control.clear_scenario())
    click.echo("scenario cleared")


@click.group(short_help="Save the client's whole state to a file, or load it back.")
def state() -> None:
    """Save the client's whole state (exams, attempts, callbacks, onboarding profiles, its
    scenario) to a JSON file, or replace it with one saved before; no secret is in it."""


@state.command("save", short_help="Save the client's state to FILE.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@control_options
def state_save(file: Path, **where: Any) -> None:
    """Write the client's whole state to FILE (JSON)."""
    document = call_server(**where, call=lambda control: control.export_state())
    file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    click.echo(f"state of client {document['client_id']} saved to {file}: {_counts(document)}")


@state.command("load", short_help="Replace the client's state with FILE's.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@control_options
def state_load(file: Path, **where: Any) -> None:
    """Replace the client's whole state with the one FILE holds (saved by `mockprock
    state save`). Callbacks pending when it was saved are pending again."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file} is not a JSON state: {exc}") from None
    loaded = call_server(**where, call=lambda control: control.import_state(document))
    click.echo(f"state of client {loaded['client_id']} loaded from {file}: {_counts(loaded)}")


def _counts(document: dict[str, Any]) -> str:
    names = ("exams", "attempts", "callbacks", "onboarding_profiles")
    return ", ".join(f"{len(document[n])} {n.replace('_', ' ')}" for n in names)
