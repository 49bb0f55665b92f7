"""``python -m mockprock.healthcheck``: is the server in this container answering the LMS?

The container image's HEALTHCHECK. It does what edx-proctoring does first: a token
from ``/oauth2/access_token``, then ``GET /api/v1/config/`` with it, on the port and
with the first provider client the server itself was given (its ``MOCKPROCK_*``
environment; with no client, the default ``abcd``). Exit status 0 when the config
comes back, 1 otherwise, with one line saying why (never a secret).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import requests

from mockprock.callbacks.oauth_client import TokenUnavailable
from mockprock.client import ProviderClient
from mockprock.config import Settings

DEFAULT_CLIENT = ("abcd", "abcdsecret")


def check(environ: Mapping[str, str] | None = None) -> str:
    """The provider's name, as the server's config answers it; raises on any failure."""
    settings = Settings.load(environ=os.environ if environ is None else environ)
    client_id, client_secret = settings.clients[0] if settings.clients else DEFAULT_CLIENT
    client = ProviderClient(f"http://127.0.0.1:{settings.port}", client_id, client_secret)
    return client.config()["name"]


def main() -> int:
    try:
        name = check()
    except TokenUnavailable as error:
        # An answer is told by its status only (its words may repeat what it was sent).
        why = f"HTTP {error.status}" if error.status else str(error)
        print(f"mockprock unhealthy: no token ({why})", file=sys.stderr)
        return 1
    except (requests.RequestException, KeyError, ValueError) as error:
        print(f"mockprock unhealthy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(f"mockprock healthy: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
