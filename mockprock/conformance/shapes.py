"""The requests edx-proctoring 6.1.4 sends, as recorded on the wire.

Copied from ``tests/fixtures/edx-proctoring-6.1.4-wire.jsonl`` (a test keeps the two in
step): the same fields, types and headers; only ids, hosts and names are the kit's own.
edx-proctoring 5.2 (the Open edX platform's pin) sends the same requests; where the two
lines treat the answers differently is in :data:`EDX_LINES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EdxLine:
    """What one edx-proctoring line expects of a provider where the lines differ (read from
    their ``backends/rest.py``; the contract tests check it against the installed one)."""

    # How long the LMS waits for any provider call (None: no limit, the request hangs).
    timeout_seconds: int | None
    # Whether ``remove_exam_attempt`` counts a 404 on DELETE as "already removed" (else only
    # ``{"status": "deleted"}`` counts, and the LMS logs the rest as a failed removal).
    delete_404_is_removed: bool


EDX_LINES = {
    # The platform's pin: no request timeout (no ``timeout`` backend key), DELETE counts only
    # 'deleted', and the LMS deletes its own attempt whatever the provider answered.
    "5.2": EdxLine(timeout_seconds=None, delete_404_is_removed=False),
    # The newest line: a 30 s timeout on every call (the ``timeout`` backend key), a 404 on
    # DELETE is "already gone", and another error keeps the LMS's attempt for a retry.
    "6.1": EdxLine(timeout_seconds=30, delete_404_is_removed=True),
}


def edx_line(version: str) -> EdxLine:
    """The expectations of the edx-proctoring release ``version`` (e.g. ``"5.2.0"``)."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return EDX_LINES["6.1" if (major, minor) >= (6, 1) else "5.2"]


# The kit holds every answer to the strictest line's limit, so a provider passes under all.
EDX_TIMEOUT_SECONDS = min(
    line.timeout_seconds for line in EDX_LINES.values() if line.timeout_seconds
)

# Headers the LMS's requests session sends (requests' defaults, minus the user agent).
ACCEPT = {"Accept": "*/*"}
JSON_HEADERS = {**ACCEPT, "Content-Type": "application/json"}
# edx-proctoring sends '<current language>;<default language>', not the standard syntax.
LANGUAGE_HEADER = {"Accept-Language": "en-us"}

COURSE_ID = "course-v1:ConformanceX+CK101+2026"


def token_form(client_id: str, client_secret: str) -> dict[str, str]:
    """The form of ``POST /oauth2/access_token``."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "token_type": "jwt",
    }


def exam(lms_id: int, name: str, external_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """The body of ``POST /api/v1/exam/`` (``external_id`` None) and of its re-save."""
    body: dict[str, Any] = {
        "id": lms_id,
        "course_id": COURSE_ID,
        "content_id": f"block-v1:ConformanceX+CK101+2026+type@sequential+block@exam{lms_id}",
        "external_id": external_id,
        "exam_name": name,
        "time_limit_mins": 30,
        "is_proctored": True,
        "is_practice_exam": False,
        "is_active": True,
        "due_date": None,
        "hide_after_due": False,
        "backend": "mockprock",
        "rules": {"allow_notes": True},
    }
    body.update(changes)
    return body


def attempt(lms_host: str, user_id: str, name: str, email: str) -> dict[str, Any]:
    """The body of ``POST /api/v1/exam/<id>/attempt/``."""
    return {
        "lms_host": lms_host,
        "time_limit_mins": 30,
        "is_sample_attempt": False,
        "user_id": user_id,
        "full_name": name,
        "email": email,
        "status": "created",
    }


# The statuses the LMS PATCHes onto an attempt (start, stop, mark as erroneous).
PATCHED_STATUSES = ("started", "submitted", "error")
REVIEW_STATUSES = ("passed", "violation", "suspicious", "not_reviewed")
ONBOARDING_STATUSES = (
    "approved-in-course",
    "approved-in-different-course",
    "rejected",
    "expired",
    "pending",
    "no-profile",
)
ONBOARDING_REFUSALS = (
    "onboarding_missing",
    "onboarding_pending",
    "onboarding_failed",
    "onboarding_expired",
)
