"""The ``mockprock`` command."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockprock import __version__
from mockprock.command_options import click_options, missing_extra
from mockprock.config import DEFAULT_SERVER_URL, SERVER_URL_VARIABLES
from mockprock.setting_values import is_http_url
from mockprock.statuses import PROFILE_APPROVED, PROFILE_SETTINGS, REVIEW_STATUSES

try:
    import click

    from mockprock.auth import default_secret
except ModuleNotFoundError as exc:  # the wheel installed without its `server` extra
    raise missing_extra(exc, Path(sys.argv[0]).name or "mockprock") from None


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="mockprock")
@click.pass_context
def main(ctx: click.Context) -> None:
    """mockprock: a stand-in proctoring provider for Open edX development.

    Start with `mockprock serve` (or `mockprock demo` to see the whole flow); the other
    commands drive a running server.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@main.command(short_help="Run the provider server (as python -m mockprock.server).")
@click.argument("client_id", required=False)
@click.argument("client_secret", required=False)
@click_options
def serve(client_id: str | None, client_secret: str | None, **options: Any) -> None:
    """Run the provider server; CLIENT_ID and CLIENT_SECRET are those of the OAuth
    application the server calls the LMS with (created in the LMS's Django admin).
    Every option also reads the variable MOCKPROCK_<OPTION>."""
    from mockprock.server import run

    run(client_id, client_secret, options, "mockprock serve")


# -- the simulation: `demo`, and `review`, `onboarding`, `status` (the control API) ------


@main.command(short_help="Play a whole exam flow against a server and an LMS stand-in.")
@click.option(
    "--keep", is_flag=True, help="Then keep the server running with the sample data (Ctrl-C)."
)
@click.option(
    "--port", type=int, default=0, help="The server's port with --keep (default: a free one)."
)
def demo(keep: bool, port: int) -> None:
    """Walk the whole flow against a real server and an LMS stand-in (no LMS needed):
    exam, onboarding, attempt, ready, start, submit, review, a forced violation and a
    learner refused by the onboarding gate. Exits non-zero if a step fails."""
    from mockprock.demo import run_demo

    sys.exit(run_demo(click.echo, keep=keep, port=port))


# Where a running server is, as this machine (and its browser) reaches it, and the
# provider client to act as: shared by the commands that talk to a server.
def _server_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not is_http_url(value):
        hint = f" (did you mean http://{value}?)" if "://" not in value else ""
        raise click.BadParameter(f"{value!r} is not an http:// URL{hint}", ctx, param)
    if ctx.get_parameter_source(param.name) is click.core.ParameterSource.ENVIRONMENT:
        click.echo(f"(server {value}, from the environment)", err=True)
    return value.rstrip("/")


server_url_option = click.option(
    "--url",
    "base_url",
    envvar=list(SERVER_URL_VARIABLES),
    default=DEFAULT_SERVER_URL,
    show_default=True,
    callback=_server_url,
    help=f"The running server [env {SERVER_URL_VARIABLES[0]}].",
)
client_id_option = click.option(
    "--client-id", default="abcd", show_default=True, help="Provider client id."
)
client_secret_option = click.option(
    "--client-secret",
    default=None,
    help="Its secret (default: the id followed by 'secret', as the server accepts).",
)


def _control_options(command: Callable) -> Callable:
    """Where the running server is and the provider client to drive it with."""
    return server_url_option(client_id_option(client_secret_option(command)))


def _control(base_url: str, client_id: str, client_secret: str | None, call: Callable) -> Any:
    """Run ``call(ControlClient)``; a refusal or an unreachable server is a clear error."""
    import requests

    from mockprock.client import ControlClient

    control = ControlClient(base_url, client_id, client_secret or default_secret(client_id))
    try:
        return call(control)
    except requests.HTTPError as exc:
        status = exc.response.status_code
        try:
            detail = exc.response.json().get("detail")
        except ValueError:  # not mockprock's JSON errors: something else listens there
            detail = f"{exc.response.text[:200]!r}; is {base_url} a mockprock server? {_WHERE}"
        raise click.ClickException(f"the server answered {status}: {detail}") from None
    except requests.ConnectionError:
        raise click.ClickException(
            f"no server answers at {base_url}. Start one with `mockprock serve`; {_WHERE}"
        ) from None
    except requests.RequestException as exc:
        raise click.ClickException(f"cannot reach the server at {base_url}: {exc}") from None


_WHERE = f"a server on another port is given with --url URL or {SERVER_URL_VARIABLES[0]}=URL."


@main.command(short_help="Queue the verdict of an attempt's review.")
@click.argument("attempt_id")
@click.argument("status", type=click.Choice(REVIEW_STATUSES))
@click.option("--comment", "comments", multiple=True, help="A review comment (repeatable).")
@click.option("--reviewed-by", help="Email of an LMS user: the LMS then rejects at once.")
@click.option("--delay", "delay_seconds", type=float, help="Seconds before it is sent.")
@_control_options
def review(
    attempt_id: str,
    status: str,
    comments: tuple[str, ...],
    reviewed_by: str | None,
    delay_seconds: float | None,
    **where: Any,
) -> None:
    """Queue the verdict STATUS for ATTEMPT_ID (before submission it waits for it; after,
    it replaces a review not yet sent). ATTEMPT_ID may be the start of the id, as
    `mockprock status` and the console show it."""
    answer = _control(
        **where,
        call=lambda control: control.review(
            resolve_attempt(control, attempt_id),
            status,
            comments=list(comments) or None,
            reviewed_by=reviewed_by,
            delay_seconds=delay_seconds,
        ),
    )
    click.echo(f"verdict {status} queued for attempt {attempt_id}; it goes {answer['sends']}")


@main.command(short_help="Set a learner's onboarding profile.")
@click.argument("user_id")
@click.argument("status", type=click.Choice(PROFILE_SETTINGS))
@click.option("-c", "--course", "course_id", help="Course the approval is for.")
@_control_options
def onboarding(user_id: str, status: str, course_id: str | None, **where: Any) -> None:
    """Set the onboarding profile of USER_ID (the LMS's anonymous user id) to STATUS."""
    answer = _control(
        **where, call=lambda control: control.set_onboarding(user_id, status, course_id)
    )
    profile = answer["profile"] or {}
    expires = profile.get("expiration_date")
    # A profile with no course counts in every course: say so, not "approved-in-course".
    shown = answer["status"] if profile.get("course_id") or not profile else profile["status"]
    where = f" in {profile['course_id']}" if profile.get("course_id") else " in every course"
    click.echo(
        f"onboarding profile of {user_id}: {shown}"
        + (where if profile else "")
        + (f" (until {expires})" if expires and status == PROFILE_APPROVED else "")
    )


@main.group(short_help="Load, show or clear the client's scenario file.")
def scenario() -> None:
    """A scenario: rules deciding what the client's attempts get (verdict, comments,
    delays, onboarding, desktop faults, failed callback tries); see the README."""


@scenario.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_control_options
def scenario_load(path: str, **where: Any) -> None:
    """Replace the client's scenario with the file PATH (JSON; TOML on Python 3.11+)."""
    from mockprock.provider.scenario_file import ScenarioError

    try:
        answer = _control(**where, call=lambda control: control.load_scenario(path))
    except ScenarioError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    click.echo(f"scenario loaded from {path}: {answer['rules']} rule(s)")


@scenario.command("show")
@_control_options
def scenario_show(**where: Any) -> None:
    """Print the client's scenario as JSON (null: none) and where it comes from."""
    click.echo(json.dumps(_control(**where, call=lambda control: control.scenario()), indent=2))


@scenario.command("clear")
@_control_options
def scenario_clear(**where: Any) -> None:
    """The client has no scenario (the server's --scenario neither, until a reset)."""
    _control(**where, call=lambda control: control.clear_scenario())
    click.echo("scenario cleared")


@main.command(short_help="List the attempts, or show one attempt's timeline.")
@click.argument("attempt_id", required=False)
@_control_options
def status(attempt_id: str | None, **where: Any) -> None:
    """The attempts, newest first as the console lists them (exam, learner, verdict), or
    one attempt's timeline and callbacks. ATTEMPT_ID may be the start of an id, such as
    the 8 characters the console shows, when no other attempt starts the same way."""
    if attempt_id is None:
        click.echo(_control(**where, call=attempts_table))
        return
    attempt = _control(
        **where, call=lambda control: control.attempt(resolve_attempt(control, attempt_id))
    )
    exam = (attempt.get("exam") or {}).get("exam_name") or attempt["exam_id"]
    verdict = verdict_of(attempt["callbacks"])
    click.echo(
        f"attempt {attempt['id']}: {attempt['status']}, verdict {verdict} "
        f"({attempt.get('email') or attempt.get('full_name') or ''}; exam {exam})"
    )
    for event in attempt["timeline"]:
        moment = time.strftime("%H:%M:%S", time.localtime(event["at"]))
        click.echo(f"  {moment}  {event['kind']:<18} {json.dumps(event['detail'])}")
    for callback in attempt["callbacks"]:
        answer = callback["last_status"] or callback["last_error"] or ""
        click.echo(
            f"  callback {callback['id']} {callback['kind']:<8} {callback['state']:<9} "
            f"tries {callback['tries']}  {answer}"
        )


@main.command(short_help="Show the server's clock, or advance a manual one.")
@click.argument("action", required=False, type=click.Choice(["advance"]))
@click.argument("seconds", required=False, type=float)
@_control_options
def clock(action: str | None, seconds: float | None, **where: Any) -> None:
    """The server's time, or `mockprock clock advance SECONDS`: move a manual clock (a
    server started with --clock manual) forward; what fell due is tried before it answers."""
    if (action is None) != (seconds is None):
        raise click.UsageError("say `mockprock clock` or `mockprock clock advance SECONDS`")
    if seconds is None:
        now = _control(**where, call=lambda control: control.clock())
        click.echo(f"{now['mode']} clock: {now['now_iso']} ({now['now']})")
        return
    moved = _control(**where, call=lambda control: control.advance_clock(seconds))
    sent = moved["callbacks"]
    click.echo(
        f"clock advanced {moved['advanced_seconds']:g} s to {moved['now_iso']}; "
        f"callbacks due {sent['due']}: {sent['attempted']} tried, {sent['delivered']} "
        f"delivered; {sent['pending']} pending"
        + (f", next due {sent['next_due_iso']}" if sent["next_due_iso"] else "")
    )


# The console shows an attempt by the first characters of its id.
SHORT_ID = 8


def resolve_attempt(control: Any, given: str) -> str:
    """The id of the client's one attempt whose id is ``given`` or starts with it; a
    clear error when none does, or several do."""
    given = given.strip().lower()
    ids = [a["id"] for a in control.attempts(id=given, page_size=6)] if given else []
    if given in ids:
        return given
    matches = [i for i in ids if given and i.startswith(given)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise click.ClickException(
            f"no attempt has an id starting with {given!r}; `mockprock status` lists them"
        )
    shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
    many = f"{len(matches)}" if len(matches) <= 5 else "more than 5"
    raise click.ClickException(
        f"{given!r} starts {many} attempt ids ({shown}): give more of the id"
    )


def verdict_of(callbacks: list[dict[str, Any]]) -> str:
    """The verdict of an attempt's last review callback, with its state unless delivered;
    ``-`` when no review has been decided."""
    reviews = [c for c in callbacks if c["kind"] == "reviewed"]
    if not reviews:
        return "-"
    last = reviews[-1]
    verdict = (last.get("payload") or {}).get("status") or "?"
    return verdict if last["state"] == "delivered" else f"{verdict} ({last['state']})"


# `mockprock status` lists the newest attempts only (the console pages through them all).
STATUS_SHOWN = 50


def attempts_table(control: Any) -> str:
    """The client's newest attempts, newest first, as the console lists them."""
    attempts = control.attempts(newest=1, page_size=STATUS_SHOWN + 1)
    if not attempts:
        return "no attempts"
    rows = [
        (
            a["id"][:SHORT_ID],
            a["status"],
            verdict_of(control.callbacks(kind="reviewed", attempt=a["id"])),
            a.get("email") or a.get("full_name") or a.get("user_id") or "",
            a.get("exam_name") or a["exam_id"],
        )
        for a in attempts[:STATUS_SHOWN]
    ]
    shown = table([("attempt", "status", "verdict", "learner", "exam"), *rows])
    if len(attempts) > STATUS_SHOWN:
        shown += f"\n(the newest {STATUS_SHOWN} shown; the console pages through them all)"
    return shown


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows as columns as wide as their widest cell (the last column left ragged)."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(f"{cell!s:<{w}}" for cell, w in zip(row, widths, strict=False)), str(row[-1])])
        for row in rows
    )


@main.group(short_help="Save the client's whole state to a file, or load it back.")
def state() -> None:
    """Save the client's whole state (exams, attempts, callbacks, onboarding profiles) to
    a JSON file, or replace it with one saved before; no secret is in the file."""


@state.command("save", short_help="Save the client's state to FILE.")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@_control_options
def state_save(file: Path, **where: Any) -> None:
    """Write the client's whole state to FILE (JSON)."""
    document = _control(**where, call=lambda control: control.export_state())
    file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    click.echo(f"state of client {document['client_id']} saved to {file}: {_counts(document)}")


@state.command("load", short_help="Replace the client's state with FILE's.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_control_options
def state_load(file: Path, **where: Any) -> None:
    """Replace the client's whole state with the one FILE holds (saved by `mockprock
    state save`). Callbacks pending when it was saved are pending again."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file} is not a JSON state: {exc}") from None
    loaded = _control(**where, call=lambda control: control.import_state(document))
    click.echo(f"state of client {loaded['client_id']} loaded from {file}: {_counts(loaded)}")


def _counts(document: dict[str, Any]) -> str:
    names = ("exams", "attempts", "callbacks", "onboarding_profiles")
    return ", ".join(f"{len(document[n])} {n.replace('_', ' ')}" for n in names)


# -- instructor dashboard links (the `dashboard-url` command and `get-dashboard`) -----


def _dashboard_link_options(command: Callable) -> Callable:
    """The options both dashboard-link commands take; defaults match the server's."""
    for decorator in reversed(
        [
            click.option("-c", "--course", "course_id", required=True, help="Course id."),
            click.option("--exam", "exam_id", help="External exam id: the exam's view."),
            click.option("--attempt", "attempt_id", help="External attempt id (needs --exam)."),
            click.option("--config", is_flag=True, help="The exam's configuration (needs --exam)."),
            server_url_option,
            click.option("-o", "--open", "open_browser", is_flag=True, help="Open it."),
        ]
    ):
        command = decorator(command)
    return command


def _show_dashboard_link(
    client_id: str,
    client_secret: str,
    course_id: str,
    exam_id: str | None,
    attempt_id: str | None,
    config: bool,
    base_url: str,
    open_browser: bool,
) -> None:
    from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url

    if (attempt_id or config) and not exam_id:
        # The LMS drops these claims without an exam; say so rather than drop them too.
        raise click.UsageError("--attempt and --config need --exam")
    claims = dashboard_claims(
        client_id, course_id, DEFAULT_INSTRUCTOR, exam_id, attempt_id, config=config
    )
    url = dashboard_url(base_url, client_id, client_secret, claims)
    click.echo(url)
    if open_browser:
        import webbrowser

        webbrowser.open(url)


@main.command("dashboard-url", short_help="Print a signed instructor-dashboard link.")
@_dashboard_link_options
@client_id_option
@client_secret_option
def dashboard_url_command(client_id: str, client_secret: str | None, **options: Any) -> None:
    """Print the instructor-dashboard link the LMS would build (course, exam, attempt or
    configuration view), signed with the client's secret."""
    _show_dashboard_link(client_id, client_secret or default_secret(client_id), **options)


@click.command("get-dashboard")
@click.argument("client_id", default="client")
@click.argument("client_secret", required=False)
@_dashboard_link_options
def get_dashboard(client_id: str, client_secret: str | None, **options: Any) -> None:
    """Print an instructor-dashboard link (the original mockprock's command; same as
    `mockprock dashboard-url`, with the client as arguments)."""
    _show_dashboard_link(client_id, client_secret or default_secret(client_id), **options)


# The conformance kit lives in its own package; its command is registered here.
from mockprock.conformance.command import conformance  # noqa: E402

main.add_command(conformance)


if __name__ == "__main__":
    main()
