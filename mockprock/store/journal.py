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

    def list_journal(self, limit: int = 100, client_id: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` requests, oldest first; with ``client_id``, that client's."""
        if client_id is None:
            rows = self.db.execute("SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.db.execute(
                "SELECT * FROM journal WHERE client_id = ? ORDER BY id DESC LIMIT ?",
                (client_id, limit),
            )
        return decode_all(rows.fetchall())[::-1]

    def journal_mentioning(
        self, text: str, client_id: str, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The client's requests whose path holds ``text`` (an attempt's id), oldest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT * FROM journal WHERE client_id = ? AND path LIKE ? ESCAPE '\\' "
            "ORDER BY id DESC LIMIT ?",
            (client_id, pattern, limit),
        ).fetchall()
        return decode_all(rows)[::-1]
