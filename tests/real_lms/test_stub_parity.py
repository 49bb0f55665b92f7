"""The LMS stand-in (``mockprock.lms_stub``) answers the callbacks as the real LMS does.

The same requests go to the real edx-proctoring views and to the stand-in, for an attempt
both know and for one neither knows; status and JSON body must match. The real LMS runs
with ``DEBUG = False``, so its 500s are Django's HTML error page: there only the status is
compared (the stand-in says in JSON what broke).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from mockprock.lms_stub import CALLBACK_PREFIX, LmsStubClient
from tests.helpers import LMS_CLIENT as STUB_CLIENT
from tests.helpers import ServerProcess
from tests.real_lms.conftest import Flow
from tests.real_lms.oauth import create_jwt

# (callback, attempt known?, token, body)
CASES = {
    "no token": ("ready", True, "none", {"status": "ready"}),
    "token not a JWT": ("ready", True, "garbage", {"status": "ready"}),
    "token no longer valid": ("reviewed", True, "stale", {"status": "passed"}),
    "valid token, Bearer scheme": ("ready", True, "bearer", {"status": "ready"}),
    "ready, unknown attempt": ("ready", False, "valid", {"status": "ready"}),
    "reviewed, unknown attempt": ("reviewed", False, "valid", {"status": "passed"}),
    "reviewed, verdict outside the four": ("reviewed", True, "valid", {"status": "great"}),
    "reviewed, no verdict": ("reviewed", True, "valid", {"comments": []}),
    "reviewed, comment without text": (
        "reviewed",
        True,
        "valid",
        {"status": "passed", "comments": [{"status": "passed"}]},
    ),
    "ready": ("ready", True, "valid", {"status": "ready"}),
}


class Lms:
    """One of the two LMSs, with the tokens the cases use."""

    def __init__(self, url: str, valid: str, stale: str) -> None:
        self.url = url
        self.tokens = {"valid": valid, "stale": stale, "garbage": "not-a-token"}

    def send(self, kind: str, attempt_id: str, token: str, body: Any) -> tuple[int, Any]:
        headers = {}
        if token == "bearer":
            headers["Authorization"] = f"Bearer {self.tokens['valid']}"
        elif token != "none":
            headers["Authorization"] = f"JWT {self.tokens[token]}"
        answer = requests.post(
            f"{self.url}{CALLBACK_PREFIX}/{attempt_id}/{kind}",
            json=body,
            headers=headers,
            timeout=10,
        )
        is_json = answer.headers.get("Content-Type", "").startswith("application/json")
        return answer.status_code, answer.json() if is_json else None


def stub_token(url: str) -> str:
    answer = requests.post(
        f"{url}/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": STUB_CLIENT[0],
            "client_secret": STUB_CLIENT[1],
            "token_type": "jwt",
        },
        timeout=10,
    )
    return answer.json()["access_token"]


@pytest.fixture
def both(flow: Flow, start_lms_stub: Callable[..., ServerProcess]) -> tuple[Lms, Lms, str]:
    """The real LMS and the stand-in, both knowing one created attempt; its id."""
    attempt = flow.register(flow.exam(), flow.learner())
    attempt_id = attempt["external_id"]
    service = get_user_model().objects.get(username="mockprock_service")
    # A JWT whose time is up: what a cached token becomes on the real LMS.
    real = Lms(flow.lms.url, create_jwt(service), create_jwt(service, now=time.time() - 7200))

    stub_url = start_lms_stub().url
    stub_lms = LmsStubClient(stub_url)
    stub_lms.add_attempt(attempt_id)
    stale = stub_token(stub_url)
    stub_lms.revoke_tokens()  # the stand-in's way to make a token stale
    stub = Lms(stub_url, stub_token(stub_url), stale)
    return real, stub, attempt_id


def test_the_stand_in_answers_every_case_as_the_real_lms(both: tuple[Lms, Lms, str]) -> None:
    real, stub, attempt_id = both
    differences = []
    for case, (kind, known, token, body) in CASES.items():
        target = attempt_id if known else "0123456789abcdef"
        real_answer = real.send(kind, target, token, body)
        stub_answer = stub.send(kind, target, token, body)
        if real_answer[0] >= 500:
            stub_answer = (stub_answer[0], None)  # the real body is an HTML error page
        if real_answer != stub_answer:
            differences.append(f"{case}: real {real_answer}, stand-in {stub_answer}")
    assert not differences, "\n".join(differences)
    # The refusals and errors above changed nothing on either side; 'ready' moved both.
    assert LmsStubClient(stub.url).attempt(attempt_id)["status"] == "ready_to_start"
