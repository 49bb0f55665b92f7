"""The client the server calls the LMS with: OAuth2 client credentials, then callbacks.

The LMS hands out JWTs at ``{lms}/oauth2/access_token`` to the OAuth application the
developer created for the server; callbacks carry ``Authorization: JWT <token>``. The
token is kept until shortly before it expires. The LMS's callback views answer **403**
(not 401) to a missing, bad or expired token, so either status makes the client fetch a
new token once and send again before the answer counts. No Flask here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from mockprock.callbacks.oauth_client import (
    ClientCredentials,
    TokenRefused,
    TokenUnavailable,
    body_excerpt,
)
from mockprock.config import Settings
from mockprock.trust import redirect_refusal

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


class LmsError(Exception):
    """The LMS could not be asked."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.status = status


class LmsUnreachable(LmsError):
    """No answer: connection refused, DNS, timeout, or a 5xx/429 from the token endpoint;
    asking later may work."""


class LmsCredentialsRefused(LmsError):
    """The LMS refused the client id and secret; only new credentials help."""


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


@dataclass(frozen=True)
class LmsAnswer:
    status: int
    body: str  # an excerpt, secrets redacted
    refusal: str | None = None  # why it is not delivered when it says more than the status

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class LmsClient:
    """Sends callbacks to the LMS with a cached OAuth2 token; thread-safe: each thread
    (the outbox's senders) posts through its own ``requests.Session``, kept alive, since
    requests does not promise a Session may be shared between threads."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._local = threading.local()
        self._origin_proxies: dict[str, dict[str, str]] = {}
        self.tokens = ClientCredentials(self.session, timeout)
        # What the last token request said (callbacks make them in the background):
        # pages show it without calling the LMS.
        self.last_check: dict[str, Any] | None = None

    def session(self) -> requests.Session:
        """The calling thread's session, made on first use."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def token(self, credentials: LmsCredentials, fresh: bool = False) -> str:
        """A token for ``credentials``: the cached one unless it is about to expire."""
        try:
            token = self.tokens.token(
                credentials.token_url, credentials.client_id, credentials.client_secret, fresh
            )
        except TokenRefused as exc:
            error: LmsError = LmsCredentialsRefused(
                f"the LMS refused: {exc}; check lms_client_id and lms_client_secret", exc.status
            )
        except TokenUnavailable as exc:
            error = LmsUnreachable(str(exc), exc.status)
        else:
            self._checked(True, "the LMS accepts the server's OAuth credentials")
            return token
        self._checked(False, str(error))
        raise error

    def _checked(self, ok: bool, said: str) -> None:
        self.last_check = {"ok": ok, "said": said, "at": time.time()}

    def post(self, url: str, payload: dict[str, Any], credentials: LmsCredentials) -> LmsAnswer:
        """POST ``payload`` as JSON with a token; a 401 or 403 gets one retry with a new
        token. Raises LmsError when there is no answer to give."""
        response = self._post(url, payload, self.token(credentials))
        if response.status_code in (401, 403):
            log.info("LMS answered %s to %s; fetching a new token", response.status_code, url)
            response = self._post(url, payload, self.token(credentials, fresh=True))
        refusal = redirect_refusal(
            "POST", url, response.status_code, response.headers.get("Location")
        )
        return LmsAnswer(response.status_code, body_excerpt(response), refusal)

    def _post(self, url: str, payload: dict[str, Any], token: str) -> requests.Response:
        # Straight to the thread's session's connection pool (its adapter): Session.post's
        # own layers (cookie jars merged and extracted, the environment read for proxies,
        # CA bundles and a .netrc on every call) cost more CPU than the POST itself. The
        # session's headers, the environment's proxies and CA bundle still apply; cookies
        # the LMS sets are not sent back (a callback carries its JWT, and a session cookie
        # would make Django's session auth ask for a CSRF token).
        session = self.session()
        try:
            request = requests.Request(
                "POST",
                url,
                json=payload,
                headers={**session.headers, "Authorization": f"JWT {token}"},
            ).prepare()
            response = session.get_adapter(url).send(
                request,
                timeout=self.timeout,
                proxies=self._proxies(url),
                verify=os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or True,
            )
            response.content  # noqa: B018 (read whole: the connection goes back to the pool)
            return response
        except requests.RequestException as exc:
            raise LmsUnreachable(f"POST {url} failed: {exc}") from None

    def _proxies(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url``'s origin (``NO_PROXY`` applied), read once
        per origin."""
        origin = url.split("/", 3)[:3]
        key = "/".join(origin)
        found = self._origin_proxies.get(key)
        if found is None:
            found = self._origin_proxies[key] = requests.utils.get_environ_proxies(url)
        return found
