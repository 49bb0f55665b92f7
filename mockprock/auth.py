"""Who may call the provider: the client registry and the provider's access tokens.

No Flask here; the views turn :class:`AuthError` into HTTP answers.
"""

from __future__ import annotations

import hmac
import time
import uuid
import warnings
from collections.abc import Mapping
from typing import Any

import jwt

from mockprock.errors import ProviderError
from mockprock.jwt_compat import InsecureKeyLengthWarning

ALGORITHM = "HS256"
ISSUER = "mockprock"

# The LMS signs dashboard links with the client secret it was given, and the documented
# development secret (``abcdsecret``) is short: that is the developer's choice, not news.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)


class AuthError(Exception):
    """A credential was missing, malformed, wrong or expired; ``str()`` says which."""


# PyJWT checks the times of a token by the system's clock; the server checks them by its
# own (a test's manual clock may be ahead), after PyJWT checked the signature.
ON_OUR_CLOCK = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


def expired(claims: Mapping[str, Any], now: float | None = None) -> bool:
    """Whether a verified token's ``exp`` is past at ``now`` (the system's time when not
    given), as PyJWT would decide it; AuthError when a time claim is not a number."""
    now = time.time() if now is None else now
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise AuthError(f"invalid token: {name} must be a number")
    if claims.get("nbf", now) > now:
        raise AuthError("invalid token: not valid yet")
    return claims["exp"] <= now


def default_secret(client_id: str) -> str:
    """The secret of a client when none are configured: its id followed by ``secret``, as
    the original mockprock did (``abcd`` / ``abcdsecret``). The one place this rule lives."""
    return client_id + "secret"


class ClientRegistry:
    """The provider clients (the LMS backends) the server accepts, and its operators.

    With no clients configured, any client whose secret is its id followed by ``secret``
    is accepted, as the original mockprock did (``abcd`` / ``abcdsecret``). Operators
    (``--admin``) are accepted clients too, with their own secret only: the default rule
    never lets anyone in under an operator's id.
    """

    def __init__(
        self, clients: Mapping[str, str] | None = None, admins: Mapping[str, str] | None = None
    ) -> None:
        self._clients = dict(clients or {})
        self._admins = dict(admins or {})
        # Clients an operator made for a while (``mockprock conformance``'s): never stored.
        self._guests: dict[str, str] = {}

    def add_guest(self, client_id: str, secret: str) -> None:
        self._guests[client_id] = secret

    def remove_guest(self, client_id: str) -> bool:
        return self._guests.pop(client_id, None) is not None

    def is_guest(self, client_id: str) -> bool:
        return client_id in self._guests

    def secret_for(self, client_id: str) -> str | None:
        if not client_id:
            return None
        if client_id in self._guests:
            return self._guests[client_id]
        if client_id in self._admins:
            return self._admins[client_id]
        if self._clients:
            return self._clients.get(client_id)
        return default_secret(client_id)

    def is_admin(self, client_id: str) -> bool:
        """Whether ``client_id`` (already authenticated) is an operator named with --admin."""
        return client_id in self._admins

    def check(self, client_id: str, secret: str) -> bool:
        expected = self.secret_for(client_id)
        # compare_digest needs equal types; always run it so timing says nothing.
        return (
            hmac.compare_digest((expected or "\0").encode(), (secret or "").encode())
            and expected is not None
        )


def issue_token(
    key: str,
    client_id: str,
    lifetime_seconds: int,
    extra: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """An OAuth2 token answer for ``client_id`` (``extra`` claims added), issued ``now``
    (the server's clock; the system's when not given)."""
    now = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "sub": client_id,
        "aud": client_id,
        "iat": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return {
        "access_token": jwt.encode(claims, key, algorithm=ALGORITHM),
        "token_type": "JWT",
        "expires_in": lifetime_seconds,
        "scope": "",
    }


def token_from_header(header: str | None) -> str:
    """The token of an ``Authorization: JWT <token>`` (or ``Bearer``) header."""
    if not header:
        raise AuthError("missing Authorization header")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in ("jwt", "bearer") or not token.strip():
        raise AuthError("Authorization must be 'JWT <token>' or 'Bearer <token>'")
    return token.strip()


def verify_token(key: str, token: str, now: float | None = None) -> dict[str, Any]:
    """The claims of a token this server issued, or AuthError saying what is wrong;
    expired by ``now`` (the server's clock; the system's when not given)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False, **ON_OUR_CLOCK},
        )
    except jwt.InvalidAlgorithmError:
        raise AuthError(f"token algorithm not accepted (only {ALGORITHM})") from None
    except jwt.InvalidSignatureError:
        raise AuthError("token signature does not verify") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    if claims.get("aud") != claims.get("sub"):
        raise AuthError("invalid token: audience does not match subject")
    if expired(claims, now):
        raise AuthError("token expired")
    return claims


class VerifiedTokens:
    """:func:`verify_token`'s answers kept per token until the token expires: an LMS sends
    the same token with every request for its lifetime, and checking its signature and
    claims again each time was a few per cent of a request's CPU. Only what the token
    itself says is kept; whether its client is still accepted is for the caller to check
    on every request (revocation)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._claims: dict[tuple[str, str], dict[str, Any]] = {}

    def verify(self, key: str, token: str, now: float | None = None) -> dict[str, Any]:
        """:func:`verify_token`'s answer at ``now`` (the server's clock)."""
        now = time.time() if now is None else now
        claims = self._claims.get((key, token))
        # PyJWT's rule: expired once ``exp <= now``; an expired one is checked again below,
        # which says so.
        if claims is not None and now < claims["exp"]:
            return claims
        claims = verify_token(key, token, now)
        if len(self._claims) >= self.limit:
            self._claims.clear()  # tokens live an hour: the live ones come back at once
        self._claims[(key, token)] = claims
        return claims


def verify_lms_token(
    secret: str, token: str, client_id: str, now: float | None = None
) -> dict[str, Any]:
    """The claims of a token the LMS signed with a client's secret (instructor dashboard),
    expired by ``now`` (the server's clock; the system's when not given)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=client_id,
            options={"require": ["exp", "iss", "course_id"], **ON_OUR_CLOCK},
        )
    except jwt.InvalidIssuerError:
        raise AuthError("the link was issued for another client") from None
    except jwt.InvalidSignatureError:
        raise AuthError("the link's signature does not match this client's secret") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"the link's token is not valid: {exc}") from None
    if expired(claims, now):
        raise AuthError("the dashboard link has expired; open it again from the LMS")
    return claims


# -- the OAuth2 grant -----------------------------------------------------------------

TOKEN_TYPES = ("jwt", "bearer")


def token_grant(
    form: Mapping[str, str], basic: tuple[str | None, str | None] | None
) -> tuple[str, str]:
    """The client id and secret of a client-credentials grant (form fields, else HTTP
    Basic); OAuth2's own error codes for what is wrong."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise ProviderError(400, "invalid_request", "missing required field 'grant_type'")
    if grant_type != "client_credentials":
        raise ProviderError(
            400, "unsupported_grant_type", f"grant_type {grant_type!r}: only client_credentials"
        )
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None:
        client_id = client_id or basic[0]
        client_secret = client_secret or basic[1]
    for name, given in (("client_id", client_id), ("client_secret", client_secret)):
        if not given:
            raise ProviderError(400, "invalid_request", f"missing required field '{name}'")
    token_type = (form.get("token_type") or "jwt").lower()
    if token_type not in TOKEN_TYPES:
        raise ProviderError(400, "invalid_request", f"token_type {token_type!r}: use jwt")
    return client_id, client_secret  # type: ignore[return-value]
