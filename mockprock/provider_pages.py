"""The facade's pages half: what the landing page, the learner page, the reviewer's
dashboard and the operator console show and change, over the same rules and the same
client scoping as the API (no HTTP here). :class:`mockprock.provider.Provider` extends it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from mockprock import (
    __version__,
    attempts,
    exams,
    forms,
    learner_page,
    onboarding,
    runtime_settings,
    statuses,
    timeline,
)
from mockprock.auth import AuthError, ClientRegistry, verify_lms_token
from mockprock.config import Settings
from mockprock.lms import LmsError
from mockprock.outbox import Outbox
from mockprock.store import Store

log = logging.getLogger(__name__)


class PagesFacade:
    """The pages' calls; mixed into :class:`~mockprock.provider.Provider`, whose store,
    settings, clients and outbox (and API methods) they use."""

    store: Store
    settings: Settings
    clients: ClientRegistry
    outbox: Outbox

    # -- pages -------------------------------------------------------------------------

    def download_page(self, attempt_id: str, exam_id: str | None) -> dict[str, Any]:
        """Opening the learner page is when a vendor's software would start: it queues
        the ``ready`` callback (once per attempt), then shows the attempt's state."""
        attempts.get(self.store, attempt_id, exam_id)
        self.schedule_ready(attempt_id)
        return self.learner_view(attempt_id, exam_id)

    def learner_view(self, attempt_id: str, exam_id: str | None = None) -> dict[str, Any]:
        """What the learner page shows (and its live refresh polls), changing nothing."""
        attempt = attempts.get(self.store, attempt_id, exam_id)
        session = self.store.get_desktop_session(attempt_id)
        ready = self.outbox.list(attempt_id, statuses.READY)
        return learner_page.view(
            attempt,
            self.store.get_exam(attempt["exam_id"]),
            session["state"] if session else self.settings.desktop_default,
            ready[-1] if ready else None,
            time.time(),
            self.settings.lms_origins,
            self.settings.desktop_origins,
        )

    def overview(self) -> dict[str, Any]:
        """The landing page: the version, the LMS link (a live check), the counts."""
        waiting = (statuses.CALLBACK_PENDING, statuses.CALLBACK_HELD, statuses.CALLBACK_SENDING)
        return {
            "version": __version__,
            "lms_url": self.settings.lms_root,
            "lms": self.lms_check(),
            "allowed_lms_origins": self.settings.lms_origins,
            "exams": len(self.store.list_exams()),
            "attempts": len(self.store.list_attempts()),
            "waiting_callbacks": len(self.outbox.list(states=waiting)),
        }

    def lms_check(self) -> dict[str, Any]:
        """Whether callbacks can reach the LMS now: ``ok`` and a sentence saying why."""
        credentials = self.outbox.credentials()
        if credentials is None:
            return {
                "ok": False,
                "said": "no LMS credentials: ready and reviewed callbacks are held until "
                "--lms-client-id and --lms-client-secret are set",
            }
        try:
            self.outbox.lms.token(credentials)
        except LmsError as exc:
            return {"ok": False, "said": str(exc)}
        return {"ok": True, "said": "the LMS accepts the server's OAuth credentials"}

    def dashboard_claims(self, client_id: str, token: str) -> dict[str, Any]:
        """The claims of a dashboard link the LMS signed with the client's secret
        (AuthError saying what is wrong when it does not verify)."""
        secret = self.clients.secret_for(client_id)
        if secret is None:
            raise AuthError(f"{client_id!r} is not a client this server accepts")
        return verify_lms_token(secret, token, client_id)

    def dashboard(self, client_id: str, claims: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The instructor dashboard's view and context for verified claims, kept inside
        their course and client (404 otherwise). The attempt view carries its timeline."""
        view, context = attempts.dashboard(self.store, client_id, claims)
        if view == "attempt":
            attempt_id = context["attempt"]["id"]
            detail = self.attempt_detail(client_id, attempt_id)
            context["callbacks"] = detail["callbacks"]
            context["decision"] = detail["decision"]
            context["timeline"] = timeline.entries(
                detail["timeline"],
                detail["callbacks"],
                detail["requests"],
                self.store.get_desktop_session(attempt_id),
                self.store.list_heartbeats(attempt_id),
                self.settings.ping_interval_seconds,
            )
            context["review"] = self.compose_review(context["attempt"])
        return view, context

    def set_exam_rules(
        self, client_id: str, exam_id: str, rules: Mapping[str, bool]
    ) -> dict[str, Any]:
        """The reviewer's configuration view: switch the exam's rules on or off."""
        exam = exams.get(self.store, exam_id, client_id)
        return exams.view(exams.set_rules(self.store, exam, forms.exam_rules(rules)))

    # -- the operator console ------------------------------------------------------------

    def attempts_page(self, client_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The client's attempts for the console: filtered, newest first, one page."""
        wanted = forms.attempt_filter(query)
        exams_by_id = {e["id"]: e for e in self.store.list_exams(client_id)}
        return attempts.page(self.list_attempts(client_id, {}), exams_by_id, **wanted)

    def settings_form(self) -> list[dict[str, Any]]:
        return runtime_settings.form_fields(self.settings)

    def change_settings_from_form(self, client_id: str, form: Mapping[str, str]) -> list[str]:
        """The console's settings form: change what differs (as the control API would,
        the operator rule included); the names changed."""
        changes = runtime_settings.changes_from_form(self.settings, form)
        if changes:
            self.change_settings(client_id, changes)
        return sorted(changes)

    def onboarding_profiles(self, client_id: str) -> list[dict[str, Any]]:
        return [
            onboarding.profile_view(self.store, client_id, row["user_id"], self.now())
            for row in self.store.list_onboarding_profiles(client_id)
        ]
