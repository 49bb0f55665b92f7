"""The LMS side of the proofs, as an edx-platform test writes it: the suite's one Django
configuration with the real edx-proctoring (``tests.lms_django``), its models and its Python
API (``create_exam``, ``create_exam_attempt``, ``start_exam_attempt``,
``update_attempt_status``). Used in process (``test_django_flow``) and over real HTTP
(``tests/real_lms/test_plugin_server.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.lms_django import configure_lms

configure_lms()

# The import order matters: Django is configured above.
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from edx_proctoring import api  # noqa: E402
from edx_proctoring.models import (  # noqa: E402
    ProctoredExamSoftwareSecureComment,
    ProctoredExamSoftwareSecureReview,
)
from edx_proctoring.runtime import get_runtime_service  # noqa: E402

from tests.real_lms.services import install_services  # noqa: E402

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
# edx_proctoring.rules: who may post a review for mockprock's attempts.
REVIEWERS = "mockprock_review"
# edx_proctoring's SoftwareSecureReviewStatus and the attempt status the LMS then gives, by
# mockprock verdict.
REVIEW_STATUS = {"passed": "Clean", "violation": "Rules Violation"}
ATTEMPT_STATUS = {"passed": "verified", "violation": "second_review_required"}


def migrate() -> None:
    """The LMS's tables, and the services edx-platform registers (once per process)."""
    call_command("migrate", verbosity=0)
    if get_runtime_service("credit") is None:
        install_services()


def unique(name: str) -> str:
    """``name`` and a random suffix: the LMS database lives as long as the session, and
    the real-LMS tests number their users and exams too."""
    return f"{name}-{uuid.uuid4().hex[:10]}"


def user(name: str, reviewer: bool = False) -> Any:
    """A new LMS user whose username and email start with ``name``."""
    username = unique(name)
    created = get_user_model().objects.create(
        username=username,
        email=f"{username}@example.com",
        first_name=name.capitalize(),
        last_name="Learner",
    )
    if reviewer:
        created.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    return created


def proctored_exam() -> int:
    """What Studio's publish does: the exam, saved to the provider by its backend."""
    name = unique("final")
    return api.create_exam(
        course_id=COURSE_ID,
        content_id=f"block-v1:edX+DemoX+Demo_Course+type@sequential+block@{name}",
        exam_name=f"Final exam {name}",
        time_limit_mins=30,
        is_proctored=True,
        backend="mockprock",
    )


def take_exam(exam_id: int, learner: Any, until_ready: Callable[[int], None]) -> dict[str, Any]:
    """The learner's exam: the attempt registered, the download link followed, then (once
    ``until_ready`` returns: the provider's ``ready`` reached the LMS) started and
    submitted. The attempt as the LMS has it then."""
    attempt_id = api.create_exam_attempt(exam_id, learner.id, taking_as_proctored=True)
    link = api.get_exam_attempt_data(exam_id, attempt_id)["software_download_url"]
    assert requests.get(link, timeout=10).status_code == 200
    until_ready(attempt_id)
    api.start_exam_attempt(exam_id, learner.id)
    api.update_attempt_status(attempt_id, "submitted")
    return api.get_exam_attempt_by_id(attempt_id)


def status(attempt_id: int) -> str:
    return api.get_exam_attempt_by_id(attempt_id)["status"]


def review(attempt: dict[str, Any]) -> Any:
    """The review the LMS recorded (None before the callback)."""
    return ProctoredExamSoftwareSecureReview.get_review_by_attempt_code(attempt["attempt_code"])


def comments(attempt: dict[str, Any]) -> list[tuple[str, int, int]]:
    """The review's comments as the LMS stored them: text, start, stop."""
    rows = ProctoredExamSoftwareSecureComment.objects.filter(review=review(attempt))
    return [(row.comment, row.start_time, row.stop_time) for row in rows]
