"""What every command talking to a running server shares: where the server is (as this
machine reaches it), the provider client to act as, and the call, whose refusal or
silence becomes a clear error rather than a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mockprock.auth import default_secret
from mockprock.config import DEFAULT_SERVER_URL, SERVER_URL_VARIABLES
from mockprock.setting_values import is_http_url


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


def control_options(command: Callable) -> Callable:
    """Where the running server is and the provider client to drive it with."""
    return server_url_option(client_id_option(client_secret_option(command)))


def call_server(base_url: str, client_id: str, client_secret: str | None, call: Callable) -> Any:
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
