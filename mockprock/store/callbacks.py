"""Queries on the outbox (callbacks to the LMS) and on the verdicts queued for attempts.

The outbox's states are its own (mockprock.statuses); here they are only parameters."""

from __future__ import annotations

import json
from typing import Any

from mockprock.clock import Clock
from mockprock.statuses import CALLBACK_BY_RULE, CALLBACK_PENDING
from mockprock.store.attempts import CLIENT_OWNS_ATTEMPT, AttemptQueries
from mockprock.store.database import Database, decode, decode_all, where


class CallbackQueries:
    def __init__(self, database: Database, attempts: AttemptQueries, clock: Clock) -> None:
        self.database = database
        self.attempts = attempts
        self.clock = clock

    def insert_callback(
        self,
        kind: str,
        attempt_id: str,
        url: str,
        payload: dict[str, Any],
        state: str,
        due_at: float,
        source: str = CALLBACK_BY_RULE,
    ) -> int:
        now = self.clock.now()
        cursor = self.database.db.execute(
            "INSERT INTO callbacks (kind, attempt_id, url, payload, state, due_at, source, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, attempt_id, url, json.dumps(payload), state, due_at, source, now, now),
        )
        return int(cursor.lastrowid)

    def get_callback(self, callback_id: int) -> dict[str, Any] | None:
        return decode(
            self.database.db.execute(
                "SELECT * FROM callbacks WHERE id = ?", (callback_id,)
            ).fetchone()
        )

    def list_callbacks(
        self,
        attempt_id: str | None = None,
        kind: str | None = None,
        states: tuple[str, ...] = (),
        limit: int = 1000,
        client_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The callbacks, oldest first; with ``client_id``, only those of its attempts."""
        owned = f"attempt_id IN (SELECT id FROM attempts WHERE {CLIENT_OWNS_ATTEMPT})"
        if client_id is not None and (attempt_id or self.attempts.holds_many(client_id)):
            # Check each callback's attempt (one attempt's; or walking the newest callbacks)
            # rather than list every attempt of a client that has many (the console's
            # outbox, its 3-second refresh, `mockprock status`'s verdicts).
            owned = (
                "EXISTS (SELECT 1 FROM attempts a JOIN exams e ON e.id = a.exam_id "
                "WHERE a.id = callbacks.attempt_id AND e.client_id = ?)"
            )
        clause, args = where(
            (owned, client_id),
            ("attempt_id = ?", attempt_id),
            ("kind = ?", kind),
            ("state IN ?", tuple(states)),
        )
        rows = self.database.db.execute(
            f"SELECT * FROM callbacks {clause} ORDER BY id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return decode_all(rows)[::-1]

    def due_callbacks(self, now: float, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.database.db.execute(
            "SELECT * FROM callbacks WHERE state = ? AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (CALLBACK_PENDING, now, limit),
        ).fetchall()
        return decode_all(rows)

    def where_callbacks_stand(
        self, ids: list[int], client_id: str | None = None
    ) -> dict[int, dict[str, Any]]:
        """The ``state``, ``tries`` and ``due_at`` of the callbacks ``ids``, by id (any
        number of them: one parameter); with ``client_id``, only those of its attempts."""
        clause, args = where(
            ("id IN (SELECT value FROM json_each(?))", json.dumps(ids)),
            (f"attempt_id IN (SELECT id FROM attempts WHERE {CLIENT_OWNS_ATTEMPT})", client_id),
        )
        rows = self.database.db.execute(
            f"SELECT id, state, tries, due_at FROM callbacks {clause}", args
        ).fetchall()
        return {row["id"]: row for row in decode_all(rows)}

    def pending_callbacks(self, client_id: str) -> tuple[int, float | None]:
        """How many of the client's callbacks wait for their due time, and the soonest."""
        count, soonest = self.database.db.execute(
            "SELECT COUNT(*), MIN(due_at) FROM callbacks WHERE state = ? AND attempt_id IN "
            f"(SELECT id FROM attempts WHERE {CLIENT_OWNS_ATTEMPT})",
            (CALLBACK_PENDING, client_id),
        ).fetchone()
        return count, soonest

    def next_callback_due_at(self) -> float | None:
        row = self.database.db.execute(
            "SELECT MIN(due_at) FROM callbacks WHERE state = ?", (CALLBACK_PENDING,)
        )
        return row.fetchone()[0]

    def update_callback(
        self, callback_id: int, only_if_state: tuple[str, ...] = (), **fields: Any
    ) -> bool:
        """Set ``fields`` on a callback (only while in one of ``only_if_state``, when given);
        True when the row was changed. The state guard is how the dispatcher claims a row
        and how a request thread avoids touching one that is being sent."""
        fields["updated_at"] = self.clock.now()
        if "payload" in fields:
            fields["payload"] = json.dumps(fields["payload"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE callbacks SET {assignments} WHERE id = ?"
        args: list[Any] = [*fields.values(), callback_id]
        if only_if_state:
            sql += f" AND state IN ({','.join('?' * len(only_if_state))})"
            args.extend(only_if_state)
        return bool(self.database.db.execute(sql, args).rowcount)

    def move_callbacks(self, from_state: str, to_state: str) -> int:
        """Move every callback in ``from_state`` to ``to_state``; how many moved."""
        return self.database.db.execute(
            "UPDATE callbacks SET state = ?, updated_at = ? WHERE state = ?",
            (to_state, self.clock.now(), from_state),
        ).rowcount

    # -- review decisions -----------------------------------------------------------

    def get_review_decision(self, attempt_id: str) -> dict[str, Any] | None:
        return decode(
            self.database.db.execute(
                "SELECT * FROM review_decisions WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
        )

    def save_review_decision(
        self,
        attempt_id: str,
        status: str,
        comments: list[dict[str, Any]],
        reviewed_by: str | None,
        delay_seconds: float | None,
        source: str,
    ) -> None:
        """Queue a verdict for an attempt, replacing any earlier one."""
        self.database.db.execute(
            "INSERT OR REPLACE INTO review_decisions (attempt_id, status, comments, reviewed_by, "
            "delay_seconds, source, callback_id, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            (
                attempt_id,
                status,
                json.dumps(comments),
                reviewed_by,
                delay_seconds,
                source,
                self.clock.now(),
            ),
        )

    def link_review_decision(self, attempt_id: str, callback_id: int) -> None:
        self.database.db.execute(
            "UPDATE review_decisions SET callback_id = ? WHERE attempt_id = ?",
            (callback_id, attempt_id),
        )
