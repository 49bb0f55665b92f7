"""An attempt's story for people (the dashboard's attempt view): what happened, the
LMS's requests, the desktop application's heartbeats and their gaps, the callbacks with
the LMS's answers and failure reasons; oldest first, times as epoch seconds."""

from __future__ import annotations

from typing import Any

from mockprock import statuses
from mockprock.provider import desktop_findings

STATE_WORDS = {
    statuses.CALLBACK_PENDING: "queued",
    statuses.CALLBACK_HELD: "held: the server has no LMS credentials",
    statuses.CALLBACK_SENDING: "being sent",
    statuses.CALLBACK_DELIVERED: "delivered",
    statuses.CALLBACK_FAILED: "failed",
}


def _event_line(event: dict[str, Any], callbacks: dict[int, dict[str, Any]]) -> dict[str, Any]:
    kind, detail = event["kind"], event["detail"] or {}
    entry: dict[str, Any] = {"at": event["at"], "kind": kind, "detail": None}
    if kind == statuses.EVENT_REGISTERED:
        entry["what"] = "The LMS registered the attempt"
    elif kind == statuses.EVENT_STATUS:
        entry["what"] = f"The LMS set the status to {detail.get('status')}"
    elif kind == statuses.EVENT_DECISION:
        entry["what"] = f"Verdict {detail.get('status')} recorded ({detail.get('source')})"
    elif kind == statuses.EVENT_CALLBACK:
        row = callbacks.get(detail.get("callback_id"), {})
        state = detail.get("state", "")
        entry["kind"] = f"callback-{state}"
        entry["what"] = f"Callback {detail.get('kind')} {STATE_WORDS.get(state, state)}"
        if detail.get("retried"):
            entry["what"] += " (retried by hand)"
        if detail.get("status") is not None:
            entry["what"] += f"; the LMS answered {detail['status']}"
        # The reason belongs to the callback's latest outcome, shown on its last event.
        if state == row.get("state") and row.get("last_error"):
            entry["detail"] = row["last_error"]
    elif kind == statuses.EVENT_ONBOARDING_PROFILE:
        entry["what"] = f"Onboarding profile is now {detail.get('status')}"
    else:
        entry["what"] = kind.replace("_", " ").capitalize()
        entry["detail"] = ", ".join(f"{k}: {v}" for k, v in detail.items()) or None
    return entry


def heartbeat_lines(
    session: dict[str, Any] | None, heartbeats: list[dict[str, Any]], ping_interval: float
) -> list[dict[str, Any]]:
    """Heartbeats as runs ("12 heartbeats") split by the gaps the review would name."""
    if session is None or session["started_at"] is None or not heartbeats:
        return []
    beats = sorted(h["at"] for h in heartbeats if h["ok"])
    failed = sum(1 for h in heartbeats if not h["ok"])
    gaps = desktop_findings.heartbeat_gaps(
        session["started_at"], beats, session["stopped_at"], ping_interval
    )
    lines = []
    for start, stop in gaps:
        lines.append(
            {
                "at": start,
                "kind": "gap",
                "what": f"No heartbeat for {round(stop - start)} s",
                "detail": None,
            }
        )
    edges = [session["started_at"], *(b for _, b in gaps)]
    for index, since in enumerate(edges):
        until = gaps[index][0] if index < len(gaps) else float("inf")
        run = [b for b in beats if since <= b <= until]
        if run:
            lines.append(
                {
                    "at": run[0],
                    "kind": "heartbeat",
                    "what": f"{len(run)} heartbeat{'s' if len(run) != 1 else ''}",
                    "detail": None,
                }
            )
    if failed:
        lines.append(
            {
                "at": min(h["at"] for h in heartbeats if not h["ok"]),
                "kind": "gap",
                "what": f"{failed} ping{'s' if failed != 1 else ''} the application did not answer",
                "detail": None,
            }
        )
    return sorted(lines, key=lambda line: line["at"])


def entries(
    events: list[dict[str, Any]],
    callbacks: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    session: dict[str, Any] | None,
    heartbeats: list[dict[str, Any]],
    ping_interval: float,
) -> list[dict[str, Any]]:
    """The whole timeline, oldest first."""
    by_id = {row["id"]: row for row in callbacks}
    lines = [_event_line(e, by_id) for e in events]
    lines += [
        {
            "at": r["at"],
            "kind": "request",
            "what": f"The LMS called {r['method']} {r['path']} → {r['status']}",
            "detail": None,
        }
        for r in requests
    ]
    lines += heartbeat_lines(session, heartbeats, ping_interval)
    return sorted(lines, key=lambda line: line["at"])
