"""``mockprock demo``: the whole proctoring flow, without an LMS.

It starts a real provider server and the LMS stand-in (:mod:`mockprock.lms_stub`) on
free loopback ports, with zero delays, and plays the LMS's part the way edx-proctoring
does: configuration, exam, onboarding exam and its review, proctored attempt, download
page, ready, start, submit, review; then one forced ``violation`` and one learner the
onboarding gate refuses. Each step is printed with its time; the first that fails
stops the demo with a non-zero exit.

With ``keep`` (``mockprock demo --keep``, ``make try``) both servers stay up afterwards,
with a few more learners in other states, so the console and the instructor dashboard
have something to show, until Ctrl-C.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from mockprock import statuses as st
from mockprock.client import ControlClient, ProviderClient
from mockprock.conformance import shapes
from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url
from mockprock.lms_stub import LmsStubClient
from mockprock.processes import (
    ServerProcess,
    ServerStartError,
    mockprock_argv,
    wait_for,
    wait_until_stopped,
)

PROVIDER_CLIENT = ("abcd", "abcdsecret")
LMS_CLIENT = ("demo-lms-client", "demo-lms-secret")
COURSE_ID = "course-v1:MockProck+Demo+2025"
# The LMS's exam body is the conformance kit's (one sample, as edx-proctoring sends it).
FINAL_EXAM = shapes.exam(
    1,
    "Final Exam",
    course_id=COURSE_ID,
    content_id="block-v1:MockProck+Demo+2025+type@sequential+block@final",
    time_limit_mins=60,
)
ONBOARDING_EXAM = {
    **FINAL_EXAM,
    "id": 2,
    "content_id": "block-v1:MockProck+Demo+2025+type@sequential+block@onboarding",
    "exam_name": "Onboarding",
    "time_limit_mins": 10,
    "is_practice_exam": True,
}
WAIT_SECONDS = 15.0


class DemoFailed(Exception):
    """A step did not do what the LMS expects."""


class Demo:
    """The steps, timed and printed."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.started = time.monotonic()
        self.count = 0

    def step(self, name: str, action: Callable[[], str]) -> None:
        try:
            detail = action()
        except (DemoFailed, requests.RequestException, KeyError, ValueError) as exc:
            self.echo(f"{time.monotonic() - self.started:7.2f}s  FAIL {name}: {exc}")
            raise DemoFailed(name) from exc
        self.count += 1
        self.echo(f"{time.monotonic() - self.started:7.2f}s  ok   {name:<22} {detail}")

    @staticmethod
    def wait(condition: Callable[[], Any], what: str) -> Any:
        try:
            return wait_for(condition, timeout=WAIT_SECONDS, what=what)
        except TimeoutError as exc:
            raise DemoFailed(str(exc)) from None


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailed(message)


def learner(name: str, email: str | None = None) -> dict[str, Any]:
    return {
        "lms_host": "",  # set once the stand-in's URL is known
        "time_limit_mins": 60,
        "is_sample_attempt": False,
        "user_id": f"demo-{name.lower()}",
        "full_name": f"{name} Learner",
        "email": email or f"{name.lower()}@example.com",
        "status": st.CREATED,
    }


def run_demo(echo: Callable[[str], None] = print, keep: bool = False, port: int = 0) -> int:
    """Run the whole flow; 0 when every step did what the LMS expects, else 1. With
    ``keep``, serve on afterwards (on ``port``; 0 picks a free one) until stopped."""
    with tempfile.TemporaryDirectory(prefix="mockprock-demo-") as workdir:
        lms_process = ServerProcess(
            [
                sys.executable,
                "-m",
                "mockprock.lms_stub",
                "--client-id",
                LMS_CLIENT[0],
                "--client-secret",
                LMS_CLIENT[1],
            ]
        )
        server_process: ServerProcess | None = None
        try:
            lms_url = lms_process.start().url
            server_process = ServerProcess(
                mockprock_argv(
                    Path(workdir) / "demo.sqlite",
                    *LMS_CLIENT,
                    "--lms-url",
                    lms_url,
                    "--review-delay",
                    "0",
                    "--ready-delay",
                    "0",
                    "--upload-delay",
                    "0",
                    "--onboarding",
                    "optional",
                    "--review-status",
                    st.PASSED,
                    "--client",
                    ":".join(PROVIDER_CLIENT),
                    "--port",  # the last --port given wins
                    str(port),
                )
            )
            server_url = server_process.start().url
            echo(f"mockprock demo: provider {server_url}, LMS stand-in {lms_url}")
            ids = _walk(Demo(echo), server_url, lms_url)
            if keep:
                _more_learners(server_url, lms_url, ids)
                _show_what_to_open(echo, server_url, ids)
                wait_until_stopped(server_process.proc)
        except (DemoFailed, ServerStartError) as exc:
            for process, name in ((server_process, "provider"), (lms_process, "LMS stand-in")):
                if process is not None and process.lines:
                    echo(f"--- {name} output (last lines) ---")
                    echo("".join(process.lines[-25:]).rstrip())
            echo(f"demo failed: {exc}")
            return 1
        finally:
            if server_process is not None:
                server_process.stop()
            lms_process.stop()
    return 0


def _walk(demo: Demo, server_url: str, lms_url: str) -> dict[str, str]:
    """The steps; the provider's ids of the exams and attempts they made."""
    provider = ProviderClient(server_url, *PROVIDER_CLIENT)
    control = ControlClient(server_url, *PROVIDER_CLIENT)
    lms = LmsStubClient(lms_url)
    ids: dict[str, str] = {}

    def register(exam_key: str, person: dict[str, Any], sample: bool = False) -> dict:
        attempt = {**person, "lms_host": lms_url, "is_sample_attempt": sample}
        answer = provider.register_attempt(ids[exam_key], attempt)
        if "id" in answer:
            # The LMS keeps its own row for the attempt, keyed by the provider's id.
            lms.add_attempt(answer["id"], is_sample_attempt=sample)
        return answer

    def take(exam_key: str, attempt_id: str) -> None:
        """Start then submit, the LMS's side first (it calls the provider on change)."""
        for status in (st.STARTED, st.SUBMITTED):
            lms.set_status(attempt_id, status)
            provider.set_attempt_status(ids[exam_key], attempt_id, status)

    def review_of(attempt_id: str) -> dict[str, Any]:
        """The LMS's attempt once a review has reached it."""

        def reviewed() -> dict[str, Any] | None:
            attempt = lms.attempt(attempt_id)
            return attempt if attempt["reviews"] else None

        return demo.wait(reviewed, "review")

    ada, bob, carol = learner("Ada"), learner("Bob"), learner("Carol")

    def config() -> str:
        answer = provider.config()
        expect(answer["name"] == "MockProck", f"unexpected provider name {answer['name']!r}")
        return (
            f"{answer['name']}, {len(answer['rules'])} rules, download at {answer['download_url']}"
        )

    def exam() -> str:
        ids["final"] = provider.save_exam(FINAL_EXAM)
        expect(provider.save_exam(FINAL_EXAM) == ids["final"], "saving again changed the id")
        return f"'{FINAL_EXAM['exam_name']}' saved (create, then re-save): {ids['final']}"

    def onboarding_exam() -> str:
        ids["onboarding"] = provider.save_exam(ONBOARDING_EXAM)
        return f"practice exam '{ONBOARDING_EXAM['exam_name']}': {ids['onboarding']}"

    def onboarding_review() -> str:
        answer = register("onboarding", ada, sample=True)
        expect(answer.get("status") == st.CREATED, f"onboarding attempt refused: {answer}")
        take("onboarding", answer["id"])
        attempt = review_of(answer["id"])
        verdict = attempt["reviews"][-1]["status"]
        expect(attempt["status"] == st.VERIFIED, f"onboarding attempt is {attempt['status']}")

        def profile() -> str | None:
            status = provider.onboarding_statuses(COURSE_ID, user_id=ada["user_id"])["status"]
            return status if status == st.ONBOARDING_APPROVED_IN_COURSE else None

        status = demo.wait(profile, "approved onboarding profile")
        return f"Ada's onboarding: {verdict} -> LMS 'verified'; profile {status}"

    def proctored_attempt() -> str:
        answer = register("final", ada)
        expect(answer.get("status") == st.CREATED, f"registration answered {answer}")
        ids["attempt"] = answer["id"]
        return f"Ada registered: {answer['id']}"

    def download_page() -> str:
        url = provider.get_attempt(ids["final"], ids["attempt"])["download_url"]
        lms.set_status(ids["attempt"], st.DOWNLOAD_SOFTWARE_CLICKED)
        response = requests.get(url, timeout=10)
        expect(response.status_code == 200, f"download page answered {response.status_code}")
        return f"GET {url.split('?')[0]} -> 200"

    def ready() -> str:
        demo.wait(
            lambda: lms.attempt(ids["attempt"])["status"] == st.READY_TO_START, "ready callback"
        )
        return "ready callback -> LMS 'ready_to_start'"

    def start() -> str:
        lms.set_status(ids["attempt"], st.STARTED)
        answer = provider.set_attempt_status(ids["final"], ids["attempt"], st.STARTED)
        return f"PATCH started -> {answer['status']}"

    def submit() -> str:
        lms.set_status(ids["attempt"], st.SUBMITTED)
        answer = provider.set_attempt_status(ids["final"], ids["attempt"], st.SUBMITTED)
        return f"PATCH submitted -> {answer['status']}"

    def reviewed_as(attempt_id: str, verdict: str, lms_status: str) -> None:
        """Wait for the review to reach the LMS; check its verdict and the LMS's status."""
        attempt = review_of(attempt_id)
        got = attempt["reviews"][-1]["status"]
        expect(got == verdict, f"verdict {got}")
        expect(attempt["status"] == lms_status, f"LMS attempt is {attempt['status']}")

    def review() -> str:
        reviewed_as(ids["attempt"], st.PASSED, st.VERIFIED)
        return "reviewed callback: passed -> LMS 'verified'"

    def forced_violation() -> str:
        answer = register("final", bob)
        control.review(answer["id"], st.VIOLATION, comments=["A second person was in view"])
        take("final", answer["id"])
        reviewed_as(answer["id"], st.VIOLATION, st.SECOND_REVIEW_REQUIRED)
        return "Bob, verdict queued: violation -> LMS 'second_review_required'"

    def onboarding_gate() -> str:
        control.change_settings(onboarding="required")
        refused = register("final", carol)
        expect("id" not in refused, f"Carol was admitted: {refused}")
        expect(refused["status"] == st.ONBOARDING_MISSING, f"Carol got {refused['status']}")
        admitted = register("final", ada)
        expect(admitted.get("status") == st.CREATED, f"Ada was refused: {admitted}")
        return f"gate required: Carol {refused['status']}; Ada (onboarded) admitted"

    for name, action in (
        ("config", config),
        ("exam", exam),
        ("onboarding exam", onboarding_exam),
        ("onboarding review", onboarding_review),
        ("proctored attempt", proctored_attempt),
        ("download page", download_page),
        (st.READY, ready),
        ("start", start),
        ("submit", submit),
        ("review", review),
        ("forced violation", forced_violation),
        ("onboarding gate", onboarding_gate),
    ):
        demo.step(name, action)
    demo.echo(f"demo passed: {demo.count} steps in {time.monotonic() - demo.started:.2f}s")
    return ids


def _more_learners(server_url: str, lms_url: str, ids: dict[str, str]) -> None:
    """Attempts in the states the demo leaves out: one in progress, one just registered;
    and the gate open again, so that any learner may start."""
    provider = ProviderClient(server_url, *PROVIDER_CLIENT)
    control = ControlClient(server_url, *PROVIDER_CLIENT)
    lms = LmsStubClient(lms_url)
    control.change_settings(onboarding="optional")
    for person, status in ((learner("Dan"), "started"), (learner("Eve"), None)):
        attempt_id = provider.register_attempt(ids["final"], {**person, "lms_host": lms_url})["id"]
        lms.add_attempt(attempt_id)
        if status:
            lms.set_status(attempt_id, status)
            provider.set_attempt_status(ids["final"], attempt_id, status)


def _show_what_to_open(echo: Callable[[str], None], server_url: str, ids: dict[str, str]) -> None:
    claims = dashboard_claims(PROVIDER_CLIENT[0], COURSE_ID, DEFAULT_INSTRUCTOR, ids["final"])
    link = dashboard_url(server_url, *PROVIDER_CLIENT, claims)
    # The console page, where this version of the server has one.
    console = requests.get(f"{server_url}/mockprock/", timeout=10).status_code == 200
    echo(
        "\nThe server keeps running with the demo's exams and learners (Ctrl-C stops it and\n"
        "forgets them). Open:\n"
        + (f"  console:      {server_url}/mockprock/\n" if console else "")
        + f"  dashboard:    {link}\n"
        f"  attempts:     mockprock status --url {server_url}\n"
        f"  control API:  curl -u {':'.join(PROVIDER_CLIENT)} {server_url}/mockprock/api/attempts\n"
        f"mockprock listening on {server_url} with sample data"
    )
