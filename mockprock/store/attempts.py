"""Queries on attempts and their timelines (attempt events)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from mockprock.statuses import CREATED
from mockprock.store.database import Database, decode, decode_all, new_id

# Tables whose rows belong to one attempt: they go when the attempt goes.
ATTEMPT_TABLES = (
    "attempt_events",
    "callbacks",
    "review_decisions",
    "desktop_sessions",
    "heartbeats",
)

# An attempt belongs to the client whose exam holds it (the parameter: the client's id).
CLIENT_OWNS_ATTEMPT = "exam_id IN (SELECT id FROM exams WHERE client_id = ?)"


class AttemptQueries(Database):
    def create_attempt(self, exam_id: str, attempt: dict[str, Any], payload: dict) -> str:
        attempt_id = new_id()
        now = time.time()
        status = attempt.get("status") or CREATED
        with self.transaction() as db:
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
            self.add_event(attempt_id, "registered", {"status": status})
        return attempt_id

    def get_attempt(
        self, attempt_id: str, exam_id: str | None = None, client_id: str | None = None
    ) -> dict[str, Any] | None:
        """The attempt; with ``exam_id``, only if it belongs to that exam; with
        ``client_id``, only if that client's exam holds it."""
        clauses, args = ["id = ?"], [attempt_id]
        if exam_id is not None:
            clauses.append("exam_id = ?")
            args.append(exam_id)
        if client_id is not None:
            clauses.append(CLIENT_OWNS_ATTEMPT)
            args.append(client_id)
        row = self.db.execute(f"SELECT * FROM attempts WHERE {' AND '.join(clauses)}", args)
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
        clauses, args = [], []
        if exam_id is not None:
            clauses.append("exam_id = ?")
            args.append(exam_id)
        if user_id is not None:
            clauses.append("user_id = ?")
            args.append(user_id)
        if client_id is not None:
            clauses.append(CLIENT_OWNS_ATTEMPT)
            args.append(client_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        page = ""
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return decode_all(
            self.db.execute(
                f"SELECT * FROM attempts {where} ORDER BY created_at, rowid{page}", args
            ).fetchall()
        )

    def latest_attempt_id(self, statuses: Iterable[str] = ()) -> str | None:
        """The attempt registered last (in one of ``statuses``, when given): where a
        desktop start without an id goes."""
        statuses = tuple(statuses)
        where = f"WHERE status IN ({','.join('?' * len(statuses))})" if statuses else ""
        row = self.db.execute(
            f"SELECT id FROM attempts {where} ORDER BY created_at DESC, rowid DESC LIMIT 1",
            statuses,
        ).fetchone()
        return row[0] if row else None

    def learners_in_course(self, client_id: str, course_id: str) -> list[str]:
        """Every learner with an attempt on one of the client's exams of the course."""
        rows = self.db.execute(
            "SELECT DISTINCT a.user_id FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.client_id = ? AND e.course_id = ? AND a.user_id != '' ORDER BY a.user_id",
            (client_id, course_id),
        ).fetchall()
        return [r[0] for r in rows]

    def set_attempt_status(self, attempt_id: str, status: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE attempts SET status = ?, updated_at = ? WHERE id = ?",
                (status, time.time(), attempt_id),
            )
            self.add_event(attempt_id, "status", {"status": status})

    def delete_attempt(self, attempt_id: str) -> bool:
        with self.transaction() as db:
            deleted = db.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,)).rowcount
            for table in ATTEMPT_TABLES:
                db.execute(f"DELETE FROM {table} WHERE attempt_id = ?", (attempt_id,))
        return bool(deleted)

    # -- the timeline ---------------------------------------------------------------

    def add_event(self, attempt_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO attempt_events (attempt_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (attempt_id, time.time(), kind, json.dumps(detail or {})),
        )

    def list_events(self, attempt_id: str) -> list[dict[str, Any]]:
        return decode_all(
            self.db.execute(
                "SELECT at, kind, detail FROM attempt_events WHERE attempt_id = ? ORDER BY id",
                (attempt_id,),
            ).fetchall()
        )
