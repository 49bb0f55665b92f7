"""The SQLite store: all of the provider's state, in one file.

``database`` holds the connections, transactions and the schema's version (the schema
itself is ``schema.sql``, later changes ``migrations/NNNN_*.sql``); each other module holds
the queries of one family of tables. ``Store`` is all of them together.
"""

from __future__ import annotations

import contextlib
import sqlite3

from mockprock.clock import Clock
from mockprock.errors import StoreFull
from mockprock.store.attempts import AttemptQueries
from mockprock.store.callbacks import CallbackQueries
from mockprock.store.database import MIGRATIONS, Database, new_id
from mockprock.store.desktop_sessions import DesktopQueries
from mockprock.store.exams import ExamQueries
from mockprock.store.journal import JournalQueries, WaitingEntries
from mockprock.store.onboarding import OnboardingQueries
from mockprock.store.scenarios import ScenarioQueries
from mockprock.store.settings import SettingsQueries
from mockprock.store.snapshots import SnapshotQueries

__all__ = ["MIGRATIONS", "Database", "Store", "new_id"]


class Store:
    """All of the provider's state, in one SQLite file: the database (connections,
    transactions, the schema's version) and the queries of each family of tables, held
    side by side (``store.exams``, ``store.attempts``, ...). The times it records are its
    ``clock``'s: the server's (the system's by default, a manual one in tests)."""

    def __init__(
        self, path: str, migrations: list[str] | None = None, clock: Clock | None = None
    ) -> None:
        self.clock = clock or Clock()
        self.waiting_journal = WaitingEntries()
        self.database = Database(path, migrations, before_commit=self.waiting_journal.write)
        self.exams = ExamQueries(self.database, self.clock)
        self.attempts = AttemptQueries(self.database, self.clock)
        self.desktop = DesktopQueries(self.database)
        self.onboarding = OnboardingQueries(self.database, self.clock)
        self.callbacks = CallbackQueries(self.database, self.attempts, self.clock)
        self.journal = JournalQueries(self.database, self.waiting_journal, self.clock)
        self.settings = SettingsQueries(self.database)
        self.scenarios = ScenarioQueries(self.database)
        self.snapshots = SnapshotQueries(self.database, self.attempts)

    def close(self) -> None:
        """Write the journal's waiting entries (when the store still can), then close."""
        with contextlib.suppress(sqlite3.Error, StoreFull):
            self.journal.flush_journal()
        self.database.close()

    def delete_user(self, client_id: str, user_id: str) -> bool:
        """Remove everything a client holds about a learner (attempts, their timelines,
        the onboarding profile); True when anything was there."""
        with self.database.transaction():
            attempts = self.attempts.list_attempts(user_id=user_id, client_id=client_id)
            for attempt in attempts:
                self.attempts.delete_attempt(attempt["id"])
            profile = self.onboarding.delete_onboarding_profile(client_id, user_id)
        return bool(attempts) or profile

    def reset_client(self, client_id: str) -> None:
        """Wipe one client's state: its exams, their attempts (with everything that hangs
        off them), its onboarding profiles, its journal entries and its scenario."""
        with self.database.transaction() as db:
            for attempt in self.attempts.list_attempts(client_id=client_id):
                self.attempts.delete_attempt(attempt["id"])
            db.execute("DELETE FROM exams WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM onboarding_profiles WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM journal WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM scenarios WHERE client_id = ?", (client_id,))

    def reset(self) -> None:
        """Wipe the simulation's state; the signing key stays so issued tokens keep working."""
        with self.database.transaction() as db:
            # Tables go in any order; the references are checked once all are empty.
            db.execute("PRAGMA defer_foreign_keys = ON")
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT IN ('meta', 'sqlite_sequence')"
            ).fetchall():
                db.execute(f"DELETE FROM {table}")
