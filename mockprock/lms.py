"""The client the server calls the LMS with: OAuth2 client credentials, then callbacks.

The LMS hands out JWTs at ``{lms}/oauth2/access_token`` to the OAuth application the
developer created for the server; callbacks carry ``Authorization: JWT <token>``. The
token is kept until shortly before it expires. The LMS's callback views answer **403**
(not 401) to a missing, bad or expired token, so either status makes the client fetch a
new token once and send again before the answer counts. No Flask here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from mockprock.config import Settings
from mockprock.journal import redact

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
# Fetch a new token this long before the old one expires, so none expires in flight.
TOKEN_MARGIN_SECONDS = 30.0
BODY_EXCERPT_CHARS = 500


class LmsError(Exception):
    """The LMS could not be asked: ``retryable`` says whether asking later may work."""

    retryable = True

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status


class LmsUnreachable(LmsError):
    """No answer: connection refused, DNS, timeout, or a 5xx/429 from the token endpoint."""


class LmsCredentialsRefused(LmsError):
    """The LMS refused the client id and secret; only new credentials help."""

    retryable = False


@dataclass(frozen=True)
class LmsCredentials:
    lms_root: str  # the LMS base URL, as Settings.lms_root gives it
    client_id: str
    client_secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LmsCredentials | None:
        """The credentials the settings hold, or None while either half is missing."""
        if not (settings.lms_client_id and settings.lms_client_secret):
            return None
        return cls(settings.lms_root, settings.lms_client_id, settings.lms_client_secret)

    @property
    def token_url(self) -> str:
        return f"{self.lms_root}/oauth2/access_token"

    @property
    def cache_key(self) -> tuple[str, str, str]:
        # The secret is part of the key (a new secret needs a new token) but only hashed.
        digest = hashlib.sha256(self.client_secret.encode()).hexdigest()
        return self.token_url, self.client_id, digest


@dataclass(frozen=True)
class LmsAnswer:
    status: int
    body: str  # an excerpt, secrets redacted

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def body_excerpt(response: requests.Response) -> str:
    """The start of an answer's body, with secret-looking JSON values redacted."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:BODY_EXCERPT_CHARS]
    return json.dumps(redact(data))[:BODY_EXCERPT_CHARS]


class LmsClient:
    """Sends callbacks to the LMS with a cached OAuth2 token; thread-safe."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    def token(self, credentials: LmsCredentials, fresh: bool = False) -> str:
        """A token for ``credentials``: the cached one unless it is about to expire."""
        key = credentials.cache_key
        with self._lock:
            cached = self._tokens.get(key)
            if cached and not fresh and time.time() < cached[1] - TOKEN_MARGIN_SECONDS:
                return cached[0]
            token, expires_at = self._fetch_token(credentials)
            self._tokens[key] = (token, expires_at)
            return token

    def forget_token(self, credentials: LmsCredentials) -> None:
        with self._lock:
            self._tokens.pop(credentials.cache_key, None)

    def _fetch_token(self, credentials: LmsCredentials) -> tuple[str, float]:
        try:
            response = self.session.post(
                credentials.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials.client_id,
                    "client_secret": credentials.client_secret,
                    "token_type": "jwt",
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise LmsUnreachable(
                f"token request to {credentials.token_url} failed: {exc}"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise LmsUnreachable(
                f"token request answered {response.status_code}: {body_excerpt(response)}",
                response.status_code,
            )
        if response.status_code != 200:
            raise LmsCredentialsRefused(
                f"the LMS refused client {credentials.client_id!r} at {credentials.token_url} "
                f"({response.status_code}: {body_excerpt(response)}); check lms_client_id and "
                "lms_client_secret",
                response.status_code,
            )
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError):
            raise LmsUnreachable(
                f"token answer from {credentials.token_url} is not an OAuth2 token answer",
                response.status_code,
            ) from None
        return token, time.time() + lifetime

    def post(self, url: str, payload: dict[str, Any], credentials: LmsCredentials) -> LmsAnswer:
        """POST ``payload`` as JSON with a token; a 401 or 403 gets one retry with a new
        token. Raises LmsError when there is no answer to give."""
        response = self._post(url, payload, self.token(credentials))
        if response.status_code in (401, 403):
            log.info("LMS answered %s to %s; fetching a new token", response.status_code, url)
            response = self._post(url, payload, self.token(credentials, fresh=True))
        return LmsAnswer(response.status_code, body_excerpt(response))

    def _post(self, url: str, payload: dict[str, Any], token: str) -> requests.Response:
        try:
            return self.session.post(
                url,
                json=payload,
                headers={"Authorization": f"JWT {token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise LmsUnreachable(f"POST {url} failed: {exc}") from None
