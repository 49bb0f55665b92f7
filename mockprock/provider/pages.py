"""The facade's pages half: what the landing page, the learner page, the reviewer's
dashboard and the operator console show and change, over the same rules and the same
client scoping as the API (no HTTP here). :class:`Pages` holds the provider and calls it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from mockprock import __version__, forms, payloads, statuses, trust
from mockprock.auth import AuthError, ClientRegistry, verify_lms_token
from mockprock.callbacks.lms import LmsError
from mockprock.callbacks.outbox import Outbox
from mockprock.config import Settings
from mockprock.errors import dashboard_refused, not_found
from mockprock.provider import (
    attempts,
    exams,
    learner_page,
    onboarding,
    reviews,
    runtime_settings,
    timeline,
)
from mockprock.provider.facade import Provider
from mockprock.store import Store

log = logging.getLogger(__name__)

# How many onboarding profiles the console lists (by user id).
PROFILES_SHOWN = 100


class Pages:
    """The pages' calls, over the provider (its store, settings, clients and outbox)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.store: Store = provider.store
        self.clients: ClientRegistry = provider.clients
        self.outbox: Outbox = provider.outbox
        self.sign_ins = trust.SignIns()

    @property
    def settings(self) -> Settings:
        """The server's settings now (they change at run time)."""
        return self.provider.settings

    # -- pages -------------------------------------------------------------------------

    def download_page(self, attempt_id: str, exam_id: str | None) -> dict[str, Any]:
        """Opening the learner page is when a vendor's software would start: it queues
        the ``ready`` callback (once per attempt), then shows the attempt's state."""
        attempt = attempts.get(self.store, attempt_id, exam_id)
        self.provider.schedule_ready(attempt_id)
        # Queuing the callback leaves the attempt's row as it was read.
        return self._learner_view(attempt)

    def learner_view(self, attempt_id: str, exam_id: str | None = None) -> dict[str, Any]:
        """What the learner page shows (and its live refresh polls), changing nothing."""
        return self._learner_view(attempts.get(self.store, attempt_id, exam_id))

    def _learner_view(self, attempt: dict[str, Any]) -> dict[str, Any]:
        attempt_id = attempt["id"]
        session = self.store.desktop.get_desktop_session(attempt_id)
        ready = self.store.callbacks.list_callbacks(attempt_id, statuses.READY)
        return learner_page.view(
            attempt,
            self.store.exams.get_exam(attempt["exam_id"]),
            session["state"] if session else self.settings.desktop_default,
            ready[-1] if ready else None,
            self.provider.clock.now(),
            self.settings.lms_origins,
            self.settings.desktop_origins,
        )

    def overview(self) -> dict[str, Any]:
        """The landing page, shown to anyone: the version and whether the server has LMS
        credentials at all. No client's counts, no LMS address, no origins, and no call
        to the LMS (a page view never calls out)."""
        return {"version": __version__, "lms": self._lms_missing()}

    def _lms_missing(self) -> dict[str, Any] | None:
        if self.outbox.dispatcher.credentials() is not None:
            return None
        at_run_time = trust.run_time_route(self.settings)
        return {
            "ok": False,
            "said": "no LMS credentials: ready and reviewed callbacks are held until the "
            "server has them; restart it with --lms-client-id and --lms-client-secret"
            + (f" (or set them {at_run_time})" if at_run_time else ""),
        }

    def lms_status(self) -> dict[str, Any]:
        """What is known of the LMS without calling it: the last token request's outcome
        (callbacks make them in the background), ``ok`` None when none was made yet."""
        missing = self._lms_missing()
        if missing is not None:
            return missing
        known = self.outbox.dispatcher.lms.last_check
        if known is None:
            return {
                "ok": None,
                "said": "not asked yet: the first callback asks the LMS for a token (or check now)",
            }
        return dict(known)

    def check_lms(self, client_id: str) -> dict[str, Any]:
        """Ask the LMS for a token now (an operator's request; it sends the LMS secret to
        ``lms_url``): ``ok`` and a sentence saying why."""
        refusal = trust.operator_refusal(
            self.settings,
            self.clients.is_admin(client_id),
            [],
            action="asking the LMS for a token now",
        )
        if refusal is not None:
            raise refusal
        credentials = self.outbox.dispatcher.credentials()
        if credentials is not None:
            # The outcome, refused or not, is kept as the last check.
            with contextlib.suppress(LmsError):
                self.outbox.dispatcher.lms.token(credentials, fresh=True)
        return self.lms_status()

    def verify_dashboard_link(self, client_id: str, token: str) -> dict[str, Any]:
        """The claims of a dashboard link the LMS signed with the client's secret (a 403
        saying what is wrong when it does not verify)."""
        secret = self.clients.secret_for(client_id)
        try:
            if secret is None:
                raise AuthError(f"{client_id!r} is not a client this server accepts")
            return verify_lms_token(secret, token, client_id, self.provider.clock.now())
        except AuthError as exc:
            raise dashboard_refused(str(exc).capitalize() + ".") from exc

    def dashboard(self, client_id: str, claims: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The instructor dashboard's view and context for verified claims, kept inside
        their course and client (404 otherwise). The attempt view carries its timeline."""
        view, context = attempts.dashboard(self.store, client_id, claims)
        if view == statuses.DASHBOARD_ATTEMPT:
            attempt_id = context["attempt"]["id"]
            detail = self.provider.attempt_detail(client_id, attempt_id)
            context["callbacks"] = detail["callbacks"]
            context["decision"] = detail["decision"]
            context["timeline"] = timeline.entries(
                detail["timeline"],
                detail["callbacks"],
                detail["requests"],
                self.store.desktop.get_desktop_session(attempt_id),
                self.store.desktop.list_heartbeats(attempt_id),
                self.settings.ping_interval_seconds,
            )
            context["review"] = self.provider.compose_review(context["attempt"])
        return view, context

    def _course_exam(self, client_id: str, claims: dict[str, Any], refusal: str) -> dict[str, Any]:
        """The exam the claims name, inside their course and client (404 otherwise); a 403
        saying ``refusal`` when they name none."""
        if not claims.get("exam_id"):
            raise dashboard_refused(refusal)
        exam = exams.get(self.store, claims["exam_id"], client_id)
        if exam["course_id"] != claims["course_id"]:
            raise not_found("exam", claims["exam_id"])  # links stay inside the token's course
        return exam

    def record_verdict(
        self, client_id: str, claims: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        """The reviewer's verdict for the attempt this dashboard session may see (a 403
        when the claims name none): the attempt is read once, nothing is composed, and
        only the verdict is written. The attempt, for the page to go back to."""
        refusal = "A verdict needs an attempt of this course."
        exam = self._course_exam(client_id, claims, refusal)
        if not claims.get("attempt_id"):
            raise dashboard_refused(refusal)
        attempt = attempts.get(self.store, claims["attempt_id"], exam["id"])
        reviews.queue_decision(
            self.store,
            self.outbox,
            self.provider.settings_of(client_id),
            attempt,
            payloads.decision(body),
        )
        return attempt

    def set_exam_rules(
        self, client_id: str, claims: dict[str, Any], rules: Mapping[str, bool]
    ) -> dict[str, Any]:
        """The reviewer's configuration view: switch the rules of the exam this dashboard
        session may see (a 403 when the claims name none) on or off."""
        refusal = "Rules belong to an exam of this course."
        exam = self._course_exam(client_id, claims, refusal)
        if claims.get("attempt_id"):
            raise dashboard_refused(refusal)
        return exams.view(exams.set_rules(self.store, exam, forms.exam_rules(rules)))

    # -- the operator console ------------------------------------------------------------

    def sign_in(self, client_id: str, secret: str) -> str | None:
        """A new console session for an accepted client (its id), or None."""
        if not self.clients.check(client_id, secret):
            return None
        key = self.store.settings.signing_key()
        return self.sign_ins.open(client_id, trust.credential_fingerprint(key, client_id, secret))

    def console_client(self, session_id: str | None) -> str | None:
        """The client of a live console session whose client is accepted now, or None."""
        live = self.sign_ins.get(session_id)
        if live is None:
            return None
        client_id, fingerprint = live
        key = self.store.settings.signing_key()
        if not trust.still_accepted(
            key, client_id, self.clients.secret_for(client_id), fingerprint
        ):
            self.sign_ins.close(session_id)
            return None
        return client_id

    def sign_out(self, session_id: str | None) -> None:
        self.sign_ins.close(session_id)

    def attempts_page(self, client_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """The client's attempts for the console: filtered, newest first, one page."""
        return attempts.page(self.store, client_id, **forms.attempt_filter(query))

    def console(self, client_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        """Everything the console's page shows its signed-in client, in one call."""
        return {
            "client_id": client_id,
            "settings_fields": runtime_settings.form_fields(
                self.settings, self.clients.is_admin(client_id)
            ),
            "listing": self.attempts_page(client_id, query),
            "profiles": self.onboarding_profiles(client_id),
            "callbacks": self.provider.callbacks(client_id, {"limit": "50"})[::-1],
            "journal": self.provider.requests(client_id, {"limit": "50"})[::-1],
            "lms": self.lms_status(),
        }

    def change_settings_from_form(self, client_id: str, form: Mapping[str, str]) -> list[str]:
        """The console's settings form: change what differs (as the control API would,
        the operator rule included); the names changed."""
        changes = runtime_settings.changes_from_form(self.settings, form)
        if changes:
            self.provider.change_settings(client_id, changes)
        return sorted(changes)

    def onboarding_profiles(self, client_id: str) -> dict[str, Any]:
        """The client's first profiles by user id (the console shows a few; the control API
        and the CLI reach any learner's), and how many it holds."""
        now = self.provider.now()
        rows = self.store.onboarding.list_onboarding_profiles(client_id, PROFILES_SHOWN)
        return {
            "shown": [onboarding.view_of(row, now) for row in rows],
            "total": self.store.onboarding.count_onboarding_profiles(client_id),
        }
