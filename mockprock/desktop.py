"""The learner's desktop application: its state per attempt and what its heartbeats say.

Plain functions over the store, no Flask. During a proctored exam the LMS's browser
worker starts the application, pings it every ``ping_interval`` seconds (a heartbeat)
and stops it on submit; the application then uploads its recording for a while.

Each attempt has its own application (a *desktop session*). Its *state* is the fault
the developer chose for it (``running``, ``crashed``, ``not_installed``; new attempts
follow the ``desktop_default`` setting) plus an injected latency. What the worker is
answered (the *app status*) follows from that state, the session's start and stop
times and the clock: the upload after a stop is a due time, never a sleeping thread.

Heartbeat gaps longer than ``GAP_FACTOR`` ping intervals and crashes become review
comments (:func:`session_findings`), the way a vendor's reviewer notes what the
recording shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

from mockprock import trust
from mockprock.config import Settings
from mockprock.errors import ProviderError, found
from mockprock.statuses import APP_CRASHED as CRASHED
from mockprock.statuses import APP_NOT_INSTALLED as NOT_INSTALLED
from mockprock.statuses import APP_NOT_STARTED as NOT_STARTED
from mockprock.statuses import APP_RUNNING as RUNNING
from mockprock.statuses import APP_UPLOADED as UPLOADED
from mockprock.statuses import APP_UPLOADING as UPLOADING
from mockprock.statuses import BEFORE_SUBMISSION
from mockprock.statuses import SUSPICIOUS as COMMENT_STATUS
from mockprock.store import Store

# A heartbeat gap longer than this many ping intervals is worth a reviewer's comment.
GAP_FACTOR = 2.5


@dataclass(frozen=True)
class AppAnswer:
    """What the application answers the worker: HTTP status and a JSON body."""

    attempt_id: str
    status: str
    http_status: int = 200
    error: str | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The latency injected (the fault's ``latency_ms``): the answer leaves this late.
    delay_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.http_status == 200

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "attempt": self.attempt_id, **self.extra}
        if self.error:
            body["error"] = self.error
            body["detail"] = self.detail
        return body


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, timezone.utc).isoformat()


# -- pure rules -------------------------------------------------------------------------


def app_status(session: dict[str, Any] | None, now: float) -> str:
    """The application's status for a session at ``now``."""
    if session is None or session["started_at"] is None:
        return NOT_INSTALLED if session and session["state"] == NOT_INSTALLED else NOT_STARTED
    if session["stopped_at"] is not None:
        done_at = session["upload_done_at"]
        return UPLOADED if done_at is not None and done_at <= now else UPLOADING
    # A started application is down while the developer's fault says so.
    return session["state"]


def heartbeat_gaps(
    started_at: float, beats: list[float], ended_at: float | None, ping_interval_seconds: float
) -> list[tuple[float, float]]:
    """Stretches of the session with no heartbeat for longer than ``GAP_FACTOR`` intervals.

    The session's start and (when known) its stop bound the heartbeats; the time after
    the last heartbeat of a session not yet stopped is not counted (it may still ping).
    """
    points = [started_at, *sorted(b for b in beats if b >= started_at)]
    if ended_at is not None and ended_at >= points[-1]:
        points.append(ended_at)
    limit = GAP_FACTOR * ping_interval_seconds
    return [(a, b) for a, b in pairwise(points) if b - a > limit]


def crash_periods(session: dict[str, Any], last_seen: float) -> list[tuple[float, float]]:
    """The session's crashes as (start, stop); a crash still going ends at ``last_seen``."""
    return [
        (start, stop if stop is not None else max(start, last_seen))
        for start, stop in session["crashes"]
    ]


def findings(
    session: dict[str, Any] | None, heartbeats: list[dict[str, Any]], ping_interval_seconds: float
) -> list[dict[str, Any]]:
    """Review comments for a session's crashes and heartbeat gaps, in session seconds.

    A gap that overlaps a crash is left out: the crash already explains it.
    """
    if session is None or session["started_at"] is None:
        return []
    started_at = session["started_at"]
    ok_beats = [h["at"] for h in heartbeats if h["ok"]]
    last_seen = max([started_at, session["stopped_at"] or 0, *(h["at"] for h in heartbeats)])
    crashes = crash_periods(session, last_seen)
    gaps = [
        (a, b)
        for a, b in heartbeat_gaps(
            started_at, ok_beats, session["stopped_at"], ping_interval_seconds
        )
        if not any(a < crash_stop and crash_start < b for crash_start, crash_stop in crashes)
    ]

    def comment(text: str, start: float, stop: float) -> dict[str, Any]:
        begin, end = round(start - started_at), round(stop - started_at)
        return {
            "comment": text,
            "status": COMMENT_STATUS,
            "start": begin,
            "stop": end,
            "duration": end - begin,
        }

    out = [comment("The proctoring application crashed.", a, b) for a, b in crashes]
    out += [
        comment(f"No heartbeat from the proctoring application for {round(b - a)} s.", a, b)
        for a, b in gaps
    ]
    return sorted(out, key=lambda c: (c["start"], c["stop"]))


# -- the application, over the store --------------------------------------------------


def resolve_attempt(
    store: Store, attempt_id: str | None, action: str, origin: str | None, settings: Settings
) -> str:
    """The attempt a worker request (``action``: start, ping or stop) is about.

    A named attempt is served to any origin: its external id is an unguessable
    capability (the learning MFE names it from its own origin). Without an id (the legacy
    courseware's worker) the request must come from an allowed origin and goes where a
    single desktop application would send it: a start to the attempt registered last
    that is not submitted yet, a ping or stop to the session started last; the
    timeline says the attempt was inferred.
    """
    if attempt_id:
        return found(store.get_attempt(attempt_id), "attempt", attempt_id)["id"]
    refusal = trust.unnamed_desktop_refusal(origin, settings)
    if refusal is not None:
        raise refusal
    for_start = action == "start"
    latest = (
        store.latest_attempt_id(BEFORE_SUBMISSION)
        if for_start
        else store.latest_desktop_attempt_id()
    )
    if latest is None:
        what = "waiting to start" if for_start else "with a started application"
        raise ProviderError(
            404, "not_found", f"no attempt {what}; pass the attempt's external id as ?attempt="
        )
    store.add_event(latest, "desktop_attempt_inferred", {"action": action, "origin": origin})
    return latest


def _new_session(attempt_id: str, state: str) -> dict[str, Any]:
    return {
        "attempt_id": attempt_id,
        "state": state,
        "latency_ms": 0,
        "started_at": None,
        "stopped_at": None,
        "upload_done_at": None,
        "upload_noted": False,
        "crashes": [],
    }


def _open_crash(store: Store, session: dict[str, Any], now: float, cause: str) -> None:
    if session["crashes"] and session["crashes"][-1][1] is None:
        return
    session["crashes"].append([now, None])
    store.add_event(session["attempt_id"], "desktop_crashed", {"cause": cause})


def _close_crash(session: dict[str, Any], now: float) -> bool:
    if session["crashes"] and session["crashes"][-1][1] is None:
        session["crashes"][-1][1] = now
        return True
    return False


def latency_ms(store: Store, attempt_id: str) -> int:
    """The latency injected into this attempt's application answers."""
    session = store.get_desktop_session(attempt_id)
    return session["latency_ms"] if session else 0


def _not_started(attempt_id: str) -> AppAnswer:
    return AppAnswer(
        attempt_id,
        NOT_STARTED,
        409,
        "app_not_started",
        f"the application was not started for attempt {attempt_id}; POST /desktop/start first",
    )


def _down(attempt_id: str, status: str) -> AppAnswer:
    if status == NOT_INSTALLED:
        return AppAnswer(
            attempt_id,
            status,
            503,
            "app_not_installed",
            f"the proctoring application is not installed (desktop fault '{NOT_INSTALLED}')",
        )
    return AppAnswer(
        attempt_id,
        status,
        503,
        "app_crashed",
        f"the proctoring application has crashed (desktop fault '{CRASHED}')",
    )


def start(store: Store, attempt_id: str, default_state: str, now: float | None = None) -> AppAnswer:
    """Launch the application for the attempt.

    ``crashed`` launches and dies at once: the start succeeds, every ping then fails
    (the LMS's "application crashed" branch). ``not_installed`` cannot launch.
    """
    now = time.time() if now is None else now
    settle_uploads(store, now)
    with store.transaction():
        session = store.get_desktop_session(attempt_id) or _new_session(attempt_id, default_state)
        if session["state"] == NOT_INSTALLED:
            store.save_desktop_session(session, now)
            store.add_event(attempt_id, "desktop_start_failed", {"status": NOT_INSTALLED})
            return _down(attempt_id, NOT_INSTALLED)
        if session["started_at"] is not None and session["stopped_at"] is None:
            return AppAnswer(attempt_id, RUNNING, extra={"started_at": _iso(session["started_at"])})
        if session["started_at"] is None:
            session["started_at"] = now
        # Starting again after a stop opens a new run of the same session.
        session["stopped_at"] = session["upload_done_at"] = None
        session["upload_noted"] = False
        store.add_event(attempt_id, "desktop_started", {"state": session["state"]})
        if session["state"] == CRASHED:
            _open_crash(store, session, now, "crashed at launch")
        store.save_desktop_session(session, now)
    return AppAnswer(attempt_id, RUNNING, extra={"started_at": _iso(session["started_at"])})


def ping(store: Store, attempt_id: str, now: float | None = None) -> AppAnswer:
    """A heartbeat from the worker; recorded with its time while the session is on."""
    now = time.time() if now is None else now
    settle_uploads(store, now)
    with store.transaction():
        session = store.get_desktop_session(attempt_id)
        status = app_status(session, now)
        if status == NOT_STARTED:
            return _not_started(attempt_id)
        if status in (UPLOADING, UPLOADED):
            # The application answers, but it is not proctoring any more.
            return AppAnswer(attempt_id, status)
        assert session is not None
        if session["started_at"] is None:  # not installed, so never started
            return _down(attempt_id, status)
        store.add_heartbeat(attempt_id, now, ok=status == RUNNING)
        if status == RUNNING:
            return AppAnswer(attempt_id, RUNNING)
        if status == CRASHED:
            _open_crash(store, session, now, "ping failed")
            store.save_desktop_session(session, now)
        store.add_event(attempt_id, "desktop_ping_failed", {"status": status})
    return _down(attempt_id, status)


def stop(
    store: Store, attempt_id: str, upload_delay_seconds: float, now: float | None = None
) -> AppAnswer:
    """Stop proctoring: answers ``uploading`` at once; the upload is done after the delay."""
    now = time.time() if now is None else now
    settle_uploads(store, now)
    with store.transaction():
        session = store.get_desktop_session(attempt_id)
        status = app_status(session, now)
        if status == NOT_STARTED:
            return _not_started(attempt_id)
        if status in (NOT_INSTALLED, CRASHED):
            return _down(attempt_id, status)
        assert session is not None
        if status == RUNNING:
            session["stopped_at"] = now
            session["upload_done_at"] = now + upload_delay_seconds
            store.save_desktop_session(session, now)
            store.add_event(
                attempt_id,
                "desktop_stopped",
                {"upload_done_at": _iso(session["upload_done_at"])},
            )
            status = UPLOADING
    answer = AppAnswer(
        attempt_id, status, extra={"upload_done_at": _iso(session["upload_done_at"])}
    )
    settle_uploads(store, now)  # a zero delay is done at once
    return answer


def set_fault(
    store: Store,
    attempt_id: str,
    state: str,
    latency: int | None,
    default_state: str,
    now: float | None = None,
) -> dict[str, Any]:
    """Set the application's fault for an attempt (control API); its session view.
    ``state`` and ``latency`` were checked by :func:`mockprock.payloads.desktop_fault`."""
    found(store.get_attempt(attempt_id), "attempt", attempt_id)
    now = time.time() if now is None else now
    with store.transaction():
        session = store.get_desktop_session(attempt_id) or _new_session(attempt_id, default_state)
        session["state"] = state
        if latency is not None:
            session["latency_ms"] = latency
        on = app_status(session, now) in (RUNNING, CRASHED)
        if state == CRASHED and on:
            _open_crash(store, session, now, "desktop fault set")
        elif state != CRASHED and _close_crash(session, now):
            store.add_event(attempt_id, "desktop_recovered", {"state": state})
        store.save_desktop_session(session, now)
        store.add_event(
            attempt_id, "desktop_fault", {"state": state, "latency_ms": session["latency_ms"]}
        )
    return session_view(store, attempt_id, now)


def settle_uploads(store: Store, now: float | None = None) -> None:
    """Put finished uploads on their attempts' timelines (computed from due times)."""
    now = time.time() if now is None else now
    for session in store.desktop_uploads_due(now):
        with store.transaction():
            if store.mark_desktop_upload_noted(session["attempt_id"]):
                store.add_event(
                    session["attempt_id"],
                    "desktop_upload_done",
                    {"completed_at": _iso(session["upload_done_at"])},
                )


def upload_events(store: Store, attempt_id: str, now: float | None = None) -> list[dict[str, Any]]:
    """The timeline event of an upload done by ``now`` but not recorded yet (the next
    request to the application records it), for a view that must not write."""
    now = time.time() if now is None else now
    session = store.get_desktop_session(attempt_id)
    if session is None or session["upload_noted"] or app_status(session, now) != UPLOADED:
        return []
    done_at = session["upload_done_at"]
    return [
        {"at": done_at, "kind": "desktop_upload_done", "detail": {"completed_at": _iso(done_at)}}
    ]


def session_view(store: Store, attempt_id: str, now: float | None = None) -> dict[str, Any]:
    """The attempt's application as the control API shows it: state, status, heartbeats.
    A read: it writes nothing (the status follows from the due times)."""
    now = time.time() if now is None else now
    session = store.get_desktop_session(attempt_id)
    heartbeats = store.list_heartbeats(attempt_id)
    return {
        "state": session["state"] if session else None,
        "latency_ms": session["latency_ms"] if session else 0,
        "status": app_status(session, now),
        "started_at": _iso(session["started_at"]) if session else None,
        "stopped_at": _iso(session["stopped_at"]) if session else None,
        "upload_done_at": _iso(session["upload_done_at"]) if session else None,
        "crashes": [[_iso(a), _iso(b)] for a, b in session["crashes"]] if session else [],
        "heartbeats": [{"at": _iso(h["at"]), "ok": h["ok"]} for h in heartbeats],
    }


def session_findings(
    store: Store, attempt_id: str, ping_interval_seconds: float
) -> list[dict[str, Any]]:
    """Review comments (``comment``, ``status``, ``start``, ``stop``) for what the session saw."""
    return findings(
        store.get_desktop_session(attempt_id),
        store.list_heartbeats(attempt_id),
        ping_interval_seconds,
    )
