"""Run the provider server.

    python -m mockprock.server CLIENT_ID CLIENT_SECRET [-l LMS_URL] [any `mockprock serve` option]

CLIENT_ID and CLIENT_SECRET are those of the OAuth application created in the LMS's
Django admin, which the server uses to call the LMS back. They may also be given as
--lms-client-id / --lms-client-secret or MOCKPROCK_LMS_CLIENT_ID / _SECRET.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import click
from werkzeug.serving import WSGIRequestHandler, make_server

from mockprock.app import create_app
from mockprock.config import Settings, SettingsError, click_options, given_settings
from mockprock.journal import redact_url
from mockprock.processes import serve_until_stopped

log = logging.getLogger("mockprock")


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request log, with secret query values (the dashboard's jwt) hidden."""

    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(type, message, *(redact_url(a) if isinstance(a, str) else a for a in args))


def serve(settings: Settings, explicit: Iterable[str] = ()) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``explicit`` names the settings given
    by flags or environment variables (they win over changes stored by the control API)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings, explicit=explicit)
    services = app.extensions["mockprock"]
    server = make_server(
        settings.host, settings.port, app, threaded=True, request_handler=RedactingRequestHandler
    )
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    click.echo(f"  state in {settings.db}; LMS at {settings.lms_root}")
    if not (services.settings.lms_client_id and services.settings.lms_client_secret):
        click.echo(
            "  No LMS credentials: the server runs, but callbacks to the LMS wait until it has\n"
            f"  them. Create an OAuth application at {settings.lms_admin_url}\n"
            "  (client type confidential, grant type client credentials) and restart with\n"
            "  `python -m mockprock.server CLIENT_ID CLIENT_SECRET`, or set them at run time\n"
            "  with PATCH /mockprock/api/settings (lms_client_id, lms_client_secret)."
        )
    services.outbox.start()  # the callback dispatcher; services.close() stops it

    def stopped() -> None:
        services.close()
        click.echo("mockprock stopped")

    # The listening line comes last, so whoever waits for it (tests, `mockprock demo`)
    # finds all the rest printed and the server ready.
    serve_until_stopped(
        server, f"mockprock listening on http://{shown_host}:{server.server_port}", stopped
    )


def load_settings(options: dict[str, Any]) -> Settings:
    try:
        return Settings.load(options)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(
    name="mockprock.server",
    help=__doc__,
    epilog="Retrieve the client id and secret from the LMS Django admin "
    "(/admin/oauth2_provider/application/) and start the server with those arguments.",
)
@click.argument("client_id", required=False)
@click.argument("client_secret", required=False)
@click_options
def main(client_id: str | None, client_secret: str | None, **options: Any) -> None:
    if client_id and not client_secret:
        raise click.UsageError("give both CLIENT_ID and CLIENT_SECRET, or neither")
    options["lms_client_id"] = options.get("lms_client_id") or client_id
    options["lms_client_secret"] = options.get("lms_client_secret") or client_secret
    serve(load_settings(options), given_settings(options))


if __name__ == "__main__":
    main()
