"""The ``mockprock`` command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mockprock import __version__
from mockprock.config import click_options


@click.group()
@click.version_option(__version__, prog_name="mockprock")
def main() -> None:
    """mockprock: a stand-in proctoring provider for Open edX development."""


@main.command()
@click_options
def serve(**options: Any) -> None:
    """Run the provider server (every option also reads MOCKPROCK_<NAME>)."""
    from mockprock.server import explicit_settings, load_settings
    from mockprock.server import serve as run

    run(load_settings(options), explicit_settings(options))


# -- instructor dashboard links (the `dashboard-url` command and `get-dashboard`) -----


def _dashboard_link_options(command: Callable) -> Callable:
    """The options both dashboard-link commands take; defaults match the server's."""
    for decorator in reversed(
        [
            click.option("-c", "--course", "course_id", required=True, help="Course id."),
            click.option("--exam", "exam_id", help="External exam id: the exam's view."),
            click.option("--attempt", "attempt_id", help="External attempt id (needs --exam)."),
            click.option("--config", is_flag=True, help="The exam's configuration (needs --exam)."),
            click.option(
                "--url",
                "base_url",
                envvar="MOCKPROCK_BASE_URL",
                default="http://localhost:11136",
                show_default=True,
                help="The server as the browser reaches it [env MOCKPROCK_BASE_URL].",
            ),
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


@main.command("dashboard-url")
@_dashboard_link_options
@click.option("--client-id", default="abcd", show_default=True, help="Provider client id.")
@click.option(
    "--client-secret",
    default=None,
    help="Its secret (default: the id followed by 'secret', as the server accepts).",
)
def dashboard_url_command(client_id: str, client_secret: str | None, **options: Any) -> None:
    """Print the instructor-dashboard link the LMS would build (course, exam, attempt or
    configuration view), signed with the client's secret."""
    _show_dashboard_link(client_id, client_secret or client_id + "secret", **options)


@click.command("get-dashboard")
@click.argument("client_id", default="client")
@click.argument("client_secret", required=False)
@_dashboard_link_options
def get_dashboard(client_id: str, client_secret: str | None, **options: Any) -> None:
    """Print an instructor-dashboard link (the original mockprock's command; same as
    `mockprock dashboard-url`, with the client as arguments)."""
    _show_dashboard_link(client_id, client_secret or client_id + "secret", **options)


if __name__ == "__main__":
    main()
