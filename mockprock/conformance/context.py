"""The state of one conformance run, and the calls the checks make through it.

The context plays the LMS (provider calls with edx-proctoring's headers, a token fetched
as its OAuth client does), the learner's browser (plain GETs) and, through
:class:`~mockprock.conformance.standin.StandIn`, the LMS's callback side. Every call is
recorded as an :class:`Exchange` on the check running, so a failure can show it.
Things several checks need (a token, a saved exam, a registered attempt) are made once,
when first asked for; if making one fails, the checks that need it are skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from mockprock.conformance import shapes
from mockprock.conformance.model import CheckFailed, CheckSkipped, Exchange, excerpt
from mockprock.conformance.standin import StandIn
from mockprock.dashboard_link import TOKEN_PATH, backend_path
from mockprock.processes import wait_for

# The settings of the guest client the kit runs as against a mockprock, so callbacks
# come at once; the guest's own, like its LMS (the stand-in): nobody else's change.
FAST_SETTINGS = {
    "ready_delay_seconds": 0.0,
    "review_delay_seconds": 0.0,
    "callback_backoff_seconds": 0.2,
}
# How long the kit waits for the server to answer at all before saying none does.
PROBE_TIMEOUT_SECONDS = 10.0


class TokenUnavailable(CheckFailed):
    """The provider gave no token for the client: every API check fails."""


class KitRefused(Exception):
    """The kit cannot run against this server as asked; ``str()`` is the one line that
    says why and what to run instead."""


@dataclass
class Options:
    url: str
    client_id: str
    client_secret: str
    callback_wait: float = 30.0
    expiry_wait: float = 10.0
    # The LMS backend whose calls the kit makes: mockprock's own, or a vendor's (its paths).
    backend: str = "mockprock"


class Context:
    def __init__(self, options: Options, stand_in: StandIn) -> None:
        self.options = options
        self.base_url = options.url.rstrip("/")
        self.stand_in = stand_in
        self.session = requests.Session()
        self.exchanges: list[Exchange] = []  # the running check's
        self.all_exchanges: list[Exchange] = []
        self._token: str | None = None
        self._token_expires = 0.0
        self._made: dict[str, Any] = {}
        self._users = itertools.count(1)
        self.run_id = uuid.uuid4().hex[:8]
        self.control_settings: dict[str, Any] | None = None
        self.guest: str | None = None  # the guest client the kit runs as, on a mockprock
        self.notes: list[str] = []  # for the person running the kit

    # -- HTTP, recorded -----------------------------------------------------------------

    def http(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        auth: Any = None,
        record: bool = True,
    ) -> requests.Response:
        """One request to the provider (``path`` is relative to its URL, or absolute)."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        sent = json if json is not None else data
        exchange = Exchange(method, url, _redacted(sent))
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                json=json,
                data=data,
                auth=auth,
                timeout=shapes.EDX_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            exchange.seconds = time.monotonic() - started
            exchange.error = f"{type(exc).__name__}: {excerpt(str(exc))}"
            self._keep(exchange, record)
            raise CheckFailed(
                f"an answer within edx-proctoring's {shapes.EDX_TIMEOUT_SECONDS} s timeout "
                f"to {method} {url} (none came: {type(exc).__name__})"
            ) from None
        exchange.seconds = time.monotonic() - started
        exchange.status = response.status_code
        exchange.body = _redacted_body(response.text[:2000])
        self._keep(exchange, record)
        return response

    def _keep(self, exchange: Exchange, record: bool) -> None:
        self.all_exchanges.append(exchange)
        if record:
            self.exchanges.append(exchange)

    def path(self, own: str) -> str:
        """Where the backend judged by calls mockprock's path ``own`` (the vendor paths)."""
        return backend_path(self.options.backend, own)

    def token(self, fresh: bool = False) -> str:
        """A provider token, fetched as edx-proctoring's OAuth client does and reused
        until shortly before it expires."""
        if fresh or self._token is None or time.time() > self._token_expires - 1:
            response = self.http(
                "POST",
                self.path(TOKEN_PATH),
                headers={**shapes.ACCEPT, "Content-Type": "application/x-www-form-urlencoded"},
                data=shapes.token_form(self.options.client_id, self.options.client_secret),
                record=fresh,
            )
            answer = json_object(response)
            if response.status_code != 200 or not answer.get("access_token"):
                raise TokenUnavailable(
                    f"a token for client {self.options.client_id!r} from POST "
                    f"{self.path(TOKEN_PATH)} (it answered {response.status_code}): without "
                    "one the LMS can call nothing"
                )
            self._token = str(answer["access_token"])
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, (int, float)) else 300.0
            self._token_expires = time.time() + lifetime
        return self._token

    def api(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> requests.Response:
        """A provider API call as edx-proctoring makes it: ``Authorization: JWT <token>``,
        JSON body when there is one, ``Accept-Language`` on GETs of the config and
        attempts."""
        base = dict(shapes.JSON_HEADERS if json is not None else shapes.ACCEPT)
        if method == "GET" and (path.startswith("/api/v1/config") or "/attempt/" in path):
            base.update(shapes.LANGUAGE_HEADER)
        base["Authorization"] = f"JWT {token or self.token()}"
        return self.http(method, path, headers={**base, **(headers or {})}, json=json)

    # -- the control API (mockprock's own) ------------------------------------------------

    def has_control(self) -> bool:
        return self.control_settings is not None

    def detect_control(self) -> None:
        """Whether the provider has mockprock's control API, and its settings."""
        try:
            response = self.http("GET", "/mockprock/api/settings", auth=self._basic(), record=False)
        except CheckFailed:
            return
        answer = json_object(response)
        if response.status_code == 200 and "changeable" in answer:
            self.control_settings = answer

    def _basic(self) -> tuple[str, str]:
        return (self.options.client_id, self.options.client_secret)

    def control(self, method: str, path: str, json: Any = None) -> Any:
        if not self.has_control():
            raise CheckSkipped("needs the provider's control API (/mockprock/api/), absent here")
        response = self.http(method, "/mockprock/api" + path, json=json, auth=self._basic())
        if not 200 <= response.status_code < 300:
            raise CheckSkipped(
                f"the control API refused {method} {path}: {response.status_code} "
                f"{excerpt(response.text)}"
            )
        return response.json()

    def open(self) -> None:
        """Before any check: a server must answer at all; against a mockprock, the kit
        runs as a guest client of its own (its callbacks to the stand-in, its settings,
        exams and attempts its own), so the user's are never touched. KitRefused when
        there is no server, or the mockprock will not make the guest."""
        try:
            self.session.get(self.base_url + "/", timeout=PROBE_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise KitRefused(
                f"no server answers at {self.base_url} ({type(exc).__name__}). Start one "
                "with `mockprock serve` (or `make run`), or give its address with --url URL "
                "or MOCKPROCK_URL=URL."
            ) from None
        self.detect_control()
        if self.has_control():
            self._become_guest()

    def _become_guest(self) -> None:
        changes = {
            **FAST_SETTINGS,
            "lms_url": self.stand_in.url,
            "lms_client_id": self.stand_in.client_id,
            "lms_client_secret": self.stand_in.client_secret,
        }
        response = self.http(
            "POST", "/mockprock/api/guests", json=changes, auth=self._basic(), record=False
        )
        answer = json_object(response)
        if response.status_code == 403:
            raise KitRefused(
                f"{self.base_url} lets client {self.options.client_id!r} send no callbacks to "
                f"the kit's LMS stand-in ({answer.get('detail') or 'operator only'}). Restart "
                "it with --admin ID:SECRET and run `mockprock conformance --client-id ID "
                "--client-secret SECRET`, or start it with --host 127.0.0.1."
            )
        if response.status_code != 201 or not answer.get("client_id"):
            raise KitRefused(
                f"{self.base_url} answered {response.status_code} to POST "
                f"/mockprock/api/guests ({excerpt(response.text)}): the kit runs against a "
                "mockprock only as a guest client, so as to change nothing of yours. Upgrade "
                "that server to this mockprock's version."
            )
        self.guest = str(answer["client_id"])
        self.options = dataclasses.replace(
            self.options, client_id=self.guest, client_secret=str(answer["client_secret"])
        )
        self.control_settings = answer.get("settings") or self.control_settings
        self._token = None

    def change_setting(self, name: str, value: Any) -> None:
        """Change one control-API setting of the kit's guest client (nobody else's)."""
        self.control("PATCH", "/settings", json={name: value})

    def close(self) -> None:
        """Remove the guest client, which wipes everything the run made on the server."""
        if self.guest is not None:
            with contextlib.suppress(CheckSkipped, CheckFailed):
                self.http(
                    "DELETE",
                    f"/mockprock/api/guests/{self.guest}",
                    auth=self._basic(),
                    record=False,
                )
            self.guest = None

    # -- things several checks need ---------------------------------------------------------

    def made(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` once; a failure there skips every check that needs it."""
        if key not in self._made:
            try:
                self._made[key] = make()
            except TokenUnavailable as exc:
                self._made[key] = exc  # every call fails without a token: a failure each
            except (CheckFailed, CheckSkipped) as exc:
                self._made[key] = CheckSkipped(f"could not {key}: {exc}")
        value = self._made[key]
        if isinstance(value, (CheckSkipped, CheckFailed)):
            raise value
        return value

    def remember(self, key: str, value: Any) -> None:
        self._made[key] = value

    def exam_id(self) -> str:
        return self.made("save an exam", lambda: self.save_exam(1, "Conformance Final"))

    def save_exam(self, lms_id: int, name: str) -> str:
        """Create then re-save, as the LMS does; the id the LMS keeps."""
        created = self.api("POST", "/api/v1/exam/", json=shapes.exam(lms_id, name))
        exam_id = json_object(created).get("id")
        if not exam_id:
            raise CheckFailed("POST /api/v1/exam/ to answer an object with an 'id'")
        resaved = self.api(
            "POST", f"/api/v1/exam/{exam_id}/", json=shapes.exam(lms_id, name, str(exam_id))
        )
        return str(json_object(resaved).get("id") or exam_id)

    def new_learner(self) -> dict[str, Any]:
        number = next(self._users)
        return shapes.attempt(
            self.stand_in.url,
            f"conformance-{self.run_id}-{number}",
            f"Learner {number}",
            f"learner{number}@example.com",
        )

    def register(self, exam_id: str, learner: dict[str, Any] | None = None) -> requests.Response:
        return self.api(
            "POST", f"/api/v1/exam/{exam_id}/attempt/", json=learner or self.new_learner()
        )

    def new_attempt(self, exam_id: str | None = None) -> tuple[str, str]:
        """A registered attempt the stand-in LMS knows: ``(exam_id, attempt_id)``."""
        exam_id = exam_id or self.exam_id()
        response = self.register(exam_id)
        attempt_id = json_object(response).get("id")
        if response.status_code != 200 or not attempt_id:
            raise CheckSkipped(
                f"attempt registration answered {response.status_code} {excerpt(response.text)}"
            )
        self.stand_in.client.add_attempt(str(attempt_id))
        return exam_id, str(attempt_id)

    def patch_status(self, exam_id: str, attempt_id: str, status: str) -> requests.Response:
        """The LMS moves its own attempt, then tells the provider (as edx-proctoring does)."""
        self.stand_in.client.set_status(attempt_id, status)
        return self.api(
            "PATCH", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", json={"status": status}
        )

    def wait(self, condition: Callable[[], Any], what: str, timeout: float | None = None) -> Any:
        """The condition's value, or None when ``timeout`` (the callback wait) passes."""
        try:
            return wait_for(
                condition, timeout=timeout or self.options.callback_wait, interval=0.05, what=what
            )
        except TimeoutError:
            return None


def json_object(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is something else."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def expect(condition: Any, need: str) -> None:
    if not condition:
        raise CheckFailed(need)


SECRET_FIELDS = ("client_secret", "lms_client_secret", "access_token")


def _redacted(sent: Any) -> Any:
    if isinstance(sent, dict):
        return {k: ("<secret>" if k in SECRET_FIELDS else v) for k, v in sent.items()}
    return sent


def _redacted_body(text: str) -> str:
    """An answer as kept in a report: tokens and secrets replaced."""
    if not any(name in text for name in SECRET_FIELDS):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_redacted(data)) if isinstance(data, dict) else text
