"""The desktop application's rules (mockprock.provider.desktop), with an explicit clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockprock import payloads
from mockprock.errors import ProviderError
from mockprock.provider import desktop, desktop_findings
from mockprock.store import Store
from tests.helpers import ATTEMPT, make_settings

T0 = 1_700_000_000.0
INTERVAL = 60


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(str(tmp_path / "desktop.sqlite"))
    yield store
    store.close()


def register(store: Store) -> str:
    exam = {"lms_exam_id": 1, "course_id": "course-v1:a+b+c", "content_id": "block", "rules": {}}
    store.exams.save_exam("exam1", "abcd", exam, {})
    return store.attempts.create_attempt("exam1", ATTEMPT, ATTEMPT)


@pytest.fixture
def attempt(store: Store) -> str:
    return register(store)


def kinds(store: Store, attempt_id: str) -> list[str]:
    return [e["kind"] for e in store.attempts.list_events(attempt_id)]


# -- pure rules -------------------------------------------------------------------------


def test_gap_longer_than_two_and_a_half_intervals_is_found() -> None:
    beats = [T0 + 60, T0 + 120, T0 + 270, T0 + 421]
    # 120 -> 270 is exactly 2.5 intervals (not a gap); 270 -> 421 is one second more.
    assert desktop_findings.heartbeat_gaps(T0, beats, None, INTERVAL) == [(T0 + 270, T0 + 421)]


def test_gap_up_to_the_stop_counts_but_not_after_the_last_beat_of_a_running_session() -> None:
    beats = [T0 + 60]
    assert desktop_findings.heartbeat_gaps(T0, beats, T0 + 400, INTERVAL) == [(T0 + 60, T0 + 400)]
    assert desktop_findings.heartbeat_gaps(T0, beats, None, INTERVAL) == []


def test_gap_bound_follows_the_ping_interval() -> None:
    beats = [T0 + 100]
    assert desktop_findings.heartbeat_gaps(T0, beats, None, 30) == [(T0, T0 + 100)]
    assert desktop_findings.heartbeat_gaps(T0, beats, None, 60) == []


def session(**fields: object) -> dict:
    base = {
        "attempt_id": "a",
        "state": "running",
        "latency_ms": 0,
        "started_at": T0,
        "stopped_at": None,
        "upload_done_at": None,
        "upload_noted": False,
        "crashes": [],
    }
    return {**base, **fields}


def test_findings_are_comments_in_session_seconds() -> None:
    beats = [{"at": T0 + s, "ok": True} for s in (60, 120, 400, 460)]
    comments = desktop_findings.findings(session(stopped_at=T0 + 500), beats, INTERVAL)
    assert comments == [
        {
            "comment": "No heartbeat from the proctoring application for 280 s.",
            "status": "suspicious",
            "start": 120,
            "stop": 400,
            "duration": 280,
        }
    ]


def test_a_crash_is_a_comment_and_explains_the_gap_it_overlaps() -> None:
    beats = [
        {"at": T0 + 60, "ok": True},
        {"at": T0 + 120, "ok": False},
        {"at": T0 + 180, "ok": False},
    ]
    crashed = session(crashes=[[T0 + 100, None]])
    comments = desktop_findings.findings(crashed, beats, INTERVAL)
    # Open crash: it lasts until the last thing seen of the session (the failed ping at 180).
    assert [(c["comment"], c["start"], c["stop"]) for c in comments] == [
        ("The proctoring application crashed.", 100, 180)
    ]


def test_no_findings_for_a_clean_session_or_one_never_started() -> None:
    beats = [{"at": T0 + s, "ok": True} for s in range(60, 600, 60)]
    assert desktop_findings.findings(session(stopped_at=T0 + 600), beats, INTERVAL) == []
    assert desktop_findings.findings(session(started_at=None), [], INTERVAL) == []
    assert desktop_findings.findings(None, [], INTERVAL) == []


def test_app_status_after_a_stop_follows_the_upload_due_time() -> None:
    stopped = session(stopped_at=T0 + 10, upload_done_at=T0 + 15)
    assert desktop.app_status(stopped, T0 + 14.9) == "uploading"
    assert desktop.app_status(stopped, T0 + 15) == "uploaded"
    assert desktop.app_status(session(started_at=None), T0) == "not_started"
    assert desktop.app_status(session(started_at=None, state="not_installed"), T0) == (
        "not_installed"
    )
    assert desktop.app_status(session(state="crashed"), T0) == "crashed"


# -- the application over the store -----------------------------------------------------


def test_a_whole_session_records_heartbeats_with_their_times(store: Store, attempt: str) -> None:
    answer = desktop.start(store, attempt, "running", now=T0)
    assert (answer.http_status, answer.status) == (200, "running")
    for seconds in (60, 120, 180):
        assert desktop.ping(store, attempt, now=T0 + seconds).body()["status"] == "running"
    assert store.desktop.list_heartbeats(attempt) == [
        {"at": T0 + s, "ok": True} for s in (60, 120, 180)
    ]
    stopped = desktop.stop(store, attempt, upload_delay_seconds=5, now=T0 + 200)
    assert (stopped.http_status, stopped.status) == (200, "uploading")
    assert kinds(store, attempt) == ["registered", "desktop_started", "desktop_stopped"]
    assert desktop.session_view(store, attempt, now=T0 + 204)["status"] == "uploading"
    assert "desktop_upload_done" not in kinds(store, attempt)
    view = desktop.session_view(store, attempt, now=T0 + 205)
    assert view["status"] == "uploaded"
    assert "desktop_upload_done" not in kinds(store, attempt)  # a read writes nothing...
    assert [e["kind"] for e in desktop.upload_events(store, attempt, now=T0 + 205)] == [
        "desktop_upload_done"
    ]  # ...but the timeline shows it
    # The next request to the application records it, once.
    desktop.ping(store, attempt, now=T0 + 206)
    desktop.ping(store, attempt, now=T0 + 300)
    assert kinds(store, attempt).count("desktop_upload_done") == 1
    assert desktop.upload_events(store, attempt, now=T0 + 300) == []
    assert desktop_findings.session_findings(store, attempt, INTERVAL) == []


def test_a_long_gap_becomes_a_finding(store: Store, attempt: str) -> None:
    desktop.start(store, attempt, "running", now=T0)
    desktop.ping(store, attempt, now=T0 + 60)
    desktop.ping(store, attempt, now=T0 + 400)
    desktop.stop(store, attempt, 0, now=T0 + 420)
    findings = desktop_findings.session_findings(store, attempt, INTERVAL)
    assert [(f["start"], f["stop"]) for f in findings] == [(60, 400)]
    # With a longer ping interval the same session is clean.
    assert desktop_findings.session_findings(store, attempt, 200) == []


def test_not_installed_cannot_start_and_changes_nothing(store: Store, attempt: str) -> None:
    answer = desktop.start(store, attempt, "not_installed", now=T0)
    assert answer.http_status == 503
    assert answer.body() == {
        "status": "not_installed",
        "attempt": attempt,
        "error": "app_not_installed",
        "detail": answer.detail,
    }
    assert desktop.ping(store, attempt, now=T0 + 60).http_status == 503
    assert store.desktop.list_heartbeats(attempt) == []
    assert store.desktop.get_desktop_session(attempt)["started_at"] is None
    assert desktop_findings.session_findings(store, attempt, INTERVAL) == []


def test_crashed_app_launches_then_every_ping_fails(store: Store, attempt: str) -> None:
    assert desktop.start(store, attempt, "crashed", now=T0).status == "running"
    failed = desktop.ping(store, attempt, now=T0 + 60)
    assert (failed.http_status, failed.status, failed.error) == (503, "crashed", "app_crashed")
    assert store.desktop.list_heartbeats(attempt) == [{"at": T0 + 60, "ok": False}]
    assert desktop.stop(store, attempt, 0, now=T0 + 70).http_status == 503
    findings = desktop_findings.session_findings(store, attempt, INTERVAL)
    assert [(f["comment"], f["start"], f["stop"]) for f in findings] == [
        ("The proctoring application crashed.", 0, 60)
    ]
    assert "desktop_crashed" in kinds(store, attempt)


def test_a_crash_mid_session_and_a_recovery(store: Store, attempt: str) -> None:
    desktop.start(store, attempt, "running", now=T0)
    desktop.ping(store, attempt, now=T0 + 60)
    desktop.set_fault(store, attempt, "crashed", None, "running", now=T0 + 90)
    assert desktop.ping(store, attempt, now=T0 + 120).status == "crashed"
    view = desktop.set_fault(store, attempt, "running", None, "running", now=T0 + 150)
    assert view["status"] == "running"
    assert desktop.ping(store, attempt, now=T0 + 180).status == "running"
    desktop.stop(store, attempt, 0, now=T0 + 200)
    findings = desktop_findings.session_findings(store, attempt, INTERVAL)
    assert [(f["start"], f["stop"]) for f in findings] == [(90, 150)]
    assert kinds(store, attempt) == [
        "registered",
        "desktop_started",
        "desktop_crashed",
        "desktop_fault",
        "desktop_ping_failed",
        "desktop_recovered",
        "desktop_fault",
        "desktop_stopped",
        "desktop_upload_done",
    ]


def test_stop_is_idempotent_and_keeps_the_first_due_time(store: Store, attempt: str) -> None:
    desktop.start(store, attempt, "running", now=T0)
    first = desktop.stop(store, attempt, 30, now=T0 + 10)
    again = desktop.stop(store, attempt, 30, now=T0 + 20)
    assert again.status == "uploading"
    assert again.body()["upload_done_at"] == first.body()["upload_done_at"]
    assert desktop.stop(store, attempt, 30, now=T0 + 40).status == "uploaded"
    # A ping after the stop gets an answer, but the app is no longer proctoring.
    assert desktop.ping(store, attempt, now=T0 + 41).status == "uploaded"
    assert store.desktop.list_heartbeats(attempt) == []


def test_ping_and_stop_before_start_are_refused(store: Store, attempt: str) -> None:
    for answer in (desktop.ping(store, attempt, now=T0), desktop.stop(store, attempt, 0, now=T0)):
        assert (answer.http_status, answer.error) == (409, "app_not_started")
    assert store.desktop.get_desktop_session(attempt) is None


def test_faults_are_validated_and_a_refusal_changes_nothing(store: Store, attempt: str) -> None:
    desktop.start(store, attempt, "running", now=T0)
    before = store.desktop.get_desktop_session(attempt)
    bad = [
        ("exploded", None),
        ("crashed", -1),
        ("crashed", payloads.MAX_LATENCY_MS + 1),
        ("crashed", True),
        ("crashed", 1.5),
    ]
    for state, latency in bad:
        # What the control API does with a body: check it, then set the fault.
        with pytest.raises(ProviderError) as refused:
            fault = payloads.desktop_fault({"state": state, "latency_ms": latency})
            desktop.set_fault(
                store, attempt, fault["state"], fault["latency_ms"], "running", now=T0 + 1
            )
        assert refused.value.status == 400
    with pytest.raises(ProviderError) as missing:
        desktop.set_fault(store, "nope", "crashed", None, "running")
    assert missing.value.status == 404
    assert store.desktop.get_desktop_session(attempt) == before
    assert "desktop_fault" not in kinds(store, attempt)


def test_latency_is_kept_per_attempt(store: Store, attempt: str) -> None:
    other = register(store)
    desktop.set_fault(store, attempt, "running", 250, "running", now=T0)
    assert desktop.latency_ms(store, attempt) == 250
    assert desktop.latency_ms(store, other) == 0
    # Changing the state alone keeps the latency.
    assert desktop.set_fault(store, attempt, "crashed", None, "running")["latency_ms"] == 250


def test_requests_without_an_attempt_go_where_one_app_would_send_them(
    store: Store, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    lms = "http://127.0.0.1:18000"  # the LMS origin: the legacy courseware's worker

    def resolve(attempt_id: str | None, action: str, origin: str | None = lms) -> str:
        return desktop.resolve_attempt(store, attempt_id, action, origin, settings)

    with pytest.raises(ProviderError):
        resolve(None, "start")
    first = register(store)
    second = register(store)
    assert resolve(None, "start") == second
    with pytest.raises(ProviderError):
        resolve(None, "ping")
    desktop.start(store, second, "running", now=T0)
    desktop.start(store, first, "running", now=T0 + 5)
    assert resolve(None, "stop") == first
    with pytest.raises(ProviderError) as unknown:
        resolve("nope", "stop")
    assert unknown.value.status == 404
    # Named, from any origin; unnamed, only from an allowed one.
    assert resolve(first, "ping", "https://evil.example") == first
    with pytest.raises(ProviderError) as foreign:
        resolve(None, "ping", "https://evil.example")
    assert foreign.value.status == 403


def test_deleting_the_attempt_removes_its_session_and_heartbeats(
    store: Store, attempt: str
) -> None:
    desktop.start(store, attempt, "running", now=T0)
    desktop.ping(store, attempt, now=T0 + 60)
    store.attempts.delete_attempt(attempt)
    assert store.desktop.get_desktop_session(attempt) is None
    assert store.desktop.list_heartbeats(attempt) == []
