"""What every page shares: security headers, the signed session cookie, CSRF tokens and
times shown to people. Pages carry no inline script or style, so the CSP allows none."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, request, session
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup, escape

from mockprock.errors import ProviderError

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
# Paths whose pages hold a token in the URL or show a signed-in session: never cached.
PRIVATE_PREFIXES = ("/api/v1/instructor/", "/mockprock/")
CSRF_FIELD = "csrf_token"


def security_headers(response: Response) -> Response:
    """Every answer: no sniffing, no referrer. Pages: the CSP and no framing."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    if "jwt" in request.args or request.path.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response


def csrf_token() -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """A form post must carry the session's CSRF token (403 otherwise, nothing changed)."""
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ProviderError(
            403,
            "csrf_failed",
            "The form's security token is missing or out of date; reload the page and "
            "send it again.",
        )


def moment(epoch: float | str | None) -> Markup:
    """A ``<time>`` element: UTC in the page, the reader's local time once the page's
    script runs (``data-local``)."""
    if epoch is None or epoch == "":
        return Markup("—")
    when = (
        datetime.fromisoformat(epoch)
        if isinstance(epoch, str)
        else datetime.fromtimestamp(epoch, timezone.utc)
    )
    iso = when.astimezone(timezone.utc).isoformat(timespec="seconds")
    text = when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Markup('<time datetime="{}" data-local>{}</time>').format(escape(iso), text)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its serializer made once per key: Flask makes one
    for every request, every API call and desktop ping included."""

    _made: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._made
        if made is None or made[0] != key:
            made = self._made = (key, super().get_signing_serializer(app))
        return made[1]


def init_app(app: Flask, session_secret: str) -> None:
    """The session cookie's key (made once and kept in the store), cookie rules, headers."""
    app.secret_key = session_secret
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_NAME="mockprock_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.after_request(security_headers)
    app.add_template_global(csrf_token)
    app.add_template_global(CSRF_FIELD, "csrf_field")
    app.add_template_filter(moment)
