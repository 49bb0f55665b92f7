"""The learner's desktop application: its state per attempt and what its heartbeats say.

Plain functions over the store, no Flask. During a proctored exam the LMS's browser
worker starts the application, pings it every ``ping_interval`` seconds (a heartbeat)
and stops it on submit; the application then uploads its recording for a while.

Each attempt has its own application (a *desktop session*). Its *state* is the fault
the developer chose for it (``running``, ``crashed``, ``not_installed``; new attempts
follow the ``desktop_default`` setting) plus an injected latency. What the worker is
answered (the *app status*) follows from that state, the session's start and stop
times and the clock: the upload after a stop is a due time, never a sleeping thread.

What the session saw (heartbeat gaps and crashes, as review comments) is
``desktop_findings``. A client's scenario may plan faults (``scenarios``): the state a
new session starts in, a crash at a time of the run, a latency from a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mockprock import statuses, trust
from mockprock.config import Settings
from mockprock.errors import ProviderError, found
from mockprock.provider import scenarios
from mockprock.statuses import APP_CRASHED as CRASHED
from mockprock.statuses import APP_NOT_INSTALLED as NOT_INSTALLED
from mockprock.statuses import APP_NOT_STARTED as NOT_STARTED
from mockprock.statuses import APP_RUNNING as RUNNING
from mockprock.statuses import APP_UPLOADED as UPLOADED
from mockprock.statuses import APP_UPLOADING as UPLOADING
from mockprock.statuses import BEFORE_SUBMISSION
from mockprock.store import Store


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
        return found(store.attempts.get_attempt(attempt_id), "attempt", attempt_id)["id"]
    refusal = trust.unnamed_desktop_refusal(origin, settings)
    if refusal is not None:
        raise refusal
    for_start = action == "start"
    latest = (
        store.attempts.latest_attempt_id(BEFORE_SUBMISSION)
        if for_start
        else store.desktop.latest_desktop_attempt_id()
    )
    if latest is None:
        what = "waiting to start" if for_start else "with a started application"
        raise ProviderError(
            404, "not_found", f"no attempt {what}; pass the attempt's external id as ?attempt="
        )
    store.attempts.add_event(
        latest, statuses.EVENT_DESKTOP_ATTEMPT_INFERRED, {"action": action, "origin": origin}
    )
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


def _planned_crash(store: Store, session: dict[str, Any] | None, now: float) -> None:
    """The scenario's ``crash_at_seconds``: once the run reaches it, the application is
    down from that moment (once: a crash already recorded from then is not opened again,
    so a fault set afterwards through the control API stands)."""
    if session is None or session["started_at"] is None or session["stopped_at"] is not None:
        return
    crash_at = scenarios.then_for_attempt(store, session["attempt_id"]).desktop.crash_at_seconds
    at = None if crash_at is None else session["started_at"] + crash_at
    if at is None or at > now or any(start == at for start, _ in session["crashes"]):
        return
    session["state"] = CRASHED
    _open_crash(store, session, at, f"the scenario's crash at {crash_at:g} s")
    store.desktop.save_desktop_session(session, now)


def _open_crash(store: Store, session: dict[str, Any], now: float, cause: str) -> None:
    if session["crashes"] and session["crashes"][-1][1] is None:
        return
    session["crashes"].append([now, None])
    store.attempts.add_event(
        session["attempt_id"], statuses.EVENT_DESKTOP_CRASHED, {"cause": cause}
    )


def _close_crash(session: dict[str, Any], now: float) -> bool:
    if session["crashes"] and session["crashes"][-1][1] is None:
        session["crashes"][-1][1] = now
        return True
    return False


def latency_ms(store: Store, attempt_id: str, now: float | None = None) -> int:
    """The latency injected into this attempt's application answers: the fault's, else
    the scenario's once the run reaches its ``latency_from_seconds``."""
    session = store.desktop.get_desktop_session(attempt_id)
    if session is None or session["latency_ms"]:
        return session["latency_ms"] if session else 0
    planned = scenarios.then_for_attempt(store, attempt_id).desktop
    if not planned.latency_ms or session["started_at"] is None:
        return 0
    now = store.clock.now() if now is None else now
    due = now >= session["started_at"] + planned.latency_from_seconds
    return planned.latency_ms if due else 0


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
    now = store.clock.now() if now is None else now
    settle_uploads(store, now)
    with store.database.transaction():
        session = store.desktop.get_desktop_session(attempt_id) or _new_session(
            attempt_id,
            scenarios.then_for_attempt(store, attempt_id).desktop.state or default_state,
        )
        if session["state"] == NOT_INSTALLED:
            store.desktop.save_desktop_session(session, now)
            store.attempts.add_event(
                attempt_id, statuses.EVENT_DESKTOP_START_FAILED, {"status": NOT_INSTALLED}
            )
            return _down(attempt_id, NOT_INSTALLED)
        if session["started_at"] is not None and session["stopped_at"] is None:
            return AppAnswer(attempt_id, RUNNING, extra={"started_at": _iso(session["started_at"])})
        if session["started_at"] is None:
            session["started_at"] = now
        # Starting again after a stop opens a new run of the same session.
        session["stopped_at"] = session["upload_done_at"] = None
        session["upload_noted"] = False
        store.attempts.add_event(
            attempt_id, statuses.EVENT_DESKTOP_STARTED, {"state": session["state"]}
        )
        if session["state"] == CRASHED:
            _open_crash(store, session, now, "crashed at launch")
        store.desktop.save_desktop_session(session, now)
    return AppAnswer(attempt_id, RUNNING, extra={"started_at": _iso(session["started_at"])})


def ping(store: Store, attempt_id: str, now: float | None = None) -> AppAnswer:
    """A heartbeat from the worker; recorded with its time while the session is on."""
    now = store.clock.now() if now is None else now
    settle_uploads(store, now)
    with store.database.transaction():
        session = store.desktop.get_desktop_session(attempt_id)
        _planned_crash(store, session, now)
        status = app_status(session, now)
        if status == NOT_STARTED:
            return _not_started(attempt_id)
        if status in (UPLOADING, UPLOADED):
            # The application answers, but it is not proctoring any more.
            return AppAnswer(attempt_id, status)
        assert session is not None
        if session["started_at"] is None:  # not installed, so never started
            return _down(attempt_id, status)
        store.desktop.add_heartbeat(attempt_id, now, ok=status == RUNNING)
        if status == RUNNING:
            return AppAnswer(attempt_id, RUNNING)
        if status == CRASHED:
            _open_crash(store, session, now, "ping failed")
            store.desktop.save_desktop_session(session, now)
        store.attempts.add_event(attempt_id, statuses.EVENT_DESKTOP_PING_FAILED, {"status": status})
    return _down(attempt_id, status)


def stop(
    store: Store, attempt_id: str, upload_delay_seconds: float, now: float | None = None
) -> AppAnswer:
    """Stop proctoring: answers ``uploading`` at once; the upload is done after the delay."""
    now = store.clock.now() if now is None else now
    settle_uploads(store, now)
    with store.database.transaction():
        session = store.desktop.get_desktop_session(attempt_id)
        _planned_crash(store, session, now)
        status = app_status(session, now)
        if status == NOT_STARTED:
            return _not_started(attempt_id)
        if status in (NOT_INSTALLED, CRASHED):
            return _down(attempt_id, status)
        assert session is not None
        if status == RUNNING:
            session["stopped_at"] = now
            session["upload_done_at"] = now + upload_delay_seconds
            store.desktop.save_desktop_session(session, now)
            store.attempts.add_event(
                attempt_id,
                statuses.EVENT_DESKTOP_STOPPED,
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
    found(store.attempts.get_attempt(attempt_id), "attempt", attempt_id)
    now = store.clock.now() if now is None else now
    with store.database.transaction():
        session = store.desktop.get_desktop_session(attempt_id) or _new_session(
            attempt_id, default_state
        )
        session["state"] = state
        if latency is not None:
            session["latency_ms"] = latency
        on = app_status(session, now) in (RUNNING, CRASHED)
        if state == CRASHED and on:
            _open_crash(store, session, now, "desktop fault set")
        elif state != CRASHED and _close_crash(session, now):
            store.attempts.add_event(attempt_id, statuses.EVENT_DESKTOP_RECOVERED, {"state": state})
        store.desktop.save_desktop_session(session, now)
        store.attempts.add_event(
            attempt_id,
            statuses.EVENT_DESKTOP_FAULT,
            {"state": state, "latency_ms": session["latency_ms"]},
        )
    return session_view(store, attempt_id, now)


def settle_uploads(store: Store, now: float | None = None) -> None:
    """Put finished uploads on their attempts' timelines (computed from due times)."""
    now = store.clock.now() if now is None else now
    for session in store.desktop.desktop_uploads_due(now):
        with store.database.transaction():
            if store.desktop.mark_desktop_upload_noted(session["attempt_id"]):
                store.attempts.add_event(
                    session["attempt_id"],
                    statuses.EVENT_DESKTOP_UPLOAD_DONE,
                    {"completed_at": _iso(session["upload_done_at"])},
                )


def upload_events(store: Store, attempt_id: str, now: float | None = None) -> list[dict[str, Any]]:
    """The timeline event of an upload done by ``now`` but not recorded yet (the next
    request to the application records it), for a view that must not write."""
    now = store.clock.now() if now is None else now
    session = store.desktop.get_desktop_session(attempt_id)
    if session is None or session["upload_noted"] or app_status(session, now) != UPLOADED:
        return []
    done_at = session["upload_done_at"]
    return [
        {
            "at": done_at,
            "kind": statuses.EVENT_DESKTOP_UPLOAD_DONE,
            "detail": {"completed_at": _iso(done_at)},
        }
    ]


def session_view(store: Store, attempt_id: str, now: float | None = None) -> dict[str, Any]:
    """The attempt's application as the control API shows it: state, status, heartbeats.
    A read: it writes nothing (the status follows from the due times)."""
    now = store.clock.now() if now is None else now
    session = store.desktop.get_desktop_session(attempt_id)
    heartbeats = store.desktop.list_heartbeats(attempt_id)
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
