"""Queries on exams."""

from __future__ import annotations

import json
from typing import Any

from mockprock.clock import Clock
from mockprock.errors import Conflict
from mockprock.store.database import Database, decode, decode_all, where


class ExamQueries:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def find_exam_id(self, client_id: str, lms_exam_id: Any, content_id: str) -> str | None:
        row = self.database.db.execute(
            "SELECT id FROM exams WHERE client_id = ? AND lms_exam_id IS ? AND content_id = ?",
            (client_id, lms_exam_id, content_id),
        ).fetchone()
        return row[0] if row else None

    def save_exam(self, exam_id: str, client_id: str, exam: dict[str, Any], payload: dict) -> bool:
        """Insert or update the exam ``exam_id``; True when it was new.

        Raises Conflict when another exam holds the same (client, LMS exam, content)."""
        now = self.clock.now()
        with self.database.transaction() as db:
            # Checked under the write lock, so no other writer can take the key meanwhile.
            # "=" as the unique index compares: two exams without an LMS id do not clash.
            holder = db.execute(
                "SELECT id FROM exams WHERE client_id = ? AND lms_exam_id = ? "
                "AND content_id = ? AND id != ?",
                (client_id, exam.get("lms_exam_id"), exam.get("content_id") or "", exam_id),
            ).fetchone()
            if holder is not None:
                raise Conflict(f"another exam already holds LMS exam {exam.get('lms_exam_id')}")
            existed = db.execute("SELECT 1 FROM exams WHERE id = ?", (exam_id,)).fetchone()
            values = (
                client_id,
                exam.get("lms_exam_id"),
                exam.get("course_id") or "",
                exam.get("content_id") or "",
                exam.get("exam_name") or "",
                exam.get("time_limit_mins"),
                int(bool(exam.get("is_proctored", True))),
                int(bool(exam.get("is_practice_exam", False))),
                int(bool(exam.get("is_active", True))),
                exam.get("due_date"),
                int(bool(exam.get("hide_after_due", False))),
                exam.get("backend"),
                json.dumps(exam.get("rules") or {}),
                json.dumps(payload),
            )
            if existed:
                db.execute(
                    "UPDATE exams SET client_id=?, lms_exam_id=?, course_id=?, content_id=?, "
                    "exam_name=?, time_limit_mins=?, is_proctored=?, is_practice_exam=?, "
                    "is_active=?, due_date=?, hide_after_due=?, backend=?, rules=?, payload=?, "
                    "updated_at=? WHERE id=?",
                    (*values, now, exam_id),
                )
            else:
                db.execute(
                    "INSERT INTO exams (client_id, lms_exam_id, course_id, content_id, exam_name, "
                    "time_limit_mins, is_proctored, is_practice_exam, is_active, due_date, "
                    "hide_after_due, backend, rules, payload, created_at, updated_at, id) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, now, now, exam_id),
                )
        return not existed

    def get_exam(self, exam_id: str, client_id: str | None = None) -> dict[str, Any] | None:
        """The exam; with ``client_id``, only if that client created it."""
        clause, args = where(("id = ?", exam_id), ("client_id = ?", client_id))
        return decode(self.database.db.execute(f"SELECT * FROM exams {clause}", args).fetchone())

    def list_exams(
        self, client_id: str | None = None, course_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The exams (of one client, of one course, when given), oldest first."""
        clause, args = where(("client_id = ?", client_id), ("course_id = ?", course_id))
        return decode_all(
            self.database.db.execute(
                f"SELECT * FROM exams {clause} ORDER BY created_at", args
            ).fetchall()
        )

    def attempt_counts_by_exam(self, client_id: str, course_id: str) -> dict[str, int]:
        """How many attempts each of the client's exams of the course has (exams without
        any are absent)."""
        rows = self.database.db.execute(
            "SELECT a.exam_id, COUNT(*) FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.client_id = ? AND e.course_id = ? GROUP BY a.exam_id",
            (client_id, course_id),
        ).fetchall()
        return {exam_id: count for exam_id, count in rows}
