"""The manual clock end to end: a real server started with ``--clock manual`` calling the
LMS stand-in back over loopback, moved through the control client and the CLI. An
advance answers once what fell due was tried, so no test waits on a delay."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.helpers import (
    ATTEMPT,
    EXAM,
    LMS_CLIENT,
    ServerProcess,
    app_on,
    basic,
    get_token,
    mockprock_argv,
    wait_for,
)
from tests.spec import check_response

pytestmark = pytest.mark.live


class Flow:
    """The LMS's side of a flow against a server on a manual clock."""

    def __init__(self, server_url: str, lms_url: str) -> None:
        self.provider = ProviderClient(server_url, "abcd", "abcdsecret")
        self.control = ControlClient(server_url, "abcd", "abcdsecret")
        self.lms = LmsStubClient(lms_url)
        self.lms_url = lms_url
        self.exam_id = self.provider.save_exam(EXAM)

    def submitted_attempt(self) -> str:
        attempt_id = self.provider.register_attempt(
            self.exam_id, {**ATTEMPT, "lms_host": self.lms_url}
        )["id"]
        self.lms.add_attempt(attempt_id)
        for status in ("started", "submitted"):
            self.lms.set_status(attempt_id, status)
            self.provider.set_attempt_status(self.exam_id, attempt_id, status)
        return attempt_id

    def review(self, attempt_id: str) -> dict:
        (row,) = self.control.callbacks(attempt=attempt_id, kind="reviewed")
        return row


@pytest.fixture
def flow(start_mockprock, start_lms_stub):
    """A server on a manual clock (a 60 s review delay, a 5 s first retry) and its LMS."""

    def start(*args: str) -> Flow:
        stub = start_lms_stub()
        server = start_mockprock(
            *LMS_CLIENT,
            "-l",
            stub.url,
            "--clock",
            "manual",
            "--review-delay",
            "60",
            "--callback-backoff-seconds",
            "5",
            *args,
        )
        return Flow(server.url, stub.url)

    return start


def test_a_60s_review_delay_is_delivered_only_after_advancing_60s(flow) -> None:
    f = flow()
    assert f.control.clock()["mode"] == "manual"
    attempt_id = f.submitted_attempt()
    submitted = f.control.clock()["now"]
    assert f.review(attempt_id)["due_at"] == submitted + 60

    early = f.control.advance_clock(59)
    assert early["now"] == submitted + 59
    assert (early["callbacks"]["due"], early["callbacks"]["attempted"]) == (0, 0)
    assert early["callbacks"]["next_due_at"] == submitted + 60
    assert f.lms.callbacks("reviewed", attempt_id) == []

    due = f.control.advance_clock(1)["callbacks"]
    assert (due["due"], due["attempted"], due["delivered"], due["pending"]) == (1, 1, 1, 0)
    # Delivered before the advance answered: the LMS has it now, no waiting.
    (reviewed,) = f.lms.callbacks("reviewed", attempt_id)
    assert (reviewed["json"]["status"], reviewed["answer_status"]) == ("passed", 200)
    assert f.lms.attempt(attempt_id)["status"] == "verified"
    assert f.review(attempt_id)["delivered_at"] == submitted + 60


def test_a_retry_schedule_follows_the_clock(flow) -> None:
    f = flow("--review-delay", "0")
    f.lms.set_fault(503, times=1)
    attempt_id = f.submitted_attempt()
    start = f.control.clock()["now"]
    # Due at once: the dispatcher tries it without any advance, and the LMS says 503.
    wait_for(lambda: f.review(attempt_id)["tries"] == 1, what="the first try")
    first = f.review(attempt_id)
    assert (first["state"], first["last_status"], first["due_at"]) == ("pending", 503, start + 5)

    waiting = f.control.advance_clock(4)["callbacks"]
    assert (waiting["attempted"], waiting["pending"]) == (0, 1)
    assert waiting["next_due_at"] == start + 5
    assert len(f.lms.callbacks("reviewed", attempt_id)) == 1  # not tried again meanwhile

    retried = f.control.advance_clock(1)["callbacks"]
    assert (retried["attempted"], retried["delivered"], retried["pending"]) == (1, 1, 0)
    answers = [c["answer_status"] for c in f.lms.callbacks("reviewed", attempt_id)]
    assert answers == [503, 200]
    assert f.review(attempt_id)["tries"] == 2


def test_the_cli_shows_and_advances_the_clock(flow) -> None:
    f = flow()
    attempt_id = f.submitted_attempt()
    url = f.control.base_url
    shown = CliRunner().invoke(main, ["clock", "--url", url], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"manual clock: {f.control.clock()['now_iso']}")

    moved = CliRunner().invoke(main, ["clock", "advance", "60", "--url", url])
    assert moved.exit_code == 0, moved.output
    assert "clock advanced 60 s" in moved.output
    assert "callbacks due 1: 1 tried, 1 delivered; 0 pending" in moved.output
    assert f.lms.attempt(attempt_id)["status"] == "verified"

    usage = CliRunner().invoke(main, ["clock", "advance", "--url", url])
    assert usage.exit_code == 2
    assert "mockprock clock advance SECONDS" in usage.output


def test_mockprock_serve_and_the_module_take_the_clock_flag(start_mockprock, tmp_path) -> None:
    module = start_mockprock("--clock", "manual")  # python -m mockprock.server
    assert "The clock is manual" in module.output()
    assert ControlClient(module.url, "abcd", "abcdsecret").clock()["mode"] == "manual"
    serve = ServerProcess(
        [sys.executable, "-m", "mockprock.cli", "serve", *mockprock_argv(tmp_path / "s.db")[3:]],
        env={"MOCKPROCK_CLOCK": "manual"},
    ).start()
    try:
        assert ControlClient(serve.url, "abcd", "abcdsecret").clock()["mode"] == "manual"
    finally:
        serve.stop()
    refused = CliRunner().invoke(main, ["serve", "--clock", "sundial"])
    assert refused.exit_code == 2
    assert "'sundial' is not one of 'system', 'manual'" in refused.output


def test_the_cli_says_a_system_clock_does_not_move(start_mockprock) -> None:
    server = start_mockprock()
    assert "The clock is manual" not in server.output()
    result = CliRunner().invoke(main, ["clock", "advance", "5", "--url", server.url])
    assert result.exit_code == 1
    assert "the server answered 409" in result.output
    assert "--clock manual" in result.output
    shown = CliRunner().invoke(main, ["clock", "--url", server.url])
    assert shown.output.startswith("system clock: ")


def test_an_app_without_its_dispatcher_sends_in_the_advancing_thread(
    start_lms_stub, tmp_path: Path
) -> None:
    """Under a test client no dispatcher thread runs: the advance itself delivers."""
    stub = start_lms_stub()
    lms = LmsStubClient(stub.url)
    with app_on(
        tmp_path,
        clock="manual",
        lms_url=stub.url,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        review_delay_seconds=60,
    ) as app:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
        attempt_id = client.post(
            f"/api/v1/exam/{exam_id}/attempt/", json={**ATTEMPT, "lms_host": stub.url}, headers=auth
        ).get_json()["id"]
        lms.add_attempt(attempt_id, status="submitted")
        path = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
        client.patch(path, json={"status": "submitted"}, headers=auth)
        answer = client.post(
            "/mockprock/api/clock", json={"advance_seconds": 60}, headers=basic()
        ).get_json()
        assert answer["callbacks"]["delivered"] == 1
        assert lms.attempt(attempt_id)["status"] == "verified"


def test_the_clock_answers_are_those_the_document_describes(flow, start_mockprock) -> None:
    f = flow("--review-delay", "30")
    f.submitted_attempt()
    control = f.control
    check_response(control.request("GET", "/clock"))
    check_response(control.request("POST", "/clock", json={"advance_seconds": 10}))
    moved = check_response(control.request("POST", "/clock", json={"advance_seconds": 20}))
    assert moved["description"].startswith("The new time")
    refused = control.request("POST", "/clock", json={"advance_seconds": -1})
    assert refused.status_code == 400
    check_response(refused)
    system = ControlClient(start_mockprock().url, "abcd", "abcdsecret")
    not_manual = system.request("POST", "/clock", json={"advance_seconds": 1})
    assert not_manual.status_code == 409
    check_response(not_manual)
    check_response(system.request("GET", "/clock"))
