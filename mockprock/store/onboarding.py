"""Queries on onboarding profiles (one per learner)."""

from __future__ import annotations

import time
from typing import Any

from mockprock.store.database import Database, decode, decode_all


class OnboardingQueries(Database):
    def get_onboarding_profile(self, user_id: str) -> dict[str, Any] | None:
        return decode(
            self.db.execute(
                "SELECT * FROM onboarding_profiles WHERE user_id = ?", (user_id,)
            ).fetchone()
        )

    def save_onboarding_profile(
        self, user_id: str, status: str, course_id: str | None, expiration_date: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO onboarding_profiles (user_id, status, course_id, expiration_date, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "status = excluded.status, course_id = excluded.course_id, "
            "expiration_date = excluded.expiration_date, updated_at = excluded.updated_at",
            (user_id, status, course_id, expiration_date, time.time()),
        )

    def delete_onboarding_profile(self, user_id: str) -> bool:
        return bool(
            self.db.execute(
                "DELETE FROM onboarding_profiles WHERE user_id = ?", (user_id,)
            ).rowcount
        )

    def list_onboarding_profiles(self) -> list[dict[str, Any]]:
        return decode_all(
            self.db.execute("SELECT * FROM onboarding_profiles ORDER BY user_id").fetchall()
        )
