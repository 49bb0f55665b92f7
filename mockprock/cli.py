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
from mockprock.statuses import PROFILE_APPROVED, PROFILE_SETTINGS, REVIEW_STATUSES

try:
    import click

    from mockprock.auth import default_secret
    from mockprock.cli_control import (
        call_server,
        client_id_option,
        client_secret_option,
        control_options,
        server_url_option,
    )
    from mockprock.cli_harness import clock, scenario, state
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


main.add_command(clock)
main.add_command(scenario)
main.add_command(state)


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


@main.command(short_help="Queue the verdict of an attempt's review.")
@click.argument("attempt_id")
@click.argument("status", type=click.Choice(REVIEW_STATUSES))
@click.option("--comment", "comments", multiple=True, help="A review comment (repeatable).")
@click.option("--reviewed-by", help="Email of an LMS user: the LMS then rejects at once.")
@click.option("--delay", "delay_seconds", type=float, help="Seconds before it is sent.")
@control_options
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
    answer = call_server(
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
@control_options
def onboarding(user_id: str, status: str, course_id: str | None, **where: Any) -> None:
    """Set the onboarding profile of USER_ID (the LMS's anonymous user id) to STATUS."""
    answer = call_server(
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


@main.command(short_help="List the attempts, or show one attempt's timeline.")
@click.argument("attempt_id", required=False)
@control_options
def status(attempt_id: str | None, **where: Any) -> None:
    """The attempts, newest first as the console lists them (exam, learner, verdict), or
    one attempt's timeline and callbacks. ATTEMPT_ID may be the start of an id, such as
    the 8 characters the console shows, when no other attempt starts the same way."""
    if attempt_id is None:
        click.echo(call_server(**where, call=attempts_table))
        return
    attempt = call_server(
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
