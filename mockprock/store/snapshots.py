"""Queries for state snapshots: one client's rows out as plain data, and back in.

What a snapshot holds, table by table (``TABLES``; a test checks that every table of the
schema is named here, so a new table gets a decision rather than being forgotten):

* ``exams``, ``onboarding_profiles``: the client's rows (their ``client_id`` names it).
* ``attempts``: those on the client's exams; each carries its rows of the per-attempt
  tables (``NESTED``): its timeline (``attempt_events``), its desktop application
  (``desktop_sessions``, ``heartbeats``) and its queued verdict (``review_decisions``).
* ``callbacks``: the outbox rows of those attempts, ids and bodies as stored (a queued
  verdict names its callback by id).
* ``scenarios``: the client's own scenario row (it decides what the client's attempts
  get next), its document as the JSON text the client sent; absent when the client has
  none (the server's ``--scenario`` then applies, and is the server's, not the client's).
* ``journal``: left out. It is the history of requests, not state the rules read; a load
  keeps the client's journal as it was (``POST /reset`` wipes it).
* ``settings_overrides``: left out. They are the server's settings, shared by every
  client (a guest client's own settings are held in memory; the provider adds them).
* ``meta``: left out. It holds the token-signing key, the session secret and which
  settings an operator set: secrets, and the server's own.
* ``sqlite_sequence``: SQLite's own counters.

Rows come out decoded as ``database.decode`` gives them (JSON columns parsed, flags as
bools), every column but the ids a nested row needs no more (its ``attempt_id``, and the
counter ids of events and heartbeats, whose order the list keeps). No rules here: the
provider checks a document before it reaches :meth:`SnapshotQueries.replace_client`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mockprock.statuses import EVENT_CALLBACK
from mockprock.store.attempts import CLIENT_OWNS_ATTEMPT, AttemptQueries
from mockprock.store.database import BOOL_COLUMNS, JSON_COLUMNS, Database, decode_all

TABLES = {
    "exams": "state",
    "attempts": "state",
    "attempt_events": "state, in its attempt",
    "desktop_sessions": "state, in its attempt",
    "heartbeats": "state, in its attempt",
    "review_decisions": "state, in its attempt",
    "callbacks": "state",
    "onboarding_profiles": "state",
    "scenarios": "state: the client's own scenario",
    "journal": "left out: history, not state",
    "settings_overrides": "left out: the server's, shared by every client",
    "meta": "left out: secrets and the server's own keys",
    "sqlite_sequence": "left out: SQLite's counters",
}


@dataclass(frozen=True)
class Nested:
    """A per-attempt table as a snapshot nests it in its attempt: under ``key``, a list
    (ordered by ``order``) or one row (``one``), without the columns in ``omit``."""

    table: str
    key: str
    order: str
    one: bool = False
    omit: tuple[str, ...] = ("attempt_id",)


NESTED = (
    Nested("attempt_events", "events", "id", omit=("attempt_id", "id")),
    Nested("desktop_sessions", "desktop_session", "attempt_id", one=True),
    Nested("heartbeats", "heartbeats", "at, id", omit=("attempt_id", "id")),
    Nested("review_decisions", "review_decision", "attempt_id", one=True),
)
# The top-level lists, each in its order.
ORDER = {
    "exams": "created_at, rowid",
    "attempts": "created_at, rowid",
    "callbacks": "id",
    "onboarding_profiles": "user_id",
    "scenarios": "client_id",
}


@dataclass(frozen=True)
class Column:
    """One column of a table as SQLite declares it."""

    name: str
    type: str  # TEXT, INTEGER or REAL
    required: bool  # NOT NULL, or the primary key


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    """A decoded row as SQLite keeps it (JSON as text, flags as 0 or 1)."""
    out = {}
    for name, value in row.items():
        if name in JSON_COLUMNS:
            value = json.dumps(value)
        elif name in BOOL_COLUMNS and value is not None:
            value = int(value)
        out[name] = value
    return out


class SnapshotQueries:
    def __init__(self, database: Database, attempts: AttemptQueries) -> None:
        self.database = database
        self.attempts = attempts
        # Each table's columns, read once (the schema is fixed once the store is open).
        self._column_names: dict[str, list[str]] = {}

    def columns(self, table: str, omit: tuple[str, ...] = ()) -> list[Column]:
        """The table's columns, in their order, less ``omit``."""
        rows = self.database.db.execute(
            'SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid', (table,)
        ).fetchall()
        return [
            Column(name, kind.upper(), bool(notnull or pk))
            for name, kind, notnull, pk in rows
            if name not in omit
        ]

    def tables(self) -> set[str]:
        """Every table the store has."""
        rows = self.database.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows.fetchall()}

    # -- out ------------------------------------------------------------------------

    def export_client(self, client_id: str) -> dict[str, list[dict[str, Any]]]:
        """The client's rows: ``exams``, ``attempts`` (each with its nested rows),
        ``callbacks``, ``onboarding_profiles`` and ``scenarios``, read in one transaction."""
        owned = f"attempt_id IN (SELECT id FROM attempts WHERE {CLIENT_OWNS_ATTEMPT})"
        with self.database.transaction() as db:

            def rows(table: str, clause: str) -> list[dict[str, Any]]:
                sql = f"SELECT * FROM {table} WHERE {clause} ORDER BY {ORDER.get(table, '1')}"
                return decode_all(db.execute(sql, (client_id,)).fetchall())

            found = {
                "exams": rows("exams", "client_id = ?"),
                "attempts": rows("attempts", CLIENT_OWNS_ATTEMPT),
                "callbacks": rows("callbacks", owned),
                "onboarding_profiles": rows("onboarding_profiles", "client_id = ?"),
                "scenarios": rows("scenarios", "client_id = ?"),
            }
            by_attempt = {attempt["id"]: attempt for attempt in found["attempts"]}
            for nested in NESTED:
                for attempt in by_attempt.values():
                    attempt[nested.key] = None if nested.one else []
                sql = f"SELECT * FROM {nested.table} WHERE {owned} ORDER BY {nested.order}"
                for row in decode_all(db.execute(sql, (client_id,)).fetchall()):
                    attempt = by_attempt[row["attempt_id"]]
                    row = {k: v for k, v in row.items() if k not in nested.omit}
                    if nested.one:
                        attempt[nested.key] = row
                    else:
                        attempt[nested.key].append(row)
        return found

    def ids_of_others(self, client_id: str, table: str, ids: list[str]) -> list[str]:
        """Those of ``ids`` another client's ``exams`` or ``attempts`` row holds."""
        mine = "client_id = ?" if table == "exams" else CLIENT_OWNS_ATTEMPT
        rows = self.database.db.execute(
            f"SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?)) AND NOT ({mine})",
            (json.dumps(ids), client_id),
        ).fetchall()
        return [r[0] for r in rows]

    # -- in -------------------------------------------------------------------------

    def replace_client(
        self, client_id: str, state: dict[str, list[dict[str, Any]]], on_commit: Any = None
    ) -> None:
        """Delete the client's rows and insert ``state``'s (as ``export_client`` gives
        them, already checked), all in one transaction; ``on_commit`` runs after it.

        A callback keeps its id unless another client's callback holds it (a document
        from another store): it then gets a new one, and its verdict and timeline follow."""
        with self.database.transaction(on_commit=on_commit) as db:
            for attempt in self.attempts.list_attempts(client_id=client_id):
                self.attempts.delete_attempt(attempt["id"])
            db.execute("DELETE FROM exams WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM onboarding_profiles WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM scenarios WHERE client_id = ?", (client_id,))
            for exam in state["exams"]:
                self._insert("exams", exam)
            for attempt in state["attempts"]:
                self._insert("attempts", attempt)
            new_ids = {}
            for callback in state["callbacks"]:
                taken = db.execute("SELECT 1 FROM callbacks WHERE id = ?", (callback["id"],))
                row = dict(callback)
                if taken.fetchone():
                    del row["id"]
                new_ids[callback["id"]] = self._insert("callbacks", row)
            for attempt in state["attempts"]:
                for nested in NESTED:
                    found = attempt[nested.key]
                    for row in ([found] if found else []) if nested.one else found:
                        row = {**row, "attempt_id": attempt["id"]}
                        if nested.table == "review_decisions" and row["callback_id"] is not None:
                            row["callback_id"] = new_ids.get(row["callback_id"], row["callback_id"])
                        detail = row.get("detail")
                        if row.get("kind") == EVENT_CALLBACK and isinstance(detail, dict):
                            old = detail.get("callback_id")
                            if isinstance(old, int) and new_ids.get(old, old) != old:
                                row["detail"] = {**row["detail"], "callback_id": new_ids[old]}
                        self._insert(nested.table, row)
            for profile in state["onboarding_profiles"]:
                self._insert("onboarding_profiles", profile)
            for scenario in state["scenarios"]:
                self._insert("scenarios", scenario)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert ``row``'s values of the table's columns (other keys are not columns)."""
        if table not in self._column_names:
            self._column_names[table] = [c.name for c in self.columns(table)]
        encoded = _encode({k: row[k] for k in self._column_names[table] if k in row})
        names = ", ".join(encoded)
        marks = ", ".join("?" * len(encoded))
        cursor = self.database.db.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks})", list(encoded.values())
        )
        return int(cursor.lastrowid)
