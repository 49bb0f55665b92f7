"""The provider's side of the edx-proctoring REST contract, in plain Python.

:class:`Provider` holds the store and the settings and applies the rules; the Flask
views only parse requests and serialise answers. Refusals raise ProviderError.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from mockprock import desktop, simulation
from mockprock.config import Settings, SettingsError
from mockprock.errors import ProviderError, bad_request, not_found
from mockprock.lms import LmsClient
from mockprock.outbox import DELIVERED, FAILED, HELD, PENDING, SENDING, Outbox
from mockprock.store import Store, new_id

log = logging.getLogger(__name__)

# The configuration the LMS shows learners, per language; English is the fallback.
PROCTORING_CONFIG: dict[str, dict[str, Any]] = {
    "en": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Allow the learner to take notes",
            "allow_cheating": "Allow the learner to cheat",
        },
        "instructions": [
            "This exam is proctored by MockProck, a stand-in proctoring service for development.",
            "A new window will open. Start the MockProck application from there.",
            "Keep the application running until you have submitted the exam.",
            "When you are finished, you will be redirected to the exam.",
        ],
    },
    "es": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Permitir que el estudiante tome notas",
            "allow_cheating": "Permitir que el estudiante haga trampa",
        },
        "instructions": [
            "Este examen está supervisado por MockProck, un servicio de supervisión de prueba "
            "para desarrollo.",
            "Se abrirá una ventana nueva. Inicie desde allí la aplicación MockProck.",
            "Mantenga la aplicación en marcha hasta que haya enviado el examen.",
            "Cuando termine, se le redirigirá al examen.",
        ],
    },
    "fr": {
        "name": "MockProck",
        "rules": {
            "allow_notes": "Autoriser l'apprenant à prendre des notes",
            "allow_cheating": "Autoriser l'apprenant à tricher",
        },
        "instructions": [
            "Cet examen est surveillé par MockProck, un service de surveillance factice pour "
            "le développement.",
            "Une nouvelle fenêtre va s'ouvrir. Lancez-y l'application MockProck.",
            "Laissez l'application ouverte jusqu'à ce que vous ayez soumis l'examen.",
            "Une fois terminé, vous serez redirigé vers l'examen.",
        ],
    },
}
LANGUAGES = tuple(PROCTORING_CONFIG)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# The knobs the control API may change while the server runs (DESIGN §3), plus the
# outbox's retry timing.
RUNTIME_SETTINGS = (
    "review_delay_seconds",
    "ready_delay_seconds",
    "upload_delay_seconds",
    "default_review_status",
    "onboarding",
    "onboarding_valid_days",
    "verdict_from_session",
    "desktop_default",
    "lms_url",
    "lms_client_id",
    "lms_client_secret",
    "callback_retry_seconds",
    "callback_backoff_seconds",
)
LMS_SETTINGS = ("lms_url", "lms_client_id", "lms_client_secret")
# Attempt statuses before the learner is done: a decision waits for the submission.
BEFORE_SUBMISSION = frozenset(
    {"created", "download_software_clicked", "ready_to_start", "started", "ready_to_submit"}
)
CALLBACK_PATH = "/api/edx_proctoring/v1/proctored_exam/attempt/{attempt_id}/{kind}"


# -- request validation ---------------------------------------------------------------


def _field(payload: dict[str, Any], name: str, kinds: tuple[type, ...], required: bool) -> Any:
    """``payload[name]`` checked against ``kinds`` (None allowed when not required)."""
    if name not in payload or payload[name] is None:
        if required:
            raise bad_request(f"missing required field '{name}'")
        return None
    value = payload[name]
    # bool is an int in Python; a JSON true where a number belongs is still wrong.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(
            k.__name__.replace("str", "string").replace("dict", "object") for k in kinds
        )
        raise bad_request(f"field '{name}' must be {names}")
    return value


def exam_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The exam the LMS posted, normalised (both the wire and the documented names)."""
    name_key = "exam_name" if payload.get("exam_name") is not None else "name"
    practice_key = "is_practice_exam" if "is_practice_exam" in payload else "is_practice"
    exam = {
        "lms_exam_id": _field(payload, "id", (int, str), True),
        "course_id": _field(payload, "course_id", (str,), True),
        "content_id": _field(payload, "content_id", (str,), True),
        "exam_name": _field(payload, name_key, (str,), True),
        "time_limit_mins": _field(payload, "time_limit_mins", (int,), False),
        "is_proctored": _field(payload, "is_proctored", (bool,), False),
        "is_practice_exam": _field(payload, practice_key, (bool,), False),
        "is_active": _field(payload, "is_active", (bool,), False),
        "due_date": _field(payload, "due_date", (str,), False),
        "hide_after_due": _field(payload, "hide_after_due", (bool,), False),
        "backend": _field(payload, "backend", (str,), False),
        "rules": _field(payload, "rules", (dict,), False) or {},
    }
    if exam["is_proctored"] is None:
        exam["is_proctored"] = True
    if exam["is_active"] is None:
        exam["is_active"] = True
    return exam


def attempt_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    status = _field(payload, "status", (str,), False) or "created"
    if status != "created":
        raise bad_request("a new attempt's 'status' must be 'created'")
    return {
        "lms_host": _field(payload, "lms_host", (str,), True),
        "user_id": str(_field(payload, "user_id", (str, int), True)),
        "full_name": _field(payload, "full_name", (str,), False),
        "email": _field(payload, "email", (str,), False),
        "time_limit_mins": _field(payload, "time_limit_mins", (int,), False),
        "is_sample_attempt": bool(_field(payload, "is_sample_attempt", (bool,), False)),
        "review_policy": _field(payload, "review_policy", (str,), False),
        "review_policy_exception": _field(payload, "review_policy_exception", (str,), False),
        "status": status,
    }


# -- the provider ---------------------------------------------------------------------


class Provider:
    """The vendor's state and rules behind the provider REST API."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        explicit: Iterable[str] = (),
        lms: LmsClient | None = None,
    ) -> None:
        self.store = store
        # The settings the server started with; a reset of the state goes back to them.
        self.start_settings = settings
        self.explicit = frozenset(explicit)
        self.settings = self._with_stored_overrides(settings)
        self.outbox = Outbox(
            store,
            lambda: self.settings,
            lms,
            prepare=self._prepare_callback,
            on_delivered=self._callback_delivered,
        )

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    # config

    def config(self, accept_language: str | None, base_url: str) -> dict[str, Any]:
        language = simulation.pick_language(accept_language, LANGUAGES)
        return {**PROCTORING_CONFIG[language], "download_url": f"{base_url}/download"}

    # exams

    def create_exam(self, client_id: str, payload: dict[str, Any]) -> str:
        """Store a new LMS exam; the same LMS exam posted again keeps its id."""
        exam = exam_from_payload(payload)
        with self.store.transaction():
            exam_id = self.store.find_exam_id(client_id, exam["lms_exam_id"], exam["content_id"])
            created = exam_id is None
            exam_id = exam_id or new_id()
            self.store.save_exam(exam_id, client_id, exam, payload)
        log.info(
            "exam %s %s: %s", exam_id, "created" if created else "saved again", exam["exam_name"]
        )
        return exam_id

    def update_exam(self, client_id: str, exam_id: str, payload: dict[str, Any]) -> str:
        """Update exam ``exam_id``; the id answered is the one the LMS should keep."""
        exam = exam_from_payload(payload)
        with self.store.transaction():
            known = self.store.find_exam_id(client_id, exam["lms_exam_id"], exam["content_id"])
            if known is not None and known != exam_id:
                # This LMS exam already lives under another id: the LMS switches to it.
                log.warning("exam %s is known as %s; answering that id", exam_id, known)
                exam_id = known
            elif self.store.get_exam(exam_id) is None:
                log.warning("exam %s was not in the store; re-created it from the update", exam_id)
            try:
                self.store.save_exam(exam_id, client_id, exam, payload)
            except sqlite3.IntegrityError:
                raise ProviderError(
                    409, "conflict", f"another exam already holds LMS exam {exam['lms_exam_id']}"
                ) from None
        return exam_id

    def get_exam(self, exam_id: str) -> dict[str, Any]:
        exam = self.store.get_exam(exam_id)
        if exam is None:
            raise not_found("exam", exam_id)
        return exam_view(exam)

    # attempts

    def register_attempt(self, exam_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        exam = self.store.get_exam(exam_id)
        if exam is None:
            raise not_found("exam", exam_id)
        attempt = attempt_from_payload(payload)
        profile = self.store.get_onboarding_profile(attempt["user_id"])
        profile_status = simulation.onboarding_status(profile, exam["course_id"], self.now())
        refusal = simulation.gate_refusal(
            self.settings.onboarding, exam, attempt["is_sample_attempt"], profile_status
        )
        if refusal:
            log.info("attempt of %s on exam %s refused: %s", attempt["user_id"], exam_id, refusal)
            return {"status": refusal}
        attempt_id = self.store.create_attempt(exam_id, attempt, payload)
        log.info("attempt %s registered on exam %s", attempt_id, exam_id)
        return {"id": attempt_id, "status": "created"}

    def _attempt(self, exam_id: str, attempt_id: str) -> dict[str, Any]:
        attempt = self.store.get_attempt(attempt_id, exam_id)
        if attempt is None:
            raise not_found("attempt", attempt_id)
        return attempt

    def get_attempt(
        self, exam_id: str, attempt_id: str, accept_language: str | None, base_url: str
    ) -> dict[str, Any]:
        attempt = self._attempt(exam_id, attempt_id)
        exam = self.store.get_exam(exam_id) or {}
        language = simulation.pick_language(accept_language, LANGUAGES)
        query = urlencode({"attempt": attempt_id, "exam": exam_id})
        return {
            **attempt_view(attempt),
            "instructions": PROCTORING_CONFIG[language]["instructions"],
            "download_url": f"{base_url}/download?{query}",
            "rules": exam.get("rules", {}),
        }

    def update_attempt_status(self, exam_id: str, attempt_id: str, payload: dict) -> dict:
        status = _field(payload, "status", (str,), True)
        if status not in simulation.ATTEMPT_STATUSES:
            raise bad_request(f"unknown attempt status {status!r}", error="invalid_status")
        attempt = self._attempt(exam_id, attempt_id)
        with self.store.transaction():
            self.store.set_attempt_status(attempt_id, status)
            if status == "submitted" and attempt["status"] != "submitted":
                self._on_submitted(attempt)
        self.outbox.wake()  # again, now that the review is committed
        log.info("attempt %s is now %s", attempt_id, status)
        return {"id": attempt_id, "status": status}

    def delete_attempt(self, exam_id: str, attempt_id: str) -> dict[str, str]:
        self._attempt(exam_id, attempt_id)
        self.store.delete_attempt(attempt_id)
        log.info("attempt %s deleted", attempt_id)
        return {"status": "deleted"}

    def retire_user(self, user_id: str) -> bool:
        removed = self.store.delete_user(user_id)
        log.info("user %s retired (%s)", user_id, "data removed" if removed else "nothing held")
        return removed

    # onboarding

    def onboarding_status(self, course_id: str, user_id: str) -> dict[str, Any]:
        profile = self.store.get_onboarding_profile(user_id)
        return {
            "user_id": user_id,
            "status": simulation.onboarding_status(profile, course_id, self.now()),
            "expiration_date": profile.get("expiration_date") if profile else None,
        }

    def onboarding_statuses(
        self, course_id: str, statuses: list[str], page: int, page_size: int, page_url: str
    ) -> dict[str, Any]:
        """Every learner known to the provider, as seen from the course, filtered and paged."""
        unknown = sorted(set(statuses) - set(simulation.PROFILE_STATUSES))
        if unknown:
            raise bad_request(f"unknown onboarding status filter: {', '.join(unknown)}")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise bad_request(f"page must be 1 or more and page_size between 1 and {MAX_PAGE_SIZE}")
        now = self.now()
        learners: dict[str, dict[str, Any]] = {}
        for profile in self.store.list_onboarding_profiles():
            learners[profile["user_id"]] = {
                "user_id": profile["user_id"],
                "status": simulation.onboarding_status(profile, course_id, now),
                "expiration_date": profile.get("expiration_date"),
            }
        for user_id in self.store.learners_in_course(course_id):
            learners.setdefault(
                user_id,
                {
                    "user_id": user_id,
                    "status": simulation.PROFILE_NO_PROFILE,
                    "expiration_date": None,
                },
            )
        results = [r for r in learners.values() if not statuses or r["status"] in statuses]
        count = len(results)
        num_pages = max(1, -(-count // page_size))
        if page > num_pages:
            raise not_found("page", str(page))

        def link(number: int) -> str | None:
            if not 1 <= number <= num_pages:
                return None
            query = {"page": number, "page_size": page_size}
            if statuses:
                query["status"] = ",".join(statuses)
            return f"{page_url}?{urlencode(query)}"

        start = (page - 1) * page_size
        return {
            "results": results[start : start + page_size],
            "count": count,
            "num_pages": num_pages,
            "next": link(page + 1),
            "previous": link(page - 1),
        }

    # -- settings changed at run time (the control API) -----------------------------------

    def _with_stored_overrides(self, settings: Settings) -> Settings:
        """``settings`` with the control API's stored changes, except those a flag or an
        environment variable gave explicitly at start (those win)."""
        stored = {
            name: value
            for name, value in self.store.settings_overrides().items()
            if name in RUNTIME_SETTINGS and name not in self.explicit
        }
        if not stored:
            return settings
        try:
            return settings.replace(**stored)
        except SettingsError as exc:
            log.warning("ignoring the stored settings changes: %s", exc)
            return settings

    def change_settings(self, changes: Any) -> Settings:
        """Apply ``changes`` (validated, all or nothing), keep them across a restart, and
        release held callbacks when LMS credentials arrive."""
        if not isinstance(changes, dict) or not changes:
            raise bad_request("send an object of settings to change")
        fixed = sorted(set(changes) - set(RUNTIME_SETTINGS))
        if fixed:
            raise bad_request(
                f"cannot change {', '.join(fixed)} at run time; changeable: "
                + ", ".join(RUNTIME_SETTINGS),
                error="invalid_setting",
            )
        for name in ("lms_client_id", "lms_client_secret"):
            if changes.get(name) == "":
                changes[name] = None  # an empty value clears it
        for name, value in changes.items():
            kind = type(getattr(self.start_settings, name))
            if name in ("lms_client_id", "lms_client_secret"):
                if value is not None and not isinstance(value, str):
                    raise bad_request(f"{name} must be a string", error="invalid_setting")
            elif kind is str and not isinstance(value, str):
                raise bad_request(f"{name} must be a string", error="invalid_setting")
        if "lms_url" in changes and not changes["lms_url"].startswith(("http://", "https://")):
            raise bad_request(
                "lms_url must start with http:// or https://", error="invalid_setting"
            )
        try:
            new = self.settings.replace(**changes)
        except SettingsError as exc:
            raise bad_request(str(exc), error="invalid_setting") from None
        self.store.save_settings_overrides({name: getattr(new, name) for name in changes})
        self.settings = new
        log.info("settings changed: %s", ", ".join(sorted(changes)))  # names only: no secrets
        if set(changes) & set(LMS_SETTINGS):
            self.outbox.release_held()
        self.outbox.wake()
        return new

    def reset(self) -> None:
        """Wipe the state (attempts, callbacks, profiles, stored settings changes)."""
        self.store.reset()
        self.settings = self.start_settings
        self.outbox.wake()
        log.info("state reset")

    # -- callbacks: ready and reviewed --------------------------------------------------

    def callback_url(self, attempt: dict[str, Any], kind: str) -> str:
        """Where the LMS takes a callback: the ``lms_host`` the attempt registered with."""
        host = (attempt.get("lms_host") or self.settings.lms_root).rstrip("/")
        return host + CALLBACK_PATH.format(attempt_id=attempt["id"], kind=kind)

    def _known_attempt(self, attempt_id: str) -> dict[str, Any]:
        attempt = self.store.get_attempt(attempt_id)
        if attempt is None:
            raise not_found("attempt", attempt_id)
        return attempt

    def schedule_ready(self, attempt_id: str, delay_seconds: float | None = None) -> bool:
        """Queue the ``ready`` callback, after ``ready_delay_seconds`` by default; False
        when one is already queued or sent."""
        attempt = self._known_attempt(attempt_id)
        delay = self.settings.ready_delay_seconds if delay_seconds is None else delay_seconds
        with self.store.transaction():
            if self.store.list_callbacks(
                attempt_id, "ready", (PENDING, HELD, SENDING, DELIVERED), limit=1
            ):
                return False
            self.outbox.enqueue(
                "ready", attempt_id, self.callback_url(attempt, "ready"), {"status": "ready"}, delay
            )
        self.outbox.wake()
        return True

    def send_ready_now(self, attempt_id: str) -> dict[str, Any]:
        """The ``ready`` callback, now: a waiting one is hurried, else a new one goes."""
        attempt = self._known_attempt(attempt_id)
        waiting = self.store.list_callbacks(attempt_id, "ready", (PENDING, HELD, FAILED), limit=1)
        if waiting:
            return self.outbox.retry(waiting[0]["id"])
        return self.outbox.enqueue(
            "ready",
            attempt_id,
            self.callback_url(attempt, "ready"),
            {"status": "ready"},
            0.0,
            source="control",
        )

    def _on_submitted(self, attempt: dict[str, Any]) -> None:
        exam = self.store.get_exam(attempt["exam_id"]) or {}
        if simulation.is_onboarding_attempt(exam, attempt):
            profile = simulation.profile_after_submission(
                self.store.get_onboarding_profile(attempt["user_id"]),
                exam.get("course_id", ""),
                self.now(),
            )
            if profile is not None:
                self.store.save_onboarding_profile(attempt["user_id"], **profile)
        self.schedule_review(attempt["id"])

    def _open_decision(self, attempt_id: str) -> dict[str, Any] | None:
        """The decision queued for an attempt and not sent yet."""
        decision = self.store.get_review_decision(attempt_id)
        return decision if decision and decision["callback_id"] is None else None

    def schedule_review(self, attempt_id: str) -> dict[str, Any] | None:
        """Queue the review of a submitted attempt, once: a queued decision's verdict
        (after its delay) or the automatic review (after ``review_delay_seconds``)."""
        attempt = self._known_attempt(attempt_id)
        with self.store.transaction():
            if self.store.list_callbacks(
                attempt_id, "reviewed", (PENDING, HELD, SENDING, DELIVERED), limit=1
            ):
                return None
            decision = self._open_decision(attempt_id)
            delay = self.settings.review_delay_seconds
            if decision and decision["delay_seconds"] is not None:
                delay = decision["delay_seconds"]
            row = self.outbox.enqueue(
                "reviewed",
                attempt_id,
                self.callback_url(attempt, "reviewed"),
                self.compose_review(attempt, decision),
                delay,
                source="decision" if decision else "auto",
            )
            if decision:
                self.store.link_review_decision(attempt_id, row["id"])
        self.outbox.wake()
        return row

    def queue_decision(
        self,
        attempt_id: str,
        status: Any,
        comments: Any = None,
        reviewed_by: Any = None,
        delay_seconds: Any = None,
        source: str = "control API",
    ) -> dict[str, Any]:
        """Queue a verdict for an attempt. Before submission it waits for it; after, it
        goes after ``delay_seconds`` (default 0) and replaces a review not yet sent. One
        decision sends one review."""
        if status not in simulation.REVIEW_STATUSES:
            raise bad_request(
                f"status must be one of {', '.join(simulation.REVIEW_STATUSES)}",
                error="invalid_status",
            )
        try:
            comments = simulation.normalize_comments(comments, status)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        if reviewed_by is not None and not isinstance(reviewed_by, str):
            raise bad_request("reviewed_by must be the email of an LMS user")
        if delay_seconds is not None and (
            isinstance(delay_seconds, bool)
            or not isinstance(delay_seconds, (int, float))
            or delay_seconds < 0
        ):
            raise bad_request("delay_seconds must be a number of seconds, 0 or more")
        attempt = self._known_attempt(attempt_id)
        row = None
        with self.store.transaction():
            self.store.save_review_decision(
                attempt_id, status, comments, reviewed_by or None, delay_seconds, source
            )
            if attempt["status"] not in BEFORE_SUBMISSION:
                row = self._send_decision(attempt, float(delay_seconds or 0))
            self.store.add_event(attempt_id, "decision", {"status": status, "source": source})
        self.outbox.wake()
        log.info("verdict %s queued for attempt %s (%s)", status, attempt_id, source)
        return {
            "attempt_id": attempt_id,
            "decision": self.store.get_review_decision(attempt_id),
            "callback": row,
            "sends": "at submission" if row is None else "now",
        }

    def _send_decision(self, attempt: dict[str, Any], delay: float) -> dict[str, Any]:
        decision = self.store.get_review_decision(attempt["id"])
        payload = self.compose_review(attempt, decision)
        waiting = self.store.list_callbacks(attempt["id"], "reviewed", (PENDING, HELD, FAILED))
        if waiting and self.outbox.reschedule(waiting[-1]["id"], payload, delay, "decision"):
            row = self.store.get_callback(waiting[-1]["id"])
        else:
            row = self.outbox.enqueue(
                "reviewed",
                attempt["id"],
                self.callback_url(attempt, "reviewed"),
                payload,
                delay,
                source="decision",
            )
        self.store.link_review_decision(attempt["id"], row["id"])  # type: ignore[index]
        return row  # type: ignore[return-value]

    def compose_review(
        self, attempt: dict[str, Any], decision: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The ``reviewed`` callback's body for an attempt (DESIGN §3's verdict rules)."""
        settings = self.settings
        findings = desktop.session_findings(
            self.store, attempt["id"], settings.ping_interval_seconds
        )
        verdict, decided_by = simulation.choose_verdict(
            decision["status"] if decision else None,
            attempt.get("email"),
            attempt.get("full_name"),
            settings.default_review_status,
            findings,
            settings.verdict_from_session,
        )
        comments = simulation.review_comments(
            verdict,
            decided_by,
            decision["comments"] if decision else [],
            findings,
            self._session_seconds(attempt["id"]),
        )
        payload: dict[str, Any] = {"status": verdict, "comments": comments}
        # Only when given: a reviewer makes the LMS reject at once, with no second review.
        if decision and decision.get("reviewed_by"):
            payload["reviewed_by"] = decision["reviewed_by"]
        return payload

    def _session_seconds(self, attempt_id: str) -> float:
        """From the attempt's start to its submission (or now), per its timeline."""
        started = ended = None
        for event in self.store.list_events(attempt_id):
            status = event["detail"].get("status") if event["kind"] == "status" else None
            if status == "started" and started is None:
                started = event["at"]
            elif status == "submitted":
                ended = event["at"]
        if started is None:
            return 0.0
        return max(0.0, (ended or self.now().timestamp()) - started)

    def _prepare_callback(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Just before an automatic review goes out, compose it again: what the session
        saw and the current settings count, not those of submission time."""
        if row["kind"] != "reviewed" or row["source"] != "auto":
            return None
        attempt = self.store.get_attempt(row["attempt_id"])
        return self.compose_review(attempt, None) if attempt else None

    def _callback_delivered(self, row: dict[str, Any]) -> None:
        """A delivered review of an onboarding attempt sets the learner's profile."""
        if row["kind"] != "reviewed":
            return
        attempt = self.store.get_attempt(row["attempt_id"])
        exam = self.store.get_exam(attempt["exam_id"]) if attempt else None
        if not attempt or not exam or not simulation.is_onboarding_attempt(exam, attempt):
            return
        profile = simulation.profile_after_verdict(
            row["payload"]["status"],
            exam["course_id"],
            self.now(),
            self.settings.onboarding_valid_days,
        )
        if profile is not None:
            with self.store.transaction():
                self.store.save_onboarding_profile(attempt["user_id"], **profile)
                self.store.add_event(attempt["id"], "onboarding_profile", profile)
            log.info("onboarding profile of %s: %s", attempt["user_id"], profile["status"])

    # -- the control API's views of the state -----------------------------------------

    def set_onboarding_profile(
        self, user_id: str, status: Any, course_id: Any = None
    ) -> dict[str, Any]:
        """Set a learner's onboarding profile by hand (``none`` removes it)."""
        if course_id is not None and not isinstance(course_id, str):
            raise bad_request("course_id must be a string")
        if not isinstance(status, str):
            raise bad_request("missing required field 'status'")
        try:
            profile = simulation.profile_from_setting(
                status, course_id, self.now(), self.settings.onboarding_valid_days
            )
        except ValueError as exc:
            raise bad_request(str(exc), error="invalid_status") from None
        with self.store.transaction():
            if profile is None:
                self.store.delete_onboarding_profile(user_id)
            else:
                self.store.save_onboarding_profile(user_id, **profile)
        log.info("onboarding profile of %s set to %s", user_id, status)
        return self.onboarding_profile(user_id)

    def onboarding_profile(self, user_id: str) -> dict[str, Any]:
        profile = self.store.get_onboarding_profile(user_id)
        course_id = (profile or {}).get("course_id") or ""
        return {
            "user_id": user_id,
            "profile": profile,
            "status": simulation.onboarding_status(profile, course_id, self.now()),
        }

    def list_attempts(self) -> list[dict[str, Any]]:
        return [attempt_view(a) for a in self.store.list_attempts()]

    def attempt_detail(self, attempt_id: str) -> dict[str, Any]:
        """An attempt with its timeline: what happened, the callbacks and their answers,
        the LMS's requests about it and its desktop application (state, heartbeats)."""
        attempt = self._known_attempt(attempt_id)
        exam = self.store.get_exam(attempt["exam_id"])
        return {
            **attempt_view(attempt),
            "exam": exam_view(exam) if exam else None,
            "decision": self.store.get_review_decision(attempt_id),
            "callbacks": self.store.list_callbacks(attempt_id),
            "timeline": self.store.list_events(attempt_id),
            "requests": self.store.journal_mentioning(attempt_id),
            "desktop": desktop.session_view(self.store, attempt_id),
        }


def exam_view(exam: dict[str, Any]) -> dict[str, Any]:
    """An exam as the API shows it: the LMS's fields under their wire names."""
    view = {k: v for k, v in exam.items() if k not in ("payload", "lms_exam_id", "client_id")}
    view["lms_exam_id"] = exam["lms_exam_id"]
    view["external_id"] = exam["id"]
    return view


def attempt_view(attempt: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attempt.items() if k != "payload"}
