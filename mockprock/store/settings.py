"""Queries on the store's own keys (meta, the token-signing key) and run-time settings."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from mockprock.store.database import Database


class SettingsQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    # Read once per store (see signing_key).
    _signing_key: str | None = None

    def get_meta(self, key: str) -> str | None:
        row = self.database.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.database.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def signing_key(self) -> str:
        """The provider's token-signing key, made once and kept: tokens survive a restart.

        Every authenticated request needs it, and it never changes (a reset keeps it), so
        it is read once rather than under a write lock per request."""
        if self._signing_key is None:
            with self.database.transaction():
                key = self.get_meta("signing_key")
                if key is None:
                    key = secrets.token_urlsafe(48)
                    self.set_meta("signing_key", key)
            self._signing_key = key
        return self._signing_key

    def session_secret(self) -> str:
        """The key signing the pages' session cookies, made once and kept (a dashboard
        opened from the LMS survives a restart; console sign-ins are held by the server
        and do not). Never logged or shown."""
        with self.database.transaction():
            key = self.get_meta("session_secret")
            if key is None:
                key = secrets.token_urlsafe(48)
                self.set_meta("session_secret", key)
        return key

    # -- simulation knobs changed at run time (control API) ------------------------

    def settings_overrides(self) -> dict[str, Any]:
        """The stored changes; one whose text is not JSON is left out (and left alone)."""
        rows = self.database.db.execute("SELECT name, value FROM settings_overrides").fetchall()
        found = {}
        for name, value in rows:
            with contextlib.suppress(ValueError, TypeError):
                found[name] = json.loads(value)
        return found

    def operator_settings(self) -> set[str]:
        """The stored changes a named operator (``--admin``) made, by name."""
        with contextlib.suppress(ValueError, TypeError):
            return set(json.loads(self.get_meta("operator_settings") or "[]"))
        return set()

    def save_settings_overrides(
        self, values: dict[str, Any], by_operator: Iterable[str] = ()
    ) -> None:
        """Keep ``values``; ``by_operator`` names those a named operator changed (the
        others are remembered as not set by one)."""
        by_operator = set(by_operator)
        with self.database.transaction() as db:
            kept = (self.operator_settings() - set(values)) | (by_operator & set(values))
            self.set_meta("operator_settings", json.dumps(sorted(kept)))
            for name, value in values.items():
                db.execute(
                    "INSERT INTO settings_overrides (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, json.dumps(value)),
                )

    def clear_settings_overrides(self, names: list[str] | None = None) -> None:
        """Forget the run-time settings changes (only ``names``, when given)."""
        with self.database.transaction() as db:
            if names is None:
                db.execute("DELETE FROM settings_overrides")
            else:
                db.executemany(
                    "DELETE FROM settings_overrides WHERE name = ?", [(n,) for n in names]
                )
