"""`mockprock review`, `onboarding` and `status` drive a running server's control API."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.client import ControlClient, ProviderClient
from tests.helpers import ATTEMPT, EXAM


@pytest.fixture
def live(start_mockprock):
    server = start_mockprock()
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    attempt_id = provider.register_attempt(exam_id, ATTEMPT)["id"]
    return server, attempt_id


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.live
def test_review_queues_a_verdict(live) -> None:
    server, attempt_id = live
    result = cli(
        "review", attempt_id, "violation", "--comment", "Phone", "--delay", "2", "--url", server.url
    )
    assert result.exit_code == 0, result.output
    assert f"verdict violation queued for attempt {attempt_id}" in result.output
    assert "at submission" in result.output
    decision = ControlClient(server.url, "abcd", "abcdsecret").attempt(attempt_id)["decision"]
    assert (decision["status"], decision["delay_seconds"]) == ("violation", 2.0)
    assert decision["comments"][0]["comment"] == "Phone"


@pytest.mark.live
def test_review_of_an_unknown_attempt_says_so(live) -> None:
    server, _ = live
    result = cli("review", "no-such-attempt", "passed", "--url", server.url)
    assert result.exit_code == 1
    assert "no attempt has an id starting with 'no-such-attempt'" in result.output


@pytest.mark.live
def test_review_refuses_an_unknown_verdict_before_calling(live) -> None:
    server, attempt_id = live
    result = cli("review", attempt_id, "great", "--url", server.url)
    assert result.exit_code == 2
    assert "great" in result.output


@pytest.mark.live
def test_wrong_client_credentials_are_refused(live) -> None:
    server, _ = live
    result = cli("status", "--url", server.url, "--client-secret", "wrong")
    assert result.exit_code == 1
    assert "401" in result.output


@pytest.mark.live
def test_onboarding_sets_the_profile_the_lms_reads(live) -> None:
    server, _ = live
    user = ATTEMPT["user_id"]
    result = cli("onboarding", user, "approved", "-c", EXAM["course_id"], "--url", server.url)
    assert result.exit_code == 0, result.output
    assert (
        f"onboarding profile of {user}: approved-in-course in {EXAM['course_id']} (until "
        in result.output
    )
    seen = ProviderClient(server.url, "abcd", "abcdsecret").onboarding_statuses(
        EXAM["course_id"], user_id=user
    )
    assert seen["status"] == "approved-in-course"
    result = cli("onboarding", user, "rejected", "--url", server.url)
    assert "onboarding profile of" in result.output and ": rejected" in result.output


@pytest.mark.live
def test_onboarding_without_a_course_says_it_counts_in_every_course(live) -> None:
    server, _ = live
    result = cli("onboarding", "u-x", "approved", "--url", server.url)
    assert result.exit_code == 0, result.output
    assert "onboarding profile of u-x: approved in every course (until " in result.output
    assert "approved-in-course" not in result.output


@pytest.mark.live
def test_status_lists_attempts_and_shows_one_timeline(live) -> None:
    server, attempt_id = live
    listed = cli("status", "--url", server.url)
    assert listed.exit_code == 0
    assert attempt_id[:8] in listed.output and "created" in listed.output
    ControlClient(server.url, "abcd", "abcdsecret").ready(attempt_id)
    shown = cli("status", attempt_id, "--url", server.url)
    assert shown.exit_code == 0
    assert f"attempt {attempt_id}: created" in shown.output
    assert "registered" in shown.output
    assert "callback 1 ready" in shown.output and "held" in shown.output


def test_an_unreachable_server_is_a_clear_error() -> None:
    result = cli("status", "--url", "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "no server answers at http://127.0.0.1:9" in result.output
    assert "--url" in result.output and "MOCKPROCK_URL" in result.output
    assert "Traceback" not in result.output


@pytest.mark.live
def test_status_columns_line_up_with_a_long_email(start_mockprock) -> None:
    server = start_mockprock()
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    for n, email in enumerate(["a@x.io", "a.very.long.learner.address+suspicious@example.com"]):
        provider.register_attempt(exam_id, {**ATTEMPT, "user_id": f"u-{n}", "email": email})
    lines = cli("status", "--url", server.url).output.splitlines()
    assert lines[0].split() == ["attempt", "status", "verdict", "learner", "exam"]
    assert len(lines) == 3
    starts = {line.index(EXAM["exam_name"]) for line in lines[1:]}
    assert len(starts) == 1  # the exam column starts at the same place on every row
    assert {line.index("created") for line in lines[1:]} == {lines[0].index("status")}


def test_a_url_without_a_scheme_is_refused_with_the_fix() -> None:
    result = CliRunner().invoke(main, ["status", "--url", "localhost:11237"])
    assert result.exit_code == 2
    assert "did you mean http://localhost:11237" in result.output
    assert "No connection adapters" not in result.output


@pytest.mark.live
def test_the_server_url_comes_from_mockprock_url_and_is_named(live) -> None:
    server, attempt_id = live
    for variable in ("MOCKPROCK_URL", "MOCKPROCK_BASE_URL"):  # the second: the old name
        result = CliRunner().invoke(main, ["status"], env={variable: server.url})
        assert result.exit_code == 0, result.output
        assert attempt_id[:8] in result.output
        assert f"(server {server.url}, from the environment)" in result.output


@pytest.mark.live
def test_something_else_on_the_port_is_named_as_such(start_lms_stub) -> None:
    other = start_lms_stub()  # a web server that is not mockprock
    result = CliRunner().invoke(main, ["status", "--url", other.url])
    assert result.exit_code == 1
    assert f"is {other.url} a mockprock server?" in result.output
    assert "--url" in result.output


def test_bare_mockprock_shows_the_help_and_exits_zero() -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "Commands:" in result.output and "serve" in result.output


def test_help_shows_whole_command_summaries() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].strip().splitlines()
    assert len(commands) == len(main.commands)
    for line in commands:
        assert not line.rstrip().endswith("..."), line
        assert line.rstrip().endswith("."), line


@pytest.mark.live
def test_status_lists_newest_first_with_the_exam_name_and_the_verdict(start_mockprock) -> None:
    server = start_mockprock("--review-delay", "0")
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    first_exam = provider.save_exam(EXAM)
    second_exam = provider.save_exam({**EXAM, "id": 2, "exam_name": "Midterm", "content_id": "m"})
    older = provider.register_attempt(first_exam, {**ATTEMPT, "user_id": "u-old"})["id"]
    newer = provider.register_attempt(second_exam, {**ATTEMPT, "user_id": "u-new"})["id"]
    assert cli("review", older[:8], "violation", "--url", server.url).exit_code == 0
    for status in ("started", "submitted"):
        provider.set_attempt_status(first_exam, older, status)
    lines = cli("status", "--url", server.url).output.splitlines()
    assert [line.split()[0] for line in lines[1:]] == [newer[:8], older[:8]]  # newest first
    assert "Midterm" in lines[1] and EXAM["exam_name"] in lines[2]
    assert lines[1].split()[2] == "-"  # nothing decided yet
    # No LMS credentials: the review waits, and says so.
    assert "violation (held)" in lines[2]
    assert first_exam not in "\n".join(lines) and second_exam not in "\n".join(lines)


@pytest.mark.live
def test_status_takes_the_short_id_the_console_shows(live) -> None:
    server, attempt_id = live
    shown = cli("status", attempt_id[:8], "--url", server.url)
    assert shown.exit_code == 0, shown.output
    assert f"attempt {attempt_id}: created, verdict -" in shown.output
    assert EXAM["exam_name"] in shown.output
    unknown = cli("status", "zzzzzzzz", "--url", server.url)
    assert unknown.exit_code == 1
    assert "no attempt has an id starting with 'zzzzzzzz'" in unknown.output


@pytest.mark.live
def test_an_ambiguous_short_id_is_refused_with_the_candidates(start_mockprock) -> None:
    server = start_mockprock()
    provider = ProviderClient(server.url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    # 17 ids over 16 hex digits: two of them start with the same one.
    ids = [
        provider.register_attempt(exam_id, {**ATTEMPT, "user_id": f"u-{n}"})["id"]
        for n in range(17)
    ]
    prefix = next(i[0] for i in ids if sum(j.startswith(i[0]) for j in ids) > 1)
    result = cli("status", prefix, "--url", server.url)
    assert result.exit_code == 1
    assert f"'{prefix}' starts " in result.output and "give more of the id" in result.output
    assert "Traceback" not in result.output
