"""Queries on onboarding profiles (one per learner per provider client)."""

from __future__ import annotations

from typing import Any

from mockprock import statuses as st
from mockprock.clock import Clock
from mockprock.store.database import Database, decode, decode_all, where

# A learner's onboarding status as one course sees it, in SQL: the rule of
# ``provider.onboarding.onboarding_status`` (which it must agree with, and a test checks),
# so that a course's statuses are filtered and paged without reading every profile.
# Parameters: now (ISO), the course, then the status words.
STATUS_IN_COURSE = (
    "CASE WHEN p.status IS NULL THEN :is_no_profile "
    "WHEN p.status = :is_approved THEN CASE "
    "WHEN coalesce(p.expiration_date, '') != '' "
    "AND julianday(p.expiration_date) <= julianday(:now) THEN :is_expired "
    "WHEN coalesce(p.course_id, '') IN ('', :course) THEN :is_in_course "
    "ELSE :is_elsewhere END "
    "WHEN p.status IN (:is_rejected, :is_pending, :is_expired) THEN p.status "
    "ELSE :is_no_profile END"
)
STATUS_WORDS = {
    "is_no_profile": st.ONBOARDING_NO_PROFILE,
    "is_approved": st.PROFILE_APPROVED,
    "is_expired": st.ONBOARDING_EXPIRED,
    "is_in_course": st.ONBOARDING_APPROVED_IN_COURSE,
    "is_elsewhere": st.ONBOARDING_APPROVED_ELSEWHERE,
    "is_rejected": st.PROFILE_REJECTED,
    "is_pending": st.PROFILE_PENDING,
}


class OnboardingQueries:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

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
            (client_id, user_id, status, course_id, expiration_date, self.clock.now()),
        )

    def delete_onboarding_profile(self, client_id: str, user_id: str) -> bool:
        return bool(
            self.database.db.execute(
                "DELETE FROM onboarding_profiles WHERE client_id = ? AND user_id = ?",
                (client_id, user_id),
            ).rowcount
        )

    def list_onboarding_profiles(self, client_id: str, limit: int = -1) -> list[dict[str, Any]]:
        """The client's profiles by user id (the first ``limit`` of them, when given)."""
        return decode_all(
            self.database.db.execute(
                "SELECT * FROM onboarding_profiles WHERE client_id = ? ORDER BY user_id LIMIT ?",
                (client_id, limit),
            ).fetchall()
        )

    def count_onboarding_profiles(self, client_id: str) -> int:
        return self.database.db.execute(
            "SELECT COUNT(*) FROM onboarding_profiles WHERE client_id = ?", (client_id,)
        ).fetchone()[0]

    def course_statuses(
        self,
        client_id: str,
        course_id: str,
        now: str,
        wanted: tuple[str, ...] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of every learner the client knows (its profiles by user id, then the
        course's learners without one), as the course sees them at ``now`` (ISO), with
        ``wanted`` statuses only, and how many there are: filtered, counted and paged in
        SQL. Rows: user_id, status, expiration_date."""
        params: dict[str, Any] = {**STATUS_WORDS, "client": client_id, "course": course_id}
        params["now"] = now
        learners = (
            "SELECT 0 AS part, user_id, status, course_id, expiration_date "
            "FROM onboarding_profiles WHERE client_id = :client "
            "UNION ALL SELECT DISTINCT 1, a.user_id, NULL, NULL, NULL "
            "FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.client_id = :client AND e.course_id = :course AND a.user_id != '' "
            "AND NOT EXISTS (SELECT 1 FROM onboarding_profiles q "
            "WHERE q.client_id = :client AND q.user_id = a.user_id)"
        )
        clause, _ = where(("shown IN ?", tuple(wanted)))
        for n, status in enumerate(wanted):  # named parameters, one per wanted status
            params[f"w{n}"] = status
            clause = clause.replace("?", f":w{n}", 1)
        shown = (
            f"SELECT part, user_id, expiration_date, {STATUS_IN_COURSE} AS shown "
            f"FROM ({learners}) p"
        )
        db = self.database.db
        total = db.execute(f"SELECT COUNT(*) FROM ({shown}) {clause}", params).fetchone()[0]
        params.update(limit=limit, offset=offset)
        rows = db.execute(
            f"SELECT user_id, shown AS status, expiration_date FROM ({shown}) {clause} "
            "ORDER BY part, user_id LIMIT :limit OFFSET :offset",
            params,
        ).fetchall()
        return [dict(r) for r in rows], total
