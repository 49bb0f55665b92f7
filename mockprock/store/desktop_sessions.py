"""Queries on the learner's desktop application: its session per attempt, its heartbeats."""

from __future__ import annotations

import json
from typing import Any

from mockprock.store.database import Database, decode, decode_all


class DesktopQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get_desktop_session(self, attempt_id: str) -> dict[str, Any] | None:
        return decode(
            self.database.db.execute(
                "SELECT * FROM desktop_sessions WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
        )

    def save_desktop_session(self, session: dict[str, Any], now: float) -> None:
        self.database.db.execute(
            "INSERT INTO desktop_sessions (attempt_id, state, latency_ms, started_at, "
            "stopped_at, upload_done_at, upload_noted, crashes, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (attempt_id) DO UPDATE SET "
            "state = excluded.state, latency_ms = excluded.latency_ms, "
            "started_at = excluded.started_at, stopped_at = excluded.stopped_at, "
            "upload_done_at = excluded.upload_done_at, upload_noted = excluded.upload_noted, "
            "crashes = excluded.crashes, updated_at = excluded.updated_at",
            (
                session["attempt_id"],
                session["state"],
                session["latency_ms"],
                session["started_at"],
                session["stopped_at"],
                session["upload_done_at"],
                int(session["upload_noted"]),
                json.dumps(session["crashes"]),
                now,
            ),
        )

    def desktop_uploads_due(self, now: float) -> list[dict[str, Any]]:
        """Sessions whose upload is done by ``now`` but not yet on the timeline."""
        return decode_all(
            self.database.db.execute(
                "SELECT attempt_id, upload_done_at FROM desktop_sessions "
                "WHERE upload_noted = 0 AND upload_done_at <= ?",
                (now,),
            ).fetchall()
        )

    def mark_desktop_upload_noted(self, attempt_id: str) -> bool:
        """True for the one caller that marks it (concurrent requests may race here)."""
        return bool(
            self.database.db.execute(
                "UPDATE desktop_sessions SET upload_noted = 1 "
                "WHERE attempt_id = ? AND upload_noted = 0",
                (attempt_id,),
            ).rowcount
        )

    def latest_desktop_attempt_id(self) -> str | None:
        """The attempt whose application was started last (pings and stops without an id)."""
        row = self.database.db.execute(
            "SELECT attempt_id FROM desktop_sessions WHERE started_at IS NOT NULL "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    # -- heartbeats -----------------------------------------------------------------

    def add_heartbeat(self, attempt_id: str, at: float, ok: bool) -> None:
        self.database.db.execute(
            "INSERT INTO heartbeats (attempt_id, at, ok) VALUES (?, ?, ?)",
            (attempt_id, at, int(ok)),
        )

    def list_heartbeats(self, attempt_id: str) -> list[dict[str, Any]]:
        return decode_all(
            self.database.db.execute(
                "SELECT at, ok FROM heartbeats WHERE attempt_id = ? ORDER BY at, id",
                (attempt_id,),
            ).fetchall()
        )
