"""Queries on attempts and their timelines (attempt events)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from mockprock.statuses import CREATED, EVENT_REGISTERED, EVENT_STATUS
from mockprock.store.database import Database, decode, decode_all, new_id, where

# Tables whose rows belong to one attempt (those with an ``attempt_id`` column, read from
# the schema itself, so a new table is never forgotten): they go when the attempt goes.
ATTEMPT_TABLES_SQL = (
    "SELECT m.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS c "
    "WHERE m.type = 'table' AND c.name = 'attempt_id' ORDER BY m.name"
)

# An attempt belongs to the client whose exam holds it (the parameter: the client's id).
CLIENT_OWNS_ATTEMPT = "exam_id IN (SELECT id FROM exams WHERE client_id = ?)"


class AttemptQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create_attempt(self, exam_id: str, attempt: dict[str, Any], payload: dict) -> str:
        attempt_id = new_id()
        now = time.time()
        status = attempt.get("status") or CREATED
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO attempts (id, exam_id, user_id, full_name, email, lms_host, "
                "time_limit_mins, is_sample_attempt, status, review_policy, "
                "review_policy_exception, exam_return_url, payload, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt_id,
                    exam_id,
                    str(attempt.get("user_id") or ""),
                    attempt.get("full_name"),
                    attempt.get("email"),
                    attempt.get("lms_host") or "",
                    attempt.get("time_limit_mins"),
                    int(bool(attempt.get("is_sample_attempt"))),
                    status,
                    attempt.get("review_policy"),
                    attempt.get("review_policy_exception"),
                    attempt.get("exam_return_url"),
                    json.dumps(payload),
                    now,
                    now,
                ),
            )
            self.add_event(attempt_id, EVENT_REGISTERED, {"status": status})
        return attempt_id

    def get_attempt(
        self, attempt_id: str, exam_id: str | None = None, client_id: str | None = None
    ) -> dict[str, Any] | None:
        """The attempt; with ``exam_id``, only if it belongs to that exam; with
        ``client_id``, only if that client's exam holds it."""
        clause, args = where(
            ("id = ?", attempt_id), ("exam_id = ?", exam_id), (CLIENT_OWNS_ATTEMPT, client_id)
        )
        row = self.database.db.execute(f"SELECT * FROM attempts {clause}", args)
        return decode(row.fetchone())

    def list_attempts(
        self,
        exam_id: str | None = None,
        user_id: str | None = None,
        client_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Attempts, oldest first; ``limit`` and ``offset`` select a page in SQL."""
        clause, args = where(
            ("exam_id = ?", exam_id), ("user_id = ?", user_id), (CLIENT_OWNS_ATTEMPT, client_id)
        )
        page = ""
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return decode_all(
            self.database.db.execute(
                f"SELECT * FROM attempts {clause} ORDER BY created_at, rowid{page}", args
            ).fetchall()
        )

    def latest_attempt_id(self, statuses: Iterable[str] = ()) -> str | None:
        """The attempt registered last (in one of ``statuses``, when given): where a
        desktop start without an id goes."""
        clause, args = where(("status IN ?", tuple(statuses)))
        row = self.database.db.execute(
            f"SELECT id FROM attempts {clause} ORDER BY created_at DESC, rowid DESC LIMIT 1",
            args,
        ).fetchone()
        return row[0] if row else None

    def learners_in_course(self, client_id: str, course_id: str) -> list[str]:
        """Every learner with an attempt on one of the client's exams of the course."""
        rows = self.database.db.execute(
            "SELECT DISTINCT a.user_id FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.client_id = ? AND e.course_id = ? AND a.user_id != '' ORDER BY a.user_id",
            (client_id, course_id),
        ).fetchall()
        return [r[0] for r in rows]

    def set_attempt_status(self, attempt_id: str, status: str) -> None:
        with self.database.transaction() as db:
            db.execute(
                "UPDATE attempts SET status = ?, updated_at = ? WHERE id = ?",
                (status, time.time(), attempt_id),
            )
            self.add_event(attempt_id, EVENT_STATUS, {"status": status})

    def delete_attempt(self, attempt_id: str) -> bool:
        with self.database.transaction() as db:
            deleted = db.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,)).rowcount
            for (table,) in db.execute(ATTEMPT_TABLES_SQL).fetchall():
                db.execute(f"DELETE FROM {table} WHERE attempt_id = ?", (attempt_id,))
        return bool(deleted)

    # -- the timeline ---------------------------------------------------------------

    def add_event(self, attempt_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        self.database.db.execute(
            "INSERT INTO attempt_events (attempt_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (attempt_id, time.time(), kind, json.dumps(detail or {})),
        )

    def list_events(self, attempt_id: str) -> list[dict[str, Any]]:
        return decode_all(
            self.database.db.execute(
                "SELECT at, kind, detail FROM attempt_events WHERE attempt_id = ? ORDER BY id",
                (attempt_id,),
            ).fetchall()
        )
