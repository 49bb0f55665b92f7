"""Callbacks into a Django test client: a whole proctored exam in one process.

In process (``mock_proctoring``) mockprock calls the LMS back through ``requests`` as it
always does; this routes those calls on the same ``responses`` mock to the LMS's own views
through Django's test client, as an edx-platform test calls its views. The LMS's OAuth token
endpoint is answered here (a test's LMS rarely has an OAuth application for mockprock), and
the callbacks are authenticated by the test client's session instead: edx-proctoring's
callback views accept a session (``SessionAuthentication`` before ``JwtAuthentication``),
and decide with ``can_review_attempt`` whether its user may review.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockprock.setting_values import origin_of

if TYPE_CHECKING:
    from requests import PreparedRequest

    from mockprock.testing.handle import Proctoring

# What a test's token answer says (edx-platform answers the same fields).
TOKEN_SECONDS = 3600
# Headers the test client sets itself, or that the session stands for.
NOT_FORWARDED = frozenset({"authorization", "content-length", "content-type", "cookie", "host"})
CALLBACK_METHODS = ("POST", "PATCH", "PUT")


def route_callbacks(
    proctoring: Proctoring, django_client: Any, lms_url: str, user: Any = None
) -> None:
    """Answer mockprock's token request to ``lms_url`` and forward each callback to it into
    ``django_client`` (logged in as ``user`` when given). An LMS origin other than the
    server's ``lms_url`` is allowed for callbacks first (the server sends none elsewhere)."""
    origin = origin_of(lms_url)
    settings = proctoring.control.settings()
    if origin not in settings["lms_origins"]:
        proctoring.control.change_settings(
            allowed_lms_origins=[*settings["allowed_lms_origins"], origin]
        )
    if user is not None:
        django_client.force_login(user)
    mock = proctoring.requests_mock
    # Registered first: responses answers with the first match.
    mock.add_callback(
        "POST", f"{origin}/oauth2/access_token", callback=_token_answer, content_type=None
    )
    pattern = re.compile(re.escape(origin) + r"(?=[/?#]|$)")
    for method in CALLBACK_METHODS:
        mock.add_callback(
            method,
            pattern,
            callback=lambda request: _forward(django_client, request),
            content_type=None,
        )


def _token_answer(request: PreparedRequest) -> tuple[int, list[tuple[str, str]], str]:
    body = (
        f'{{"access_token": "{secrets.token_urlsafe(24)}", "token_type": "JWT", '
        f'"expires_in": {TOKEN_SECONDS}, "scope": "read write profile"}}'
    )
    return 200, [("Content-Type", "application/json")], body


def _forward(django_client: Any, request: PreparedRequest) -> tuple[int, list, bytes]:
    """One callback through the test client: its method, path, query, body and headers
    (the session stands for the token)."""
    url = urlsplit(request.url or "")
    path = url.path + (f"?{url.query}" if url.query else "")
    extra = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in request.headers.items()
        if name.lower() not in NOT_FORWARDED
    }
    body = request.body or b""
    response = django_client.generic(
        request.method,
        path,
        data=body.encode() if isinstance(body, str) else body,
        content_type=request.headers.get("Content-Type", "application/json"),
        **extra,
    )
    return response.status_code, list(response.items()), response.content
