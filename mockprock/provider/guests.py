"""Guest clients: provider clients an operator makes for a while, each with settings of
its own, held in memory only (a restart forgets them).

``mockprock conformance`` runs as one, so a run changes nothing of the user's: its
callbacks go to the kit's LMS stand-in with the stand-in's credentials while everyone
else's go where they went, its delays are its own, and its exams and attempts are its
own (wiped when the guest is removed). Plain Python; no Flask.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from typing import Any

from mockprock import trust
from mockprock.auth import ClientRegistry
from mockprock.config import Settings
from mockprock.errors import ProviderError, bad_request
from mockprock.provider import runtime_settings
from mockprock.store import Store

PREFIX = "guest-"
# What a guest is made with: where its callbacks go, and with which credentials.
REQUIRED = ("lms_url", "lms_client_id", "lms_client_secret")


class Guests:
    def __init__(self, store: Store, clients: ClientRegistry) -> None:
        self.store = store
        self.clients = clients
        self._settings: dict[str, Settings] = {}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._settings)

    def add(self, caller: str, current: Settings, is_admin: bool, changes: Any) -> dict[str, Any]:
        """A new guest whose settings are ``current`` with ``changes`` (its LMS required;
        any other setting the control API changes may be given). Only an operator makes
        one (it decides where a secret and callbacks go), never a guest."""
        if self.is_guest(caller):
            raise ProviderError(403, "operator_only", "a guest client makes no guests")
        refusal = trust.operator_refusal(current, is_admin, list(REQUIRED))
        if refusal is not None:
            raise refusal
        if not isinstance(changes, dict) or any(not changes.get(name) for name in REQUIRED):
            raise bad_request(f"a guest client needs {', '.join(REQUIRED)}")
        changes = {"allowed_lms_origins": [], "allowed_origins": [], **changes}
        settings, _ = runtime_settings.changed(current, changes, is_admin=True)
        client_id = PREFIX + secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        with self._lock:
            self._settings[client_id] = settings
            self.clients.add_guest(client_id, secret)
        shown = {
            **settings.public(),
            "changeable": list(runtime_settings.RUNTIME_SETTINGS),
            "guest": True,
        }
        return {"client_id": client_id, "client_secret": secret, "settings": shown}

    def remove(self, caller: str, client_id: str, current: Settings, is_admin: bool) -> None:
        """Forget a guest and wipe what it made (exams, attempts, callbacks, profiles,
        journal): the guest itself, or whoever may make one; 404 for no such guest."""
        if caller != client_id:
            refusal = trust.operator_refusal(current, is_admin, ["guest clients"])
            if refusal is not None:
                raise refusal
        with self._lock:
            if self._settings.pop(client_id, None) is None:
                raise ProviderError(404, "not_found", f"no guest client {client_id!r}")
            self.clients.remove_guest(client_id)
        self.store.reset_client(client_id)

    def is_guest(self, client_id: str | None) -> bool:
        return client_id is not None and client_id in self._settings

    def settings_of(self, client_id: str | None, default: Settings) -> Settings:
        """The settings a client's requests go by: a guest's own, else ``default``."""
        if client_id is None:
            return default
        return self._settings.get(client_id, default)

    def settings_for_attempt(self, attempt_id: str, default: Settings) -> Settings:
        """The settings an attempt's callbacks and rules go by (its client's)."""
        if not self._settings:
            return default  # no guest: no look-up
        attempt = self.store.attempts.get_attempt(attempt_id)
        exam = self.store.exams.get_exam(attempt["exam_id"]) if attempt else None
        return self.settings_of(exam["client_id"] if exam else None, default)

    def change(self, client_id: str, changes: Any) -> Settings:
        """A guest changes its own settings (not kept in the store, nobody else's); where
        its callbacks go was fixed when it was made."""
        current = self._settings[client_id]
        routing = [
            name for name in trust.SECRET_ROUTING if isinstance(changes, dict) and name in changes
        ]
        if routing:
            raise ProviderError(
                403,
                "operator_only",
                f"{', '.join(routing)}: a guest client's LMS is fixed when an operator makes it",
            )
        new, _ = runtime_settings.changed(current, changes, is_admin=False)
        with self._lock:
            self._settings[client_id] = new
        return new

    def start_over(self, client_id: str, start: Settings) -> None:
        """A guest's reset keeps where its callbacks go and forgets its other changes."""
        current = self._settings[client_id]
        kept = {name: getattr(current, name) for name in trust.SECRET_ROUTING}
        with self._lock:
            self._settings[client_id] = dataclasses.replace(start, **kept)
