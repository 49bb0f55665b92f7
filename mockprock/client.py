"""A ``requests`` client for the provider API, as the LMS uses it (CLI, demo, tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from mockprock.callbacks.oauth_client import ClientCredentials
from mockprock.provider.scenario_file import ScenarioError, read_file
from mockprock.statuses import CREATED

TIMEOUT_SECONDS = 30  # what the LMS gives every provider call


class ProviderClient:
    """Calls a mockprock server the way edx-proctoring's REST backend does."""

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.session = requests.Session()
        self.tokens = ClientCredentials(self.session, TIMEOUT_SECONDS)

    def token(self) -> str:
        """A provider token (OAuth2 client credentials), cached until shortly before it
        expires; TokenUnavailable (or TokenRefused) when there is none to be had."""
        return self.tokens.token(
            f"{self.base_url}/oauth2/access_token", self.client_id, self.client_secret
        )

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One API call with a token; the answer is returned whatever its status."""
        headers = {"Authorization": f"JWT {self.token()}", **kwargs.pop("headers", {})}
        return self.session.request(
            method, self.base_url + path, headers=headers, timeout=TIMEOUT_SECONDS, **kwargs
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call whose answer must be a success; its JSON is returned."""
        response = self.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    # The provider REST contract: one method per call edx-proctoring's REST backend makes.

    def config(self, language: str = "en-us") -> dict[str, Any]:
        return self.call("GET", "/api/v1/config/", headers={"Accept-Language": language})

    def save_exam(self, exam: dict[str, Any]) -> str:
        """Create then re-save, as the LMS always does; returns the id the LMS keeps."""
        exam_id = self.call("POST", "/api/v1/exam/", json={**exam, "external_id": None})["id"]
        return self.call("POST", f"/api/v1/exam/{exam_id}/", json={**exam, "external_id": exam_id})[
            "id"
        ]

    def get_exam(self, exam_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/exam/{exam_id}/")

    def register_attempt(self, exam_id: str, attempt: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "POST", f"/api/v1/exam/{exam_id}/attempt/", json={**attempt, "status": CREATED}
        )

    def get_attempt(self, exam_id: str, attempt_id: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/")

    def set_attempt_status(self, exam_id: str, attempt_id: str, status: str) -> dict[str, Any]:
        return self.call(
            "PATCH", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", json={"status": status}
        )

    def delete_attempt(self, exam_id: str, attempt_id: str) -> dict[str, Any]:
        return self.call("DELETE", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/")

    def retire_user(self, user_id: str) -> bool:
        return self.call("DELETE", f"/api/v1/user/{user_id}/")

    def onboarding_statuses(self, course_id: str, **query: Any) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/courses/{course_id}/onboarding_statuses", params=query)


class ControlClient:
    """Calls a mockprock server's control API (``/mockprock/api/``) with HTTP Basic, the
    way the CLI, ``mockprock demo`` and the tests drive the simulation."""

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (client_id, client_secret)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call; the answer is returned whatever its status."""
        return self.session.request(
            method, f"{self.base_url}/mockprock/api{path}", timeout=TIMEOUT_SECONDS, **kwargs
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call whose answer must be a success; its JSON is returned."""
        response = self.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def settings(self) -> dict[str, Any]:
        return self.call("GET", "/settings")

    def change_settings(self, **changes: Any) -> dict[str, Any]:
        return self.call("PATCH", "/settings", json=changes)

    def attempts(self, **query: Any) -> list[dict[str, Any]]:
        """The attempts, oldest first (query: page_size, page, newest, id)."""
        return self.call("GET", "/attempts", params=query)

    def add_guest(self, **settings: Any) -> dict[str, Any]:
        """A guest client with its own LMS (``lms_url``, ``lms_client_id``,
        ``lms_client_secret``) and settings: ``{client_id, client_secret, settings}``."""
        return self.call("POST", "/guests", json=settings)

    def remove_guest(self, client_id: str) -> dict[str, Any]:
        return self.call("DELETE", f"/guests/{client_id}")

    def attempt(self, attempt_id: str) -> dict[str, Any]:
        return self.call("GET", f"/attempts/{attempt_id}")

    def review(self, attempt_id: str, status: str, **options: Any) -> dict[str, Any]:
        """Queue a verdict (options: comments, reviewed_by, delay_seconds)."""
        body = {"status": status, **{k: v for k, v in options.items() if v is not None}}
        return self.call("POST", f"/attempts/{attempt_id}/review", json=body)

    def ready(self, attempt_id: str) -> dict[str, Any]:
        return self.call("POST", f"/attempts/{attempt_id}/ready")

    def set_onboarding(
        self, user_id: str, status: str, course_id: str | None = None
    ) -> dict[str, Any]:
        body = {"status": status, **({"course_id": course_id} if course_id else {})}
        return self.call("PUT", f"/users/{user_id}/onboarding", json=body)

    def callbacks(self, **query: Any) -> list[dict[str, Any]]:
        """The outbox (query: state, attempt, kind, limit)."""
        return self.call("GET", "/callbacks", params=query)

    def retry(self, callback_id: int) -> dict[str, Any]:
        return self.call("POST", f"/callbacks/{callback_id}/retry")

    def requests(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.call("GET", "/requests", params={"limit": limit})

    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/reset")

    def clock(self) -> dict[str, Any]:
        """The server's time: ``{mode, now, now_iso}``."""
        return self.call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move a manual clock ``seconds`` forward; the answer counts the callbacks that
        fell due and were tried before it came."""
        return self.call("POST", "/clock", json={"advance_seconds": seconds})

    def load_scenario(self, scenario: dict[str, Any] | str | Path) -> dict[str, Any]:
        """Replace the client's scenario with ``scenario``: the document, or the path of a
        JSON (or, on Python 3.11+, TOML) file. A refusal raises ScenarioError naming the
        field and the reason; the server's scenario is then unchanged."""
        document = scenario if isinstance(scenario, dict) else read_file(scenario)
        response = self.request("PUT", "/scenario", json=document)
        if response.status_code == 400:
            raise ScenarioError("", response.json().get("detail", response.text))
        response.raise_for_status()
        return response.json()

    def scenario(self) -> dict[str, Any]:
        """The client's scenario: ``{scenario, source, rules, loaded_at}``."""
        return self.call("GET", "/scenario")

    def clear_scenario(self) -> dict[str, Any]:
        return self.call("DELETE", "/scenario")

    def export_state(self) -> dict[str, Any]:
        """The client's whole state as one document (no secret in it)."""
        return self.call("GET", "/state")

    def import_state(self, data: dict[str, Any]) -> dict[str, Any]:
        """Replace the client's state with ``data`` (a document :meth:`export_state`
        gave); the state as it now is. A bad document is refused and changes nothing."""
        return self.call("PUT", "/state", json=data)
