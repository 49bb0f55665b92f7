"""Queries on scenarios: each provider client's (kept as the JSON it sent), the server's
own from ``--scenario`` (in ``meta``, written at each start), and the order of an attempt
among its learner's at its exam (the scenario's ``attempt`` match)."""

from __future__ import annotations

from typing import Any

from mockprock.store.database import Database

# The meta key holding the server's --scenario document (absent: none).
START_KEY = "start_scenario"


class ScenarioQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def in_use(self) -> bool:
        """Whether any scenario is loaded: one cheap query, so that without any the
        rules look nothing else up (a heartbeat asks)."""
        return bool(
            self.database.db.execute(
                "SELECT EXISTS (SELECT 1 FROM scenarios WHERE document IS NOT NULL) "
                "OR EXISTS (SELECT 1 FROM meta WHERE key = ?)",
                (START_KEY,),
            ).fetchone()[0]
        )

    def client_row(self, client_id: str) -> dict[str, Any] | None:
        """The client's own row: its ``document`` (None: the client cleared it) and when
        it was loaded; None when the client has none."""
        row = self.database.db.execute(
            "SELECT document, loaded_at FROM scenarios WHERE client_id = ?", (client_id,)
        ).fetchone()
        return {"document": row[0], "loaded_at": row[1]} if row else None

    def save_client_scenario(self, client_id: str, document: str | None, at: float) -> None:
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO scenarios (client_id, document, loaded_at) VALUES (?, ?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET document = excluded.document, "
                "loaded_at = excluded.loaded_at",
                (client_id, document, at),
            )

    def start_scenario(self) -> str | None:
        row = self.database.db.execute(
            "SELECT value FROM meta WHERE key = ?", (START_KEY,)
        ).fetchone()
        return row[0] if row else None

    def save_start_scenario(self, document: str | None) -> None:
        with self.database.transaction() as db:
            if document is None:
                db.execute("DELETE FROM meta WHERE key = ?", (START_KEY,))
            else:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (START_KEY, document),
                )

    def attempt_order(self, attempt: dict[str, Any]) -> int:
        """1 for the learner's first attempt at the exam the store holds, 2 for the
        second, ... (by registration time; attempts deleted since do not count)."""
        row = self.database.db.execute(
            "SELECT count(*) FROM attempts WHERE exam_id = ? AND user_id = ? AND "
            "(created_at < ? OR (created_at = ? AND rowid <= "
            "(SELECT rowid FROM attempts WHERE id = ?)))",
            (
                attempt["exam_id"],
                attempt["user_id"],
                attempt["created_at"],
                attempt["created_at"],
                attempt["id"],
            ),
        ).fetchone()
        return max(1, row[0])
