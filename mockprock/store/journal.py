"""Queries on the journal: provider-API requests, newest last, trimmed to a size per
client (requests of no client, refused ones, have a share of their own: they never
evict a client's entries)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

from mockprock.clock import Clock
from mockprock.store.database import Database, decode_all

# The waiting entries, handed over as one JSON array of rows.
BATCH_INSERT = (
    "INSERT INTO journal (at, method, path, status, client_id, request, response) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
    "json_extract(value, '$[5]'), json_extract(value, '$[6]') FROM json_each(?) ORDER BY key"
)


class WaitingEntries:
    """The journal is written in batches: a request's entry waits here, in memory, and
    goes into the next write transaction of any thread (the database calls
    :meth:`write` just before its COMMIT, so an entry costs no commit of its own), or
    when the dispatcher finds the server quiet, and when the store closes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[Any, ...]] = []
        self._since = 0.0  # time.monotonic() when the oldest waiting entry came
        self.keep = 500

    def add(self, entry: tuple[Any, ...], keep: int) -> None:
        with self._lock:
            if not self._entries:
                self._since = time.monotonic()
            self._entries.append(entry)
            self.keep = keep

    def any(self, older_than: float = 0.0) -> bool:
        """True when entries wait (the oldest for ``older_than`` seconds at least)."""
        with self._lock:
            return bool(self._entries) and time.monotonic() - self._since >= older_than

    def of(self, client_id: str | None, text: str | None = None) -> list[dict[str, Any]]:
        """The entries still in memory (of ``client_id`` when given, whose path holds
        ``text`` when given), oldest first, shaped as rows without an id (none yet)."""
        with self._lock:
            pending = list(self._entries)
        keys = ("at", "method", "path", "status", "client_id", "request", "response")
        shown = []
        for entry in pending:
            if (client_id is None or entry[4] == client_id) and (text is None or text in entry[2]):
                row = dict(zip(keys, entry, strict=True))
                row["request"] = json.loads(row["request"])
                shown.append(row)
        return shown

    def write(self, db: sqlite3.Connection) -> None:
        """Write what waits, in the transaction ``db`` is in, trimming each client's share."""
        with self._lock:
            pending, self._entries = self._entries, []
        if not pending:
            return
        # One statement for the whole batch: every statement run inside the write lock lets
        # go of the GIL (twice) and waits to get it back, and executemany steps once per row,
        # so the batch rode along each request's transaction as 2 x N waits.
        try:
            db.execute(BATCH_INSERT, (json.dumps(pending),))
        except sqlite3.OperationalError:  # a SQLite built without JSON
            db.executemany(
                "INSERT INTO journal (at, method, path, status, client_id, request, response) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                pending,
            )
        for client_id in {entry[4] for entry in pending}:
            db.execute(
                "DELETE FROM journal WHERE client_id IS ? AND id <= (SELECT id FROM journal "
                "WHERE client_id IS ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (client_id, client_id, self.keep),
            )


class JournalQueries:
    """Reading the journal writes nothing: what waits in memory is read with what is
    stored."""

    def __init__(self, database: Database, waiting: WaitingEntries, clock: Clock) -> None:
        self.database = database
        self.waiting = waiting
        self.clock = clock

    def journal_request(
        self,
        method: str,
        path: str,
        status: int,
        client_id: str | None,
        request: str,
        response: str,
        keep: int,
    ) -> None:
        """Keep a request (``request``: its query and body, as JSON text: made on the
        request's thread, so the write transaction taking the entry in runs SQL only)."""
        self.waiting.add(
            (self.clock.now(), method, path, status, client_id, request, response), keep
        )

    def flush_journal(self, older_than: float = 0.0) -> None:
        """Write the entries waiting in memory now (only if the oldest has waited
        ``older_than`` seconds: under load the requests' own transactions write them)."""
        if self.waiting.any(older_than) and not self.database.in_transaction:
            with self.database.transaction():
                pass  # the database writes them before its COMMIT

    def list_journal(self, limit: int = 100, client_id: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` requests, oldest first; with ``client_id``, that client's."""
        waiting = self.waiting.of(client_id)
        db = self.database.db
        if client_id is None:
            rows = db.execute("SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = db.execute(
                "SELECT * FROM journal WHERE client_id = ? ORDER BY id DESC LIMIT ?",
                (client_id, limit),
            )
        # What waits in memory may pass the size kept: show what the trim will keep.
        return (decode_all(rows.fetchall())[::-1] + waiting)[-min(limit, self.waiting.keep) :]

    def journal_mentioning(
        self, text: str, client_id: str, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The client's requests whose path holds ``text`` (an attempt's id), oldest first."""
        waiting = self.waiting.of(client_id, text)
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.database.db.execute(
            "SELECT * FROM journal WHERE client_id = ? AND path LIKE ? ESCAPE '\\' "
            "ORDER BY id DESC LIMIT ?",
            (client_id, pattern, limit),
        ).fetchall()
        return (decode_all(rows)[::-1] + waiting)[-min(limit, self.waiting.keep) :]
