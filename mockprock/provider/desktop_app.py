"""The desktop application as the learner's browser (the proctoring worker) and the
control API drive it: which attempt a request is about, start, ping, stop, its faults,
and the latency injected into its answers. The rules are in ``desktop``; this object
holds what they need (the store, the outbox for the ``ready`` a start queues, each
attempt's settings)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mockprock import payloads
from mockprock.callbacks.outbox import Outbox
from mockprock.config import CurrentSettings, Settings
from mockprock.provider import attempts, desktop
from mockprock.provider.guests import Guests
from mockprock.store import Store


class DesktopApp:
    def __init__(
        self, store: Store, outbox: Outbox, guests: Guests, current: CurrentSettings
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.guests = guests
        self.current = current

    def _settings_of(self, attempt_id: str) -> Settings:
        """The settings an attempt goes by: its client's."""
        return self.guests.settings_for_attempt(attempt_id, self.current.value)

    def attempt(self, attempt_id: str | None, action: str, origin: str | None) -> str:
        """The attempt a worker request is about (one that names none only from an
        allowed origin)."""
        return desktop.resolve_attempt(self.store, attempt_id, action, origin, self.current.value)

    def _late(self, answer: desktop.AppAnswer) -> desktop.AppAnswer:
        """The answer with the latency injected for its attempt. The view hands it to the
        HTTP server to send that late; no request thread sleeps through it, so one
        tenant's slow application never holds a thread another tenant needs."""
        delay = desktop.latency_ms(self.store, answer.attempt_id)
        return dataclasses.replace(answer, delay_ms=delay) if delay else answer

    def start(self, attempt_id: str | None, origin: str | None) -> desktop.AppAnswer:
        """Start the application; a start that works queues the ``ready`` callback."""
        resolved = self.attempt(attempt_id, "start", origin)
        settings = self._settings_of(resolved)
        answer = desktop.start(self.store, resolved, settings.desktop_default)
        if answer.ok:
            attempts.queue_ready(self.store, self.outbox, settings, resolved, None)
        return self._late(answer)

    def ping(self, attempt_id: str | None, origin: str | None) -> desktop.AppAnswer:
        return self._late(desktop.ping(self.store, self.attempt(attempt_id, "ping", origin)))

    def stop(self, attempt_id: str | None, origin: str | None) -> desktop.AppAnswer:
        resolved = self.attempt(attempt_id, "stop", origin)
        return self._late(
            desktop.stop(self.store, resolved, self._settings_of(resolved).upload_delay_seconds)
        )

    def session(self, client_id: str, attempt_id: str) -> dict[str, Any]:
        attempts.get(self.store, attempt_id, client_id=client_id)
        return desktop.session_view(self.store, attempt_id)

    def set_fault(self, client_id: str, attempt_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        fault = payloads.desktop_fault(payload)
        attempts.get(self.store, attempt_id, client_id=client_id)
        return desktop.set_fault(
            self.store,
            attempt_id,
            fault["state"],
            fault["latency_ms"],
            self.current.value.desktop_default,
        )
