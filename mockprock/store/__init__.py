"""The SQLite store: all of the provider's state, in one file.

``database`` holds the connections, transactions and the schema's version (the schema
itself is ``schema.sql``, later changes ``migrations/NNNN_*.sql``); each other module holds
the queries of one family of tables. ``Store`` is all of them together.
"""

from __future__ import annotations

from mockprock.store.attempts import AttemptQueries
from mockprock.store.callbacks import CallbackQueries
from mockprock.store.database import MIGRATIONS, Database, new_id
from mockprock.store.desktop_sessions import DesktopQueries
from mockprock.store.exams import ExamQueries
from mockprock.store.journal import JournalQueries
from mockprock.store.onboarding import OnboardingQueries
from mockprock.store.settings import SettingsQueries

__all__ = ["MIGRATIONS", "Database", "Store", "new_id"]


class Store(
    ExamQueries,
    AttemptQueries,
    DesktopQueries,
    OnboardingQueries,
    CallbackQueries,
    JournalQueries,
    SettingsQueries,
):
    """All of the provider's state, in one SQLite file."""

    def delete_user(self, client_id: str, user_id: str) -> bool:
        """Remove everything a client holds about a learner (attempts, their timelines,
        the onboarding profile); True when anything was there."""
        with self.transaction():
            attempts = self.list_attempts(user_id=user_id, client_id=client_id)
            for attempt in attempts:
                self.delete_attempt(attempt["id"])
            profile = self.delete_onboarding_profile(client_id, user_id)
        return bool(attempts) or profile

    def reset_client(self, client_id: str) -> None:
        """Wipe one client's state: its exams, their attempts (with everything that hangs
        off them), its onboarding profiles and its journal entries."""
        with self.transaction() as db:
            for attempt in self.list_attempts(client_id=client_id):
                self.delete_attempt(attempt["id"])
            db.execute("DELETE FROM exams WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM onboarding_profiles WHERE client_id = ?", (client_id,))
            db.execute("DELETE FROM journal WHERE client_id = ?", (client_id,))

    def reset(self) -> None:
        """Wipe the simulation's state; the signing key stays so issued tokens keep working."""
        with self.transaction() as db:
            # Tables go in any order; the references are checked once all are empty.
            db.execute("PRAGMA defer_foreign_keys = ON")
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT IN ('meta', 'sqlite_sequence')"
            ).fetchall():
                db.execute(f"DELETE FROM {table}")
