"""The OAuth2 client-credentials client: fetch a token, keep it until shortly before it
expires. One implementation, used by the provider client (``client.py``: the LMS's side
calling the provider) and the LMS client (``lms.py``: the provider calling the LMS)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable

import requests

from mockprock.redaction import redact
from mockprock.trust import redirect_refusal

# Fetch a new token this long before the old one expires, so none expires in flight.
TOKEN_MARGIN_SECONDS = 30.0
BODY_EXCERPT_CHARS = 500


class TokenUnavailable(Exception):
    """No token: the endpoint could not be reached or answered 429/5xx or nonsense."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status


class TokenRefused(TokenUnavailable):
    """The endpoint refused the client id and secret; only new credentials help."""


def body_excerpt(response: requests.Response) -> str:
    """The start of an answer's body, with secret-looking JSON values redacted."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:BODY_EXCERPT_CHARS]
    return json.dumps(redact(data))[:BODY_EXCERPT_CHARS]


class ClientCredentials:
    """Tokens from ``{token_url}`` for client ids and secrets, cached; thread-safe.
    ``session`` gives the calling thread's ``requests.Session`` (a Session is not
    promised to be thread-safe), or is one Session for a single-threaded caller."""

    def __init__(
        self, session: requests.Session | Callable[[], requests.Session], timeout: float
    ) -> None:
        self.session: Callable[[], requests.Session] = (
            (lambda: session) if isinstance(session, requests.Session) else session
        )
        self.timeout = timeout
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    def token(self, token_url: str, client_id: str, client_secret: str, fresh: bool = False) -> str:
        """A token: the cached one unless it is about to expire or ``fresh`` is asked."""
        # The secret is part of the key (a new secret needs a new token) but only hashed.
        key = (token_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
        with self._lock:
            cached = self._tokens.get(key)
            if cached and not fresh and time.time() < cached[1] - TOKEN_MARGIN_SECONDS:
                return cached[0]
            token, expires_at = self._fetch(token_url, client_id, client_secret)
            self._tokens[key] = (token, expires_at)
            return token

    def _fetch(self, token_url: str, client_id: str, client_secret: str) -> tuple[str, float]:
        try:
            response = self.session().post(
                token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "token_type": "jwt",
                },
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TokenUnavailable(f"token request to {token_url} failed: {exc}") from None
        redirected = redirect_refusal(
            "POST", token_url, response.status_code, response.headers.get("Location")
        )
        if redirected:
            raise TokenRefused(redirected, response.status_code)
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenUnavailable(
                f"token request answered {response.status_code}: {body_excerpt(response)}",
                response.status_code,
            )
        if response.status_code != 200:
            raise TokenRefused(
                f"{token_url} refused client {client_id!r} "
                f"({response.status_code}: {body_excerpt(response)})",
                response.status_code,
            )
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError):
            raise TokenUnavailable(
                f"token answer from {token_url} is not an OAuth2 token answer",
                response.status_code,
            ) from None
        return token, time.time() + lifetime
