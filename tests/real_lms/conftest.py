"""A real LMS for mockprock to call back: the real ``edx_proctoring`` app, its URLs, models
and JWT-authenticated callback views, served over HTTP from a thread of the test process.

The session starts one LMS (migrated SQLite database, the LMS services edx-proctoring
needs, one OAuth application for the provider). Each test starts its own mockprock server
with that application's credentials and points the LMS's backend at it, then drives the
flow through edx_proctoring's Python API, as the LMS's views do.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Without the LMS side installed these tests cannot run: say so instead of an ImportError.
# CI installs the 'edx' extra, so there a missing package fails the run, never skips it.
if os.environ.get("CI"):
    import edx_proctoring  # noqa: F401
pytest.importorskip(
    "edx_proctoring",
    reason="needs the real edx-proctoring: install the 'edx' extra (pip install -e '.[edx]')",
)
import requests

from tests.helpers import ServerProcess, wait_for
from tests.lms_django import configure_lms, load_backend

configure_lms()

# The import order matters: Django is configured above.
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from edx_proctoring import api  # noqa: E402
from edx_proctoring.models import (  # noqa: E402
    ProctoredExamSoftwareSecureComment,
    ProctoredExamSoftwareSecureReview,
)
from werkzeug.serving import make_server  # noqa: E402

from mockprock.client import ControlClient  # noqa: E402
from mockprock.dashboard_link import BACKENDS  # noqa: E402
from tests.real_lms.oauth import register_application, tokens_issued  # noqa: E402
from tests.real_lms.services import install_services  # noqa: E402

# The OAuth application the developer creates in the LMS's admin for mockprock.
LMS_CLIENT = ("mockprock-lms-client", "mockprock-lms-client-secret")
# edx_proctoring.rules: a reviewer is in "<backend>_review"; the provider's application
# reviews under mockprock's backend and under each vendor's.
REVIEWER_GROUPS = tuple(f"{backend}_review" for backend in BACKENDS)
COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
FAST = ("--review-delay", "0", "--ready-delay", "0", "--callback-backoff-seconds", "0.2")

_numbers = itertools.count(1)


@dataclass
class RealLms:
    url: str
    services: dict[str, Any]

    def application(
        self,
        username: str,
        staff: bool = False,
        reviewer: bool = False,
        client: tuple[str, str] | None = None,
    ) -> tuple[str, str]:
        """An OAuth application bound to a new LMS user; its (client id, secret)."""
        user = get_user_model().objects.create(
            username=username, email=f"{username}@lms.example", is_staff=staff
        )
        if reviewer:
            for group in REVIEWER_GROUPS:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
        client = client or (f"{username}-client", f"{username}-secret")
        register_application(*client, username=username)
        return client


class LmsServer:
    """Django's WSGI handler under Werkzeug on a free loopback port, in a thread."""

    def __init__(self) -> None:
        self.server = make_server("127.0.0.1", 0, WSGIHandler(), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LmsServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def real_lms() -> Iterator[RealLms]:
    call_command("migrate", verbosity=0)
    services = install_services()
    server = LmsServer()
    # edx_proctoring tells the provider to call back at http://SITE_NAME (lms_host).
    host = server.url.removeprefix("http://")
    site = override_settings(SITE_NAME=host, LMS_ROOT_URL=server.url)
    site.enable()
    server.start()
    lms = RealLms(server.url, services)
    # The provider's application belongs to a reviewer, neither staff nor superuser.
    lms.application("mockprock_service", reviewer=True, client=LMS_CLIENT)
    try:
        yield lms
    finally:
        server.stop()
        site.disable()


@dataclass
class Flow:
    """One mockprock server wired to the real LMS, and the LMS's side of an exam."""

    lms: RealLms
    server: ServerProcess
    control: ControlClient
    client_id: str = LMS_CLIENT[0]
    course_id: str = COURSE_ID
    backend: str = "mockprock"  # the LMS backend, by its name in PROCTORING_BACKENDS
    # Earlier tests' servers used the same application.
    tokens_before: int = 0

    def learner(self, email: str | None = None) -> Any:
        number = next(_numbers)
        username = f"learner{number}"
        return get_user_model().objects.create(
            username=username,
            email=email or f"{username}@example.com",
            first_name="Ada",
            last_name=f"Learner {number}",
        )

    def exam(self, practice: bool = False) -> dict[str, Any]:
        """An exam created as Studio's publish creates it; saving it saves it to mockprock."""
        number = next(_numbers)
        exam_id = api.create_exam(
            course_id=self.course_id,
            content_id=f"block-v1:edX+DemoX+Demo_Course+type@sequential+block@exam{number}",
            exam_name=f"{'Onboarding' if practice else 'Final'} exam {number}",
            time_limit_mins=30,
            is_proctored=True,
            is_practice_exam=practice,
            backend=self.backend,
        )
        return api.get_exam_by_id(exam_id)

    def register(self, exam: dict[str, Any], learner: Any) -> dict[str, Any]:
        """The learner chooses to take the exam proctored: the LMS registers the attempt."""
        attempt_id = api.create_exam_attempt(exam["id"], learner.id, taking_as_proctored=True)
        return api.get_exam_attempt_by_id(attempt_id)

    def open_download_page(self, attempt: dict[str, Any]) -> None:
        """The learner follows the software download link the LMS's exam page shows."""
        data = api.get_exam_attempt_data(attempt["proctored_exam"]["id"], attempt["id"])
        answer = requests.get(data["software_download_url"], timeout=10)
        assert answer.status_code == 200, answer.text

    def status(self, attempt: dict[str, Any]) -> str:
        return api.get_exam_attempt_by_id(attempt["id"])["status"]

    def wait_status(self, attempt: dict[str, Any], status: str) -> dict[str, Any]:
        wait_for(
            lambda: self.status(attempt) == status,
            what=f"attempt {attempt['id']} {status} (is {self.status(attempt)}); "
            f"mockprock: {self.callbacks(attempt)}",
        )
        return api.get_exam_attempt_by_id(attempt["id"])

    def start(self, attempt: dict[str, Any]) -> None:
        api.start_exam_attempt(attempt["proctored_exam"]["id"], attempt["user"]["id"])

    def submit(self, attempt: dict[str, Any]) -> None:
        """What the LMS's attempt view does on the learner's "submit"."""
        api.update_attempt_status(attempt["id"], "submitted")

    def take(self, attempt: dict[str, Any]) -> None:
        """Download page, ``ready``, start, submit: the learner's whole exam."""
        self.open_download_page(attempt)
        self.wait_status(attempt, "ready_to_start")
        self.start(attempt)
        self.submit(attempt)

    def review(self, attempt: dict[str, Any]) -> Any:
        """The review the LMS recorded for the attempt (None before the callback)."""
        return ProctoredExamSoftwareSecureReview.get_review_by_attempt_code(attempt["attempt_code"])

    def comments(self, attempt: dict[str, Any]) -> list[Any]:
        review = self.review(attempt)
        return list(ProctoredExamSoftwareSecureComment.objects.filter(review=review))

    def callbacks(self, attempt: dict[str, Any], kind: str | None = None) -> list[dict]:
        """mockprock's outbox rows for the attempt, with the LMS's answers."""
        rows = self.control.attempt(attempt["external_id"])["callbacks"]
        return [row for row in rows if kind is None or row["kind"] == kind]

    def delivered(self, attempt: dict[str, Any], kind: str) -> dict[str, Any]:
        """mockprock's ``kind`` callback for the attempt, once the LMS took it."""
        # The LMS acts on the callback before mockprock reads its answer: wait for the row.
        wait_for(
            lambda: [r["state"] for r in self.callbacks(attempt, kind)] != ["sending"],
            what=f"mockprock to read the LMS's answer to {kind}",
        )
        rows = self.callbacks(attempt, kind)
        assert len(rows) == 1, rows
        assert rows[0]["state"] == "delivered", rows[0]
        return rows[0]

    def tokens_issued(self) -> int:
        """Tokens the LMS issued to this flow's application since the flow began."""
        return tokens_issued(self.client_id) - self.tokens_before


@pytest.fixture(params=BACKENDS)
def lms_backend(request: pytest.FixtureRequest) -> str:
    """The LMS backend calling mockprock: its own, then each vendor's real one from PyPI
    (Proctortrack's), configured only with ``client_id``, ``client_secret``, ``base_url``."""
    return request.param


@pytest.fixture
def connect(
    real_lms: RealLms, lms_backend: str, start_mockprock: Callable[..., ServerProcess]
) -> Iterator[Callable[..., Flow]]:
    """``connect(*server_args, client=LMS_CLIENT)``: a mockprock server calling the real LMS
    back with ``client``'s credentials, and the LMS's backend (``lms_backend``) pointed at
    it."""

    def connect_(*server_args: str, client: tuple[str, str] = LMS_CLIENT) -> Flow:
        server = start_mockprock(*client, "-l", real_lms.url, *FAST, *server_args)
        load_backend(lms_backend, base_url=server.url, client_id="abcd", client_secret="abcdsecret")
        control = ControlClient(server.url, "abcd", "abcdsecret")
        return Flow(
            real_lms,
            server,
            control,
            client_id=client[0],
            tokens_before=tokens_issued(client[0]),
            backend=lms_backend,
        )

    yield connect_
    load_backend()  # no test's server stays configured


@pytest.fixture
def flow(connect: Callable[..., Flow]) -> Flow:
    return connect()
