"""The dashboard's timeline and the learner page's words: plain functions, no server."""

from __future__ import annotations

from mockprock import statuses
from mockprock.provider import learner_page, timeline


def test_heartbeats_become_runs_split_by_the_gaps_a_review_would_name() -> None:
    session = {"started_at": 100.0, "stopped_at": None}
    beats = [{"at": at, "ok": True} for at in (105, 110, 115, 160, 165)]
    beats.append({"at": 170, "ok": False})
    lines = timeline.heartbeat_lines(session, beats, ping_interval=5)
    assert [line["what"] for line in lines] == [
        "3 heartbeats",
        "No heartbeat for 45 s",
        "2 heartbeats",
        "1 ping the application did not answer",
    ]
    assert timeline.heartbeat_lines({"started_at": None, "stopped_at": None}, beats, 5) == []


def test_a_failed_callback_shows_the_reason_the_outbox_keeps() -> None:
    reason = "refused: origin not allowed (add --allow-lms-origin http://x)"
    callbacks = [{"id": 4, "state": "failed", "last_error": reason}]
    events = [
        {
            "at": 1.0,
            "kind": "callback",
            "detail": {"callback_id": 4, "kind": "ready", "state": "pending"},
        },
        {
            "at": 2.0,
            "kind": "callback",
            "detail": {"callback_id": 4, "kind": "ready", "state": "failed"},
        },
    ]
    lines = timeline.entries(events, callbacks, [], None, [], 5)
    assert [line["detail"] for line in lines] == [None, reason]
    assert lines[1]["what"] == "Callback ready failed"


def test_the_learner_reads_what_to_do_in_each_state() -> None:
    now = 1000.0
    held = learner_page.ready_state({"state": statuses.CALLBACK_HELD, "last_error": None}, now)
    assert "no LMS credentials" in held["title"]
    failed = learner_page.ready_state(
        {"state": statuses.CALLBACK_FAILED, "last_error": "refused: origin not allowed"}, now
    )
    assert failed["detail"] == "refused: origin not allowed" and "retry" in failed["say"]
    pending = learner_page.ready_state(
        {"state": statuses.CALLBACK_PENDING, "due_at": now + 4, "last_error": None}, now
    )
    assert "in about 4 seconds" in pending["say"]
    delivered = learner_page.ready_state(
        {"state": statuses.CALLBACK_DELIVERED, "last_status": 200}, now
    )
    assert delivered["title"] == "Ready"
    assert learner_page.ready_state(None, now)["state"] == "waiting"
