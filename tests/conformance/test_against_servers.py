"""The kit against whole servers: a live mockprock (everything passes), a server that
answers constant JSON without checking tokens, and the original mockprock's departures
from the contract."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask, jsonify

from mockprock.cli import main
from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.conformance.conftest import LMS_CLIENT, PROVIDER_CLIENT
from tests.conformance.provider_app import create_provider_app
from tests.helpers import ATTEMPT, EXAM, wait_for
from tests.helpers import LMS_CLIENT as USER_LMS_CLIENT

pytestmark = pytest.mark.live

MOCKPROCK_CLIENT = ("abcd", "abcdsecret")


def test_a_live_mockprock_passes_every_check(start_mockprock, run_kit, tmp_path: Path) -> None:
    # Short-lived tokens, so the expired-token check runs rather than skips.
    server = start_mockprock("--token-lifetime-seconds", "2")
    control = ControlClient(server.url, *MOCKPROCK_CLIENT)
    before = control.settings()
    junit = tmp_path / "conformance.xml"
    run = run_kit(server.url, "--junit-xml", str(junit), client=MOCKPROCK_CLIENT)

    assert run.exit_code == 0, run.output
    assert run.named("FAIL") == [] and run.named("SKIP") == [], run.output
    assert len(run.named("PASS")) >= 20
    assert "control API: yes" in run.output
    assert run.output.rstrip().endswith(f"{len(run.named('PASS'))} passed, 0 failed, 0 skipped")
    # The callbacks really reached the stand-in: the checks that need them passed.
    for name in ("callbacks.ready", "callbacks.reviewed_once", "callbacks.review_retried"):
        assert run.outcome(name) == "PASS"
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == str(len(run.report["results"]))
    assert suite.get("failures") == "0" and suite.get("skipped") == "0"
    # The settings the kit changed to reach the stand-in are put back.
    after = control.settings()
    for name in ("review_delay_seconds", "ready_delay_seconds", "lms_url", "onboarding"):
        assert after[name] == before[name], name
    assert after["lms_client_secret_set"] == before["lms_client_secret_set"]


def test_the_kit_leaves_the_users_settings_and_state_as_it_found_them(
    start_mockprock, start_lms_stub, run_kit, tmp_path: Path
) -> None:
    # The user's server, with its LMS credentials (the secret cannot be read back), an
    # exam and an attempt of the user's client, and a stored settings change.
    lms = start_lms_stub()
    server = start_mockprock(*USER_LMS_CLIENT, "--lms-url", lms.url)
    control = ControlClient(server.url, *MOCKPROCK_CLIENT)
    control.change_settings(review_delay_seconds=7)
    provider = ProviderClient(server.url, *MOCKPROCK_CLIENT)
    exam_id = provider.save_exam(EXAM)
    attempt_id = provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": lms.url})["id"]
    before = (control.settings(), control.attempts(), control.callbacks())

    run = run_kit(server.url, client=MOCKPROCK_CLIENT)
    assert run.exit_code == 0, run.output
    assert run.named("FAIL") == [], run.output
    assert "the kit runs as guest client guest-" in run.output

    assert (control.settings(), control.attempts(), control.callbacks()) == before
    assert provider.get_exam(exam_id)["exam_name"] == EXAM["exam_name"]
    # The LMS secret is the user's still: the user's callback goes with it and arrives.
    LmsStubClient(lms.url).add_attempt(attempt_id)
    control.ready(attempt_id)
    arrived = wait_for(lambda: LmsStubClient(lms.url).callbacks("ready", attempt_id), 30)
    assert arrived[0]["answer_status"] == 200
    # The guest is gone, and everything it made with it: the store holds the user's only.
    with sqlite3.connect(f"file:{tmp_path / 'live.sqlite'}?mode=ro", uri=True) as db:
        owners = {row[0] for row in db.execute("SELECT client_id FROM exams")}
        assert owners == {"abcd"}
        assert db.execute("SELECT count(*) FROM attempts").fetchone()[0] == 1


def kit_output(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["conformance", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_a_server_that_will_not_make_a_guest_is_one_line_and_exit_2(start_mockprock) -> None:
    # Only the operator may route callbacks to the kit's stand-in; abcd is not one.
    server = start_mockprock("--admin", "ops:a-long-operator-secret")
    control = ControlClient(server.url, *MOCKPROCK_CLIENT)
    before = (control.settings(), control.attempts())
    code, output = kit_output("--url", server.url, "--client-id", "abcd")
    assert code == 2
    assert len(output.strip().splitlines()) == 1, output
    assert "Restart it with --admin ID:SECRET and run `mockprock conformance --client-id ID" in (
        output
    )
    assert "Traceback" not in output and "CheckSkipped" not in output
    assert (control.settings(), control.attempts()) == before
    # As the operator, the same server is judged (and left alone).
    code, output = kit_output(
        "--url",
        server.url,
        "--client-id",
        "ops",
        "--client-secret",
        "a-long-operator-secret",
        "--only",
        "callbacks.ready",
    )
    assert code == 0, output
    assert (control.settings(), control.attempts()) == before


def test_no_server_answering_is_one_line_and_exit_2() -> None:
    code, output = kit_output("--url", "http://127.0.0.1:9")
    assert code == 2
    assert output.strip().splitlines() == [
        "mockprock conformance: no server answers at http://127.0.0.1:9 (ConnectionError). "
        "Start one with `mockprock serve` (or `make run`), or give its address with --url "
        "URL or MOCKPROCK_URL=URL."
    ]


def test_wrong_provider_credentials_fail_every_check_that_needs_a_token(
    start_mockprock, run_kit
) -> None:
    server = start_mockprock()
    run = run_kit(server.url, "--only", "config,exams.create", client=("abcd", "not-the-secret"))
    assert run.exit_code == 1
    assert set(run.named("FAIL")) == {"config.fields", "config.localized", "exams.create"}
    assert "from POST /oauth2/access_token (it answered 401)" in run.output


def constant_app() -> Flask:
    """Any method, any path: the same 200 JSON, no token looked at."""
    app = Flask(__name__)
    answer: dict[str, Any] = {
        "access_token": "constant",
        "token_type": "JWT",
        "expires_in": 3600,
        "id": "constant",
        "status": "created",
    }

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PATCH", "DELETE"])
    def everything(path: str) -> Any:
        return jsonify(answer)

    return app


def test_a_server_answering_constant_json_fails_with_named_checks(serve, run_kit) -> None:
    url = serve(constant_app())
    run = run_kit(url, "--only", "token,config,exams,attempts,users,security,dashboard")
    assert run.exit_code == 1
    failed = set(run.named("FAIL"))
    assert len(failed) >= 3
    assert {
        "token.bad_secret",
        "config.fields",
        "exams.get_unknown",
        "attempts.unknown_status_refused",
        "users.retire",
        "security.no_token",
        "security.forged_token",
        "dashboard.forged_refused",
    } <= failed
    for name in failed:
        assert f"FAIL {name}: needs " in run.output


# The original mockprock (before 2.0): tokens decoded without verifying them, any secret
# answered 200 without a token, no DELETE of attempts, no user retirement, and an unknown
# exam answered 200 {}.
ORIGINAL = {
    "original_token",
    "forged_accepted",
    "alg_none_accepted",
    "no_delete",
    "no_retirement",
    "unknown_exam_empty",
}


def test_the_original_mockprocks_departures_are_named(serve, run_kit) -> None:
    url = serve(create_provider_app(PROVIDER_CLIENT, LMS_CLIENT, broken=ORIGINAL))
    run = run_kit(url, "--only", "token,exams,attempts,users,security")
    assert run.exit_code == 1
    assert set(run.named("FAIL")) == {
        "token.bad_secret",
        "exams.get_unknown",
        "attempts.delete",
        "users.retire",
        "security.forged_token",
        "security.alg_none",
    }
    delete = run.by_name()["attempts.delete"]
    assert "remove_exam_attempt" in delete["reason"]
    assert delete["exchanges"][-1]["method"] == "DELETE"
    assert delete["exchanges"][-1]["status"] == 405


def test_as_proctortracks_backend_calls_a_live_mockprock_passes_and_the_differences_are_named(
    start_mockprock, run_kit
) -> None:
    server = start_mockprock("--token-lifetime-seconds", "2")
    run = run_kit(server.url, "--backend", "proctortrack", client=MOCKPROCK_CLIENT)
    assert run.exit_code == 0, run.output
    assert run.named("FAIL") == [] and run.named("SKIP") == [], run.output
    assert "note: calling as the proctortrack backend calls: /oauth2/access_token at " in (
        run.output
    )
    differs = {r["name"]: r["differs"] for r in run.report["results"] if r["differs"]}
    assert differs["token.client_credentials"] == ["POST /edx/oauth2/access_token"]
    # The kit runs as a guest client of mockprock: the link names the guest.
    [dashboard] = differs["dashboard.lms_jwt"]
    assert re.fullmatch(r"GET /launch/edx/instructor/[^/]+/", dashboard), dashboard
    # Those that fetch a token on the record, or open the dashboard; no other check differs.
    assert set(differs) == {
        "token.client_credentials",
        "token.bad_secret",
        "security.expired_token",
        "dashboard.lms_jwt",
        "dashboard.forged_refused",
    }
    assert "[called at the backend's own path: POST /edx/oauth2/access_token]" in run.output


def test_as_proctortracks_backend_calls_a_server_without_its_paths_fails_at_the_token(
    serve, run_kit
) -> None:
    """A provider serving only the base class's paths: the kit, as Proctortrack's backend,
    fails where the real backend fails (its first call, the token) and names the path."""
    url = serve(create_provider_app(PROVIDER_CLIENT, LMS_CLIENT))
    run = run_kit(url, "--backend", "proctortrack", "--only", "token,dashboard,config")
    assert run.exit_code == 1
    failed = run.by_name()["token.client_credentials"]
    assert failed["outcome"] == "FAIL"
    assert failed["differs"] == ["POST /edx/oauth2/access_token"]
    assert failed["exchanges"][-1]["status"] == 404
    # Without a token nothing else the LMS calls can work.
    assert run.outcome("config.fields") == "FAIL"


def test_an_unknown_backend_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["conformance", "--backend", "rpnow", "--only", "token"])
    assert result.exit_code == 2
    assert "one of mockprock, proctortrack" in result.output
