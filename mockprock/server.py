"""Run the provider server.

    python -m mockprock.server CLIENT_ID CLIENT_SECRET [-l LMS_URL] [options]
    mockprock serve CLIENT_ID CLIENT_SECRET [-l LMS_URL] [options]     (the same)

CLIENT_ID and CLIENT_SECRET are those of the OAuth application created in the LMS's
Django admin, which the server uses to call the LMS back. They may also be given as
--lms-client-id / --lms-client-secret or MOCKPROCK_LMS_CLIENT_ID / _SECRET.
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mockprock.config import (
    DEFAULT_PORT,
    Settings,
    SettingsError,
    click_options,
    env_names,
    given_settings,
    missing_extra,
    option_specs,
)

try:
    import click
    from flask import Flask

    from mockprock.processes import command_help, serve_until_stopped
    from mockprock.store.database import is_read_only
    from mockprock.trust import exposure_warning, run_time_route
    from mockprock.web.app import create_app
    from mockprock.web.serving import make_server
except ModuleNotFoundError as exc:  # the wheel installed without its `server` extra
    raise missing_extra(exc, "python -m mockprock.server") from None

log = logging.getLogger("mockprock")
MODULE_COMMAND = "python -m mockprock.server"


def run(
    client_id: str | None,
    client_secret: str | None,
    options: dict[str, Any],
    command: str = MODULE_COMMAND,
) -> None:
    """``python -m mockprock.server`` and ``mockprock serve``: the LMS's OAuth application as
    two arguments (or flags, or variables), every setting as a flag."""
    if client_id and not client_secret:
        raise click.UsageError("give both CLIENT_ID and CLIENT_SECRET, or neither")
    options["lms_client_id"] = options.get("lms_client_id") or client_id
    options["lms_client_secret"] = options.get("lms_client_secret") or client_secret
    serve(load_settings(options), given_settings(options), command)


def serve(settings: Settings, explicit: Iterable[str] = (), command: str = MODULE_COMMAND) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``explicit`` names the settings given
    by flags or environment variables (they win over changes stored by the control API);
    ``command`` is how the user started it, for the hints printed."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    listening = listen(settings.host, settings.port, command)
    try:
        app = open_app(settings, explicit)
        server = make_server(app, listening, settings)  # the server owns the socket now
    except BaseException:
        listening.close()
        raise
    services = app.extensions["mockprock"]
    click.echo(
        banner(services.settings, server.port, command, services.provider.start_notes), nl=False
    )
    services.outbox.dispatcher.start()  # the callback dispatcher; services.close() stops it

    def stopped() -> None:
        services.close()
        click.echo("mockprock stopped")

    # The listening line comes last, so whoever waits for it (tests, `mockprock demo`)
    # finds all the rest printed and the server ready.
    bound = settings.host or "0.0.0.0"
    scope = "every interface" if bound in ("0.0.0.0", "::") else "this address only"
    serve_until_stopped(
        server,
        f"mockprock listening on {reachable_url(bound, server.port)} (bound to {bound}, {scope})",
        stopped,
    )


def reachable_url(host: str, port: int) -> str:
    """The URL this machine reaches a server bound to ``host`` at."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(settings: Settings, port: int, command: str, notes: Iterable[str] = ()) -> str:
    """What the server prints before it serves. ``settings`` are those in use: the
    stored run-time changes applied, not the flags' defaults; ``notes`` say which of
    those deciding where secrets go came from the store, or were ignored."""
    lines = [
        f"  state in {settings.db}; LMS at {settings.lms_root}",
        f"  callbacks go only to the LMS origins {', '.join(settings.lms_origins)} "
        "(add one by restarting with --allow-lms-origin ORIGIN)",
        *(f"  {note}" for note in notes),
    ]
    warning = exposure_warning(settings)
    if warning:
        lines.append("  " + warning)
    if port != DEFAULT_PORT:
        url = reachable_url(settings.host or "0.0.0.0", port)
        lines.append(
            f"  Not the default port: tell the mockprock commands where it is with\n"
            f"  `--url {url}` or `export MOCKPROCK_URL={url}`."
        )
    if not (settings.lms_client_id and settings.lms_client_secret):
        at_run_time = run_time_route(settings)
        how = f"restart with\n  `{command} CLIENT_ID CLIENT_SECRET`" + (
            f", or set them at run time\n  {at_run_time} (lms_client_id, lms_client_secret)."
            if at_run_time
            else "."
        )
        lines.append(
            "  No LMS credentials: the server runs, but callbacks to the LMS wait until it has\n"
            f"  them. Create an OAuth application at {settings.lms_admin_url}\n"
            f"  (client type confidential, grant type client credentials) and {how}"
        )
    return "\n".join(lines) + "\n"


def listen(host: str, port: int, command: str = MODULE_COMMAND) -> socket.socket:
    """A socket listening on ``host:port``; a port in use or an address this machine does
    not have is a clear error naming the flag that fixes it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
    except socket.gaierror:
        raise click.ClickException(
            f"--host {host}: this machine knows no address by that name. Use 0.0.0.0 "
            "(every interface) or 127.0.0.1 (this machine only)."
        ) from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)  # bursts of a class connecting at once wait here, not refused
    except OSError as exc:
        sock.close()
        raise click.ClickException(_listen_error(exc, host, port, command)) from None
    return sock


def _listen_error(exc: OSError, host: str, port: int, command: str) -> str:
    other = port + 1 if 0 < port < 65535 else DEFAULT_PORT
    how = f"`{command} --port {other}`"
    if command == MODULE_COMMAND:
        how += f' (or `make run ARGS="--port {other}"`)'
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is in use (another mockprock, or another program). "
            f"Start on another port with --port, for instance {how}."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"--host {host}: no network interface of this machine has that address. Use "
            "0.0.0.0 (every interface) or 127.0.0.1 (this machine only)."
        )
    if exc.errno == errno.EACCES:
        return f"port {port} needs more privileges than you have: pick one above 1023 with {how}."
    return f"cannot listen on {host}:{port} ({exc.strerror}); change --host or --port."


def open_app(settings: Settings, explicit: Iterable[str]) -> Flask:
    """The app on its state file; a state file that cannot be used is a clear error."""
    path = Path(settings.db)
    if not path.parent.is_dir():
        raise click.ClickException(
            f"--db {settings.db}: the directory {path.parent} does not exist. "
            "Create it, or give another path with --db."
        )
    try:
        return create_app(settings, explicit=explicit)
    except sqlite3.DatabaseError as exc:
        if is_read_only(exc):
            raise click.ClickException(
                f"--db {settings.db}: the state file cannot be written ({exc}); is its "
                "filesystem read-only? Give a path on a writable filesystem with --db."
            ) from None
        if "not a database" in str(exc):
            raise click.ClickException(
                f"--db {settings.db} is not a SQLite database ({exc}). Give another path "
                "with --db (a new file is created), or move that file away."
            ) from None
        raise click.ClickException(
            f"--db {settings.db}: cannot use it as the state file ({exc}). "
            "Give another path with --db."
        ) from None


def load_settings(options: dict[str, Any]) -> Settings:
    """Settings from flags and variables; a bad value names its flag and variable."""
    try:
        return Settings.load(options)
    except SettingsError as exc:
        message = str(exc)
        for flag, f in option_specs():
            if message.startswith(f.name):
                message += f" (set by --{flag} or {env_names(f)[0]})"
                break
        raise click.UsageError(message) from None


@click.command(
    name="mockprock.server",
    help=command_help(__doc__ or ""),
    epilog="Retrieve the client id and secret from the LMS Django admin "
    "(/admin/oauth2_provider/application/) and start the server with those arguments.",
)
@click.argument("client_id", required=False)
@click.argument("client_secret", required=False)
@click_options
def main(client_id: str | None, client_secret: str | None, **options: Any) -> None:
    run(client_id, client_secret, options, MODULE_COMMAND)


if __name__ == "__main__":
    main()
