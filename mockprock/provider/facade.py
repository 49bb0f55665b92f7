"""The facade the API views call (the pages' facade, ``Pages``, holds one): the store,
the settings, the clients and the outbox, each request handed to the rules module of its
concern after ``payloads`` checked its body. Refusals raise ProviderError. No HTTP."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from mockprock import payloads, trust
from mockprock.auth import AuthError, ClientRegistry, VerifiedTokens, issue_token
from mockprock.callbacks.lms import LmsClient
from mockprock.callbacks.outbox import Outbox
from mockprock.clock import Clock
from mockprock.config import CurrentSettings, Settings
from mockprock.provider import (
    attempts,
    callback_bodies,
    exams,
    onboarding,
    reviews,
    runtime_settings,
    verdicts,
)
from mockprock.provider.clock_control import ClockControl
from mockprock.provider.desktop_app import DesktopApp
from mockprock.provider.guests import Guests
from mockprock.provider.scenarios import Scenarios
from mockprock.provider.snapshots import Snapshots
from mockprock.store import Store

log = logging.getLogger(__name__)


class Provider:
    """The vendor's state and rules behind every route (the pages' facade,
    :class:`~mockprock.provider.pages.Pages`, holds one and calls it)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        explicit: Iterable[str] = (),
        lms: LmsClient | None = None,
        clients: ClientRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        # The server's one clock (the store records its times by it too).
        self.clock = clock or store.clock
        # Each client's scenario (the control API's views call it); --scenario read first.
        self.scenarios = Scenarios(store, settings.scenario, self.clock)
        # The settings the server started with; a reset of the state goes back to them.
        self.start_settings = settings
        # start_notes: what the banner says of stored changes deciding where secrets go.
        current, self.start_notes = runtime_settings.with_stored_overrides(
            store, settings, explicit
        )
        self.current = CurrentSettings(current)
        # Settings changes read, change and write under this lock: parallel changes of
        # different settings all stay, in memory as in the store.
        self._settings_lock = threading.Lock()
        self.clients = clients or ClientRegistry(settings.client_secrets, settings.admin_secrets)
        self.verified_tokens = VerifiedTokens()
        self.guests = Guests(store, self.clients)
        self.outbox = Outbox(
            store,
            self.current.get,
            lms,
            bodies=callback_bodies.CallbackBodies(store, self.clock),
            guests=self.guests,
            clock=self.clock.now,
        )
        self.clock_control = ClockControl(self.clock, store, self.outbox)
        # The desktop application the learner's browser drives (the desktop views call it).
        self.desktop_app = DesktopApp(store, self.outbox, self.guests, self.current)
        # A client's whole state out and in (the control API's /state).
        self.snapshots = Snapshots(store, self.outbox, self.guests, self.clock)

    @property
    def settings(self) -> Settings:
        """The server's settings now."""
        return self.current.value

    @settings.setter
    def settings(self, new: Settings) -> None:
        self.current.value = new

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), timezone.utc)

    def settings_of(self, client_id: str | None) -> Settings:
        """The settings a client's requests go by: a guest client's own, else the server's."""
        return self.guests.settings_of(client_id, self.settings)

    def attempt_settings(self, attempt_id: str) -> Settings:
        """The settings an attempt's callbacks and rules go by: its client's."""
        return self.guests.settings_for_attempt(attempt_id, self.settings)

    # -- who may call ----------------------------------------------------------------

    def issue_token(self, client_id: str, secret: str) -> dict[str, Any] | None:
        """An OAuth2 token answer for a known client; None when the secret is wrong."""
        if not self.clients.check(client_id, secret):
            return None
        key = self.store.settings.signing_key()
        # The token is live only while its client is accepted with this secret.
        cred = trust.credential_fingerprint(key, client_id, secret)
        lifetime = self.settings.token_lifetime_seconds
        return issue_token(key, client_id, lifetime, {"cred": cred}, self.clock.now())

    def client_of_token(self, token: str) -> str:
        """The client a provider token was issued to, while that client is accepted now
        with the secret it was issued for (AuthError otherwise)."""
        key = self.store.settings.signing_key()
        claims = self.verified_tokens.verify(key, token, self.clock.now())
        client_id = claims["sub"]
        if not trust.still_accepted(
            key, client_id, self.clients.secret_for(client_id), claims.get("cred", "")
        ):
            raise AuthError(
                f"the token's client {client_id!r} is not accepted now with the secret it was "
                "issued for; get a new token"
            )
        return client_id

    # -- the provider API --------------------------------------------------------------

    def create_exam(self, client_id: str, payload: dict[str, Any]) -> str:
        return exams.create(self.store, client_id, payloads.exam(payload), payload)

    def update_exam(self, client_id: str, exam_id: str, payload: dict[str, Any]) -> str:
        return exams.update(self.store, client_id, exam_id, payloads.exam(payload), payload)

    def get_exam(self, client_id: str, exam_id: str) -> dict[str, Any]:
        return exams.view(exams.get(self.store, exam_id, client_id))

    def register_attempt(
        self, client_id: str, exam_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        exam = exams.get(self.store, exam_id, client_id)
        attempt = payloads.new_attempt(payload)
        return attempts.register(
            self.store, exam, attempt, payload, self.settings_of(client_id).onboarding, self.now()
        )

    def get_attempt(
        self,
        client_id: str,
        exam_id: str,
        attempt_id: str,
        accept_language: str | None,
        base_url: str,
    ) -> dict[str, Any]:
        return attempts.for_lms(
            self.store, client_id, exam_id, attempt_id, accept_language, base_url
        )

    def update_attempt_status(
        self, client_id: str, exam_id: str, attempt_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        status = payloads.attempt_status(payload)
        return attempts.set_status(
            self.store,
            self.outbox,
            self.settings_of(client_id),
            client_id,
            exam_id,
            attempt_id,
            status,
            self.now(),
        )

    def delete_attempt(self, client_id: str, exam_id: str, attempt_id: str) -> dict[str, str]:
        return attempts.delete(self.store, client_id, exam_id, attempt_id)

    def retire_user(self, client_id: str, user_id: str) -> bool:
        return attempts.retire_user(self.store, client_id, user_id)

    def onboarding_status(self, client_id: str, course_id: str, user_id: str) -> dict[str, Any]:
        return onboarding.learner_status(self.store, client_id, course_id, user_id, self.now())

    def onboarding_statuses(
        self, client_id: str, course_id: str, query: Mapping[str, str], page_url: str
    ) -> dict[str, Any]:
        """Every learner the client knows, as seen from the course, filtered and paged."""
        wanted = payloads.onboarding_filter(query)
        return onboarding.course_statuses(
            self.store,
            client_id,
            course_id,
            wanted["statuses"],
            wanted["page"],
            wanted["page_size"],
            page_url,
            self.now(),
        )

    # -- the ready and reviewed callbacks ------------------------------------------------

    def schedule_ready(self, attempt_id: str, delay_seconds: float | None = None) -> bool:
        return attempts.queue_ready(
            self.store, self.outbox, self.attempt_settings(attempt_id), attempt_id, delay_seconds
        )

    def send_ready_now(self, client_id: str, attempt_id: str) -> dict[str, Any]:
        return self.shown(
            attempts.send_ready_now(
                self.store, self.outbox, self.settings_of(client_id), client_id, attempt_id
            )
        )

    def compose_review(self, attempt: dict[str, Any]) -> dict[str, Any]:
        """The review an attempt would get if it were sent now."""
        return verdicts.compose(
            self.store, self.attempt_settings(attempt["id"]), attempt, self.now()
        )

    def queue_decision(
        self, client_id: str, attempt_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        decision = payloads.decision(payload)
        attempt = attempts.get(self.store, attempt_id, client_id=client_id)
        answer = reviews.queue_decision(
            self.store, self.outbox, self.settings_of(client_id), attempt, decision
        )
        if answer["callback"] is not None:
            answer["callback"] = self.shown(answer["callback"])
        return answer

    def shown(self, row: dict[str, Any]) -> dict[str, Any]:
        return callback_bodies.shown(self.store, self.settings, row, self.now())

    def callbacks(self, client_id: str, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """The client's callbacks in the outbox, filtered by the control API's query."""
        rows = self.store.callbacks.list_callbacks(
            **payloads.callback_filter(query), client_id=client_id
        )
        return [self.shown(row) for row in rows]

    def retry_callback(self, client_id: str, callback_id: int) -> dict[str, Any]:
        row = self.store.callbacks.get_callback(callback_id)
        if row is not None:
            attempts.get(self.store, row["attempt_id"], client_id=client_id)
        return self.shown(self.outbox.retry(callback_id))

    # -- the control API ---------------------------------------------------------------

    def settings_view(self, client_id: str | None = None) -> dict[str, Any]:
        return {
            **self.settings_of(client_id).public(),
            "changeable": list(runtime_settings.RUNTIME_SETTINGS),
            "guest": self.guests.is_guest(client_id),
        }

    def change_settings(self, client_id: str, changes: Any) -> Settings:
        """Apply ``changes`` (checked, all or nothing; where secrets go only for an
        operator), keep them across a restart, and release held callbacks when LMS
        credentials arrive. A guest client changes its own settings only."""
        if self.guests.is_guest(client_id):
            new = self.guests.change(client_id, changes)
            self.outbox.dispatcher.wake()
            return new
        with self._settings_lock:
            new, kept = runtime_settings.changed(
                self.settings, changes, is_admin=self.clients.is_admin(client_id)
            )
            admin = self.clients.is_admin(client_id)
            self.store.settings.save_settings_overrides(kept, by_operator=kept if admin else ())
            self.settings = new
        if set(kept) & set(runtime_settings.LMS_SETTINGS):
            self.outbox.dispatcher.release_held()
        self.outbox.dispatcher.wake()  # the retry timing may have changed what is due
        return new

    def add_guest(self, client_id: str, payload: Any) -> dict[str, Any]:
        """A guest client with settings of its own (an operator's act; see ``guests``)."""
        return self.guests.add(client_id, self.settings, self.clients.is_admin(client_id), payload)

    def remove_guest(self, client_id: str, guest_id: str) -> None:
        """Forget a guest client and wipe its state (its operator's act, or its own)."""
        self.guests.remove(client_id, guest_id, self.settings, self.clients.is_admin(client_id))

    def reset(self, client_id: str) -> None:
        """Wipe the client's state (exams, attempts, callbacks, profiles, its journal) and
        the stored settings changes; those deciding where secrets go only when the client
        is an operator (others' data, and those settings, stay). A guest client's reset
        forgets its own changes only."""
        self.store.reset_client(client_id)
        if self.guests.is_guest(client_id):
            self.guests.start_over(client_id, self.start_settings)
            return
        with self._settings_lock:
            forget = runtime_settings.resettable(
                self.settings,
                self.store.settings.settings_overrides(),
                self.clients.is_admin(client_id),
            )
            self.store.settings.clear_settings_overrides(forget)
            self.settings = self.settings.replace(
                **{name: getattr(self.start_settings, name) for name in forget}
            )
        self.outbox.dispatcher.wake()
        log.info("state of client %s reset", client_id)

    def set_onboarding_profile(
        self, client_id: str, user_id: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        setting = payloads.onboarding_setting(payload)
        return onboarding.set_profile(
            self.store,
            client_id,
            user_id,
            setting["status"],
            setting["course_id"],
            self.now(),
            self.settings_of(client_id).onboarding_valid_days,
        )

    def onboarding_profile(self, client_id: str, user_id: str) -> dict[str, Any]:
        return onboarding.profile_view(self.store, client_id, user_id, self.now())

    def list_attempts(self, client_id: str, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """The client's attempts, oldest first (or newest first), paged in SQL when asked."""
        return attempts.listing(self.store, client_id, **payloads.attempt_listing(query))

    def attempt_detail(self, client_id: str, attempt_id: str) -> dict[str, Any]:
        attempts.get(self.store, attempt_id, client_id=client_id)
        rows = [self.shown(r) for r in self.store.callbacks.list_callbacks(attempt_id)]
        return attempts.detail(self.store, client_id, attempt_id, rows)

    def requests(self, client_id: str, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """The client's recent requests in the journal, newest last."""
        limit = payloads.query_int(query, "limit", 100, minimum=1)
        return self.store.journal.list_journal(limit, client_id=client_id)

    def journal(
        self,
        method: str,
        path: str,
        status: int,
        client_id: str | None,
        request: dict[str, Any],
        response: str,
    ) -> None:
        """Keep a request (secrets already redacted) in the journal, trimmed to size."""
        self.store.journal.journal_request(
            method,
            path,
            status,
            client_id,
            json.dumps(request),
            response,
            keep=self.settings.journal_size,
        )
