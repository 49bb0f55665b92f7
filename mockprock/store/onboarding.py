"""Queries on onboarding profiles (one per learner per provider client)."""

from __future__ import annotations

import time
from typing import Any

from mockprock.store.database import Database, decode, decode_all


class OnboardingQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get_onboarding_profile(self, client_id: str, user_id: str) -> dict[str, Any] | None:
        return decode(
            self.database.db.execute(
                "SELECT * FROM onboarding_profiles WHERE client_id = ? AND user_id = ?",
                (client_id, user_id),
            ).fetchone()
        )

    def save_onboarding_profile(
        self,
        client_id: str,
        user_id: str,
        status: str,
        course_id: str | None,
        expiration_date: str | None,
    ) -> None:
        self.database.db.execute(
            "INSERT INTO onboarding_profiles (client_id, user_id, status, course_id, "
            "expiration_date, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (client_id, user_id) DO UPDATE SET "
            "status = excluded.status, course_id = excluded.course_id, "
            "expiration_date = excluded.expiration_date, updated_at = excluded.updated_at",
            (client_id, user_id, status, course_id, expiration_date, time.time()),
        )

    def delete_onboarding_profile(self, client_id: str, user_id: str) -> bool:
        return bool(
            self.database.db.execute(
                "DELETE FROM onboarding_profiles WHERE client_id = ? AND user_id = ?",
                (client_id, user_id),
            ).rowcount
        )

    def list_onboarding_profiles(self, client_id: str) -> list[dict[str, Any]]:
        return decode_all(
            self.database.db.execute(
                "SELECT * FROM onboarding_profiles WHERE client_id = ? ORDER BY user_id",
                (client_id,),
            ).fetchall()
        )
