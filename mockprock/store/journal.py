"""Queries on the journal: provider-API requests, newest last, trimmed to a size per
client (requests of no client, refused ones, have a share of their own: they never
evict a client's entries)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from typing import Any

from mockprock.errors import StoreFull
from mockprock.store.database import Database, decode_all


class JournalQueries(Database):
    """The journal is written in batches: a request's entry waits in memory and goes
    into the next write transaction of any thread (it costs no commit of its own), or
    when the dispatcher finds the server quiet, and when the store closes. Reading it
    writes nothing: what waits in memory is read with what is stored."""

    def __init__(self, path: str, migrations: list[str] | None = None) -> None:
        self._journal_lock = threading.Lock()
        self._journal_pending: list[tuple[Any, ...]] = []
        self._journal_keep = 500
        super().__init__(path, migrations)

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
        entry = (time.time(), method, path, status, client_id, request, response)
        with self._journal_lock:
            self._journal_pending.append(entry)
            self._journal_keep = keep

    def before_commit(self, db: sqlite3.Connection) -> None:
        super().before_commit(db)
        with self._journal_lock:
            pending, self._journal_pending = self._journal_pending, []
        if not pending:
            return
        db.executemany(
            "INSERT INTO journal (at, method, path, status, client_id, request, response) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*entry[:5], json.dumps(entry[5]), entry[6]) for entry in pending],
        )
        for client_id in {entry[4] for entry in pending}:
            db.execute(
                "DELETE FROM journal WHERE client_id IS ? AND id <= (SELECT id FROM journal "
                "WHERE client_id IS ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (client_id, client_id, self._journal_keep),
            )

    def flush_journal(self) -> None:
        """Write the entries waiting in memory now."""
        with self._journal_lock:
            waiting = bool(self._journal_pending)
        if waiting and not self.in_transaction:
            with self.transaction():
                pass  # before_commit writes them

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error, StoreFull):
            self.flush_journal()
        super().close()

    def _waiting(self, client_id: str | None, text: str | None = None) -> list[dict[str, Any]]:
        """The entries still in memory (of ``client_id`` when given, whose path holds
        ``text`` when given), oldest first, shaped as rows without an id (none yet)."""
        with self._journal_lock:
            pending = list(self._journal_pending)
        keys = ("at", "method", "path", "status", "client_id", "request", "response")
        return [
            dict(zip(keys, entry, strict=True))
            for entry in pending
            if (client_id is None or entry[4] == client_id) and (text is None or text in entry[2])
        ]

    def list_journal(self, limit: int = 100, client_id: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` requests, oldest first; with ``client_id``, that client's."""
        waiting = self._waiting(client_id)
        if client_id is None:
            rows = self.db.execute("SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.db.execute(
                "SELECT * FROM journal WHERE client_id = ? ORDER BY id DESC LIMIT ?",
                (client_id, limit),
            )
        # What waits in memory may pass the size kept: show what the trim will keep.
        return (decode_all(rows.fetchall())[::-1] + waiting)[-min(limit, self._journal_keep) :]

    def journal_mentioning(
        self, text: str, client_id: str, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The client's requests whose path holds ``text`` (an attempt's id), oldest first."""
        waiting = self._waiting(client_id, text)
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT * FROM journal WHERE client_id = ? AND path LIKE ? ESCAPE '\\' "
            "ORDER BY id DESC LIMIT ?",
            (client_id, pattern, limit),
        ).fetchall()
        return (decode_all(rows)[::-1] + waiting)[-min(limit, self._journal_keep) :]
