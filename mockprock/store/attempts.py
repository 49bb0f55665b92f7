"""Queries on attempts and their timelines (attempt events)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from mockprock.clock import Clock
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


# Ids starting with a prefix (the parameter: ``id_glob``'s pattern), found through the
# primary key's index whatever else the query filters by.
ID_STARTS = "id IN (SELECT id FROM attempts WHERE id GLOB ?)"

# Past this many matching attempts, a page walks the attempts by creation time instead of
# sorting the matches: sorting a few is cheaper than a walk past other clients' attempts.
WALK_FROM = 2000


def id_glob(prefix: str | None) -> str | None:
    """A GLOB pattern for ids starting with ``prefix`` (one the primary key's index
    answers); a prefix no id can have (ids are hex) matches nothing."""
    if prefix is None:
        return None
    return f"{prefix}*" if re.fullmatch(r"[0-9a-f]*", prefix) else "-"


class AttemptQueries:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def create_attempt(self, exam_id: str, attempt: dict[str, Any], payload: dict) -> str:
        attempt_id = new_id()
        now = self.clock.now()
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
        id_prefix: str | None = None,
    ) -> list[dict[str, Any]]:
        """Attempts, oldest first; ``limit`` and ``offset`` select a page in SQL;
        ``id_prefix``: those whose id starts with it."""
        clause, args = where(
            ("exam_id = ?", exam_id),
            ("user_id = ?", user_id),
            (CLIENT_OWNS_ATTEMPT, client_id),
            (ID_STARTS, id_glob(id_prefix)),
        )
        page, table = "", "attempts"
        if limit is not None:
            page = " LIMIT ? OFFSET ?"
            args += [limit, offset]
            if client_id and not (exam_id or user_id or id_prefix) and self.holds_many(client_id):
                # A page of a client with many attempts: walk them by creation time rather
                # than sort them all (the control API's pages).
                table = "attempts INDEXED BY attempts_by_creation"
        return decode_all(
            self.database.db.execute(
                f"SELECT * FROM {table} {clause} ORDER BY created_at, rowid{page}", args
            ).fetchall()
        )

    def newest_page(
        self,
        client_id: str,
        status: str | None = None,
        text: str | None = None,
        limit: int = 50,
        offset: int = 0,
        id_prefix: str | None = None,
        counted: bool = True,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the client's attempts, newest first, each with its exam's name, and
        how many there are in all: filtered (``status``; ``text`` found, in any case, in
        the attempt's id, learner, name, email or exam name), counted (unless not
        ``counted``: -1) and paged in SQL."""
        haystack = (
            "instr(lower(a.id || ' ' || a.user_id || ' ' || coalesce(a.full_name, '') || ' ' "
            "|| coalesce(a.email, '') || ' ' || e.exam_name), ?) > 0"
        )
        clause, args = where(
            ("e.client_id = ?", client_id),
            ("a.status = ?", status),
            (haystack, text.lower() if text else None),
            ("a." + ID_STARTS, id_glob(id_prefix)),
        )
        db = self.database.db
        joined = f"FROM attempts a JOIN exams e ON e.id = a.exam_id {clause}"
        if text:
            # A text search reads every attempt of the client once: the page and the count
            # come from that one pass (a window over the matches).
            rows = db.execute(
                f"SELECT a.*, e.exam_name AS exam_name, COUNT(*) OVER () AS total {joined} "
                "ORDER BY a.created_at DESC, a.rowid DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
            if not rows and not offset:
                return [], 0
            if rows:
                found = decode_all(rows)
                total = found[0]["total"]
                for row in found:
                    del row["total"]
                return found, total
        if counted:
            total = db.execute(f"SELECT COUNT(*) {joined}", args).fetchone()[0]
            walk = total > WALK_FROM
        else:  # the caller needs no count: -1, and a bounded look decides how to read
            total, walk = -1, not id_prefix and self.holds_many(client_id)
        if walk:
            # Many rows: walk the attempts newest first (by their creation index) until the
            # page is full, rather than sorting them all (CROSS JOIN fixes that order).
            joined = f"FROM attempts a CROSS JOIN exams e ON e.id = a.exam_id {clause}"
        rows = db.execute(
            f"SELECT a.*, e.exam_name AS exam_name {joined} "
            "ORDER BY a.created_at DESC, a.rowid DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return decode_all(rows), total

    def holds_many(self, client_id: str) -> bool:
        """True when the client has more than ``WALK_FROM`` attempts (counted no further):
        its rows are then found faster by walking a table newest first than by listing
        its attempts."""
        found = self.database.db.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM attempts WHERE {CLIENT_OWNS_ATTEMPT} LIMIT ?)",
            (client_id, WALK_FROM + 1),
        ).fetchone()[0]
        return found > WALK_FROM

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
                (status, self.clock.now(), attempt_id),
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
            (attempt_id, self.clock.now(), kind, json.dumps(detail or {})),
        )

    def list_events(self, attempt_id: str) -> list[dict[str, Any]]:
        return decode_all(
            self.database.db.execute(
                "SELECT at, kind, detail FROM attempt_events WHERE attempt_id = ? ORDER BY id",
                (attempt_id,),
            ).fetchall()
        )
