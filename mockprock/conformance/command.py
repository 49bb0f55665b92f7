"""``mockprock conformance``: the command line of the kit (the runner does the work)."""

from __future__ import annotations

import sys
from typing import Any

import click

from mockprock.config import DEFAULT_SERVER_URL, SERVER_URL_VARIABLES


@click.command("conformance", short_help="Judge a provider server against edx-proctoring.")
@click.option(
    "--url",
    envvar=list(SERVER_URL_VARIABLES),
    default=DEFAULT_SERVER_URL,
    show_default=True,
    help=f"The provider server to judge [env {SERVER_URL_VARIABLES[0]}].",
)
@click.option("--client-id", default="abcd", show_default=True, help="Provider client id.")
@click.option("--client-secret", help="Its secret (default: the id followed by 'secret').")
@click.option(
    "--backend",
    default="mockprock",
    show_default=True,
    help="Call as this LMS backend calls (its name in PROCTORING_BACKENDS): mockprock's "
    "own, or a vendor's whose paths differ (proctortrack); the checks that differ say so.",
)
@click.option(
    "--lms-listen",
    default="127.0.0.1:0",
    show_default=True,
    help="HOST:PORT the LMS stand-in listens on for callbacks (port 0: a free one).",
)
@click.option(
    "--lms-url", help="The stand-in's URL as the provider reaches it (default: where it listens)."
)
@click.option("--lms-client-id", help="OAuth client id the stand-in accepts (default: random).")
@click.option("--lms-client-secret", help="Its secret (default: random, printed).")
@click.option(
    "--only", multiple=True, help="Run only these checks or areas (repeatable, or comma-separated)."
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write a JSON report.")
@click.option(
    "--callback-wait", default=30.0, show_default=True, help="Seconds to wait for a callback."
)
@click.option(
    "--expiry-wait",
    default=10.0,
    show_default=True,
    help="Longest token lifetime the expired-token check waits out.",
)
@click.option("--list", "list_checks", is_flag=True, help="List the checks and exit.")
def conformance(**options: Any) -> None:
    """Judge a proctoring provider's server against what edx-proctoring's REST backend
    needs: play the LMS and the learner's browser, receive the callbacks on an LMS
    stand-in, and report each check as PASS, FAIL or SKIP. Exits 1 if any check failed,
    2 if the kit could not run (no server answers, or a mockprock that will not let it run
    as a guest client of its own: it never changes your settings, exams or attempts)."""
    sys.exit(run_command(click.echo, **options))


def run_command(
    echo: Any,
    url: str,
    client_id: str,
    client_secret: str | None,
    backend: str,
    lms_listen: str,
    lms_url: str | None,
    lms_client_id: str | None,
    lms_client_secret: str | None,
    only: tuple[str, ...],
    junit_xml: str | None,
    json_path: str | None,
    callback_wait: float,
    expiry_wait: float,
    list_checks: bool,
) -> int:
    from mockprock.conformance import report
    from mockprock.conformance.model import FAIL, summary_line
    from mockprock.conformance.registry import selected
    from mockprock.conformance.runner import (
        CHECKS,
        Context,
        KitRefused,
        Options,
        StandIn,
        run_conformance,
    )
    from mockprock.dashboard_link import BACKENDS

    if list_checks:
        for check in CHECKS:
            echo(f"{check.name:<40} {check.summary}")
        return 0
    try:
        selected(only)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if backend not in BACKENDS:
        raise click.UsageError(f"--backend {backend!r}: one of {', '.join(BACKENDS)}")
    settings = Options(
        url, client_id, client_secret or client_id + "secret", callback_wait, expiry_wait, backend
    )
    try:
        stand_in = StandIn(lms_listen, lms_client_id, lms_client_secret, lms_url).start()
    except (OSError, ValueError) as exc:
        raise click.ClickException(
            f"the LMS stand-in cannot listen on {lms_listen}: {exc}"
        ) from None
    control = False

    def opened(ctx: Context) -> None:
        nonlocal control
        control = ctx.has_control()
        echo(f"mockprock conformance: provider {url} (control API: {'yes' if control else 'no'})")
        if control:
            echo(
                f"LMS stand-in {stand_in.url}; the kit runs as guest client {ctx.guest}, so "
                "your settings, exams and attempts stay as they are"
            )
        else:
            echo(
                f"LMS stand-in {stand_in.url}: the provider must get tokens there as OAuth "
                f"client {stand_in.client_id} with secret {stand_in.client_secret}"
            )

    try:
        results = run_conformance(
            settings,
            stand_in,
            only,
            on_result=lambda r: echo(report.text_line(r)),
            on_note=lambda note: echo(f"note: {note}"),
            on_open=opened,
        )
    except KitRefused as exc:
        echo(f"mockprock conformance: {exc}")
        return 2
    finally:
        stand_in.stop()
    echo(summary_line(results))
    target = {"url": url, "client_id": client_id, "control_api": control}
    if junit_xml:
        report.write(junit_xml, report.junit_xml(results))
    if json_path:
        report.write(json_path, report.json_report(results, target))
    return 1 if any(r.outcome == FAIL for r in results) else 0
