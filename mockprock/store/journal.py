"""Queries on the journal: provider-API requests, newest last, trimmed to a size."""

from __future__ import annotations

import json
import time
from typing import Any

from mockprock.store.database import Database, decode_all


class JournalQueries(Database):
    def journal_request(
        self,
        method: str,
        path: str,
        status: int,
        client_id: str | None,
        request: dict[str, Any],
        response: str,
        keep: int,
    ) -> None:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO journal (at, method, path, status, client_id, request, response) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), method, path, status, client_id, json.dumps(request), response),
            )
            db.execute("DELETE FROM journal WHERE id <= ?", (cursor.lastrowid - keep,))

    def list_journal(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return decode_all(rows)[::-1]

    def journal_mentioning(self, text: str, limit: int = 200) -> list[dict[str, Any]]:
        """The journal's requests whose path holds ``text`` (an attempt's id), oldest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT * FROM journal WHERE path LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return decode_all(rows)[::-1]
