"""The provider's side of the edx-proctoring REST contract, in plain Python.

:class:`Provider` holds the store and the settings and applies the rules; the Flask
views only parse requests and serialise answers. Refusals raise ProviderError.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from mockprock import simulation
from mockprock.config import Settings
from mockprock.errors import ProviderError, bad_request, not_found
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

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

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
        self._attempt(exam_id, attempt_id)
        self.store.set_attempt_status(attempt_id, status)
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


def exam_view(exam: dict[str, Any]) -> dict[str, Any]:
    """An exam as the API shows it: the LMS's fields under their wire names."""
    view = {k: v for k, v in exam.items() if k not in ("payload", "lms_exam_id", "client_id")}
    view["lms_exam_id"] = exam["lms_exam_id"]
    view["external_id"] = exam["id"]
    return view


def attempt_view(attempt: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attempt.items() if k != "payload"}
