"""What a desktop session saw, as a vendor's reviewer notes it: heartbeat gaps longer
than ``GAP_FACTOR`` ping intervals and crashes become review comments
(:func:`session_findings`). Pure rules, and one read of the store.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from mockprock.statuses import SUSPICIOUS
from mockprock.store import Store

# A heartbeat gap longer than this many ping intervals is worth a reviewer's comment.
GAP_FACTOR = 2.5


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
            "status": SUSPICIOUS,
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


def session_findings(
    store: Store, attempt_id: str, ping_interval_seconds: float
) -> list[dict[str, Any]]:
    """Review comments (``comment``, ``status``, ``start``, ``stop``) for what the session saw."""
    return findings(
        store.desktop.get_desktop_session(attempt_id),
        store.desktop.list_heartbeats(attempt_id),
        ping_interval_seconds,
    )
