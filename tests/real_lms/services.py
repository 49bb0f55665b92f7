"""The LMS services edx-proctoring calls through ``get_runtime_service``, as small doubles.

edx-platform registers these at start-up (``set_runtime_service``); edx-proctoring needs
them to register an attempt (the learner's name and email come from the credit service) and
to move one (credit requirements, grade overrides, course completion, support notices).
They answer from the LMS's own users and record what they were told, nothing more.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth import get_user_model
from edx_proctoring.runtime import set_runtime_service


class CreditService:
    """``openedx.core.djangoapps.credit.services.CreditService``: the learner's profile."""

    def __init__(self) -> None:
        self.requirements: dict[tuple[int, str, str], str] = {}
        self._lock = threading.Lock()

    def get_credit_state(
        self, user_id: int, course_key_or_id: Any, return_course_info: bool = False
    ) -> dict[str, Any]:
        user = get_user_model().objects.get(id=user_id)
        state = {
            "enrollment_mode": "verified",
            "profile_fullname": user.get_full_name(),
            "student_email": user.email,
            "is_credit_course": False,
            "credit_requirement_status": [],
        }
        if return_course_info:
            state["course_name"] = f"Course {course_key_or_id}"
        return state

    def set_credit_requirement_status(
        self,
        user_id: int,
        course_key_or_id: Any,
        req_namespace: str,
        req_name: str,
        status: str = "satisfied",
        reason: Any = None,
    ) -> None:
        with self._lock:
            self.requirements[(user_id, str(course_key_or_id), req_name)] = status

    def remove_credit_requirement_status(
        self, user_id: int, course_key_or_id: Any, req_namespace: str, req_name: str
    ) -> None:
        with self._lock:
            self.requirements.pop((user_id, str(course_key_or_id), req_name), None)


class InstructorService:
    """``lms.djangoapps.instructor.services.InstructorService``: course staff and notices."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.completed: list[tuple[str, str]] = []

    def is_course_staff(self, user: Any, course_id: str) -> bool:
        return False  # only global staff here

    def complete_student_attempt(self, user_identifier: str, content_id: str) -> None:
        self.completed.append((user_identifier, content_id))

    def send_support_notification(self, **notice: Any) -> None:
        self.notifications.append(notice)

    def get_proctoring_escalation_email(self, course_id: str) -> None:
        return None


class GradesService:
    """``lms.djangoapps.grades.services.GradesService``: this LMS overrides no grades."""

    def should_override_grade_on_rejected_exam(self, course_key_or_id: Any) -> bool:
        return False


def install_services() -> dict[str, Any]:
    """Register the doubles as edx-platform registers its services; return them by name."""
    services = {
        "credit": CreditService(),
        "instructor": InstructorService(),
        "grades": GradesService(),
    }
    for name, service in services.items():
        set_runtime_service(name, service)
    return services
