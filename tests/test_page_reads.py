"""No page reads a whole table (issue 22): the console, the control API's newest attempts
(what `mockprock status` asks) and a course's onboarding statuses filter, count and page
in SQL. Checked by what matters: the rows SQLite hands to Python for one page do not grow
when the store holds more attempts and profiles; and the answers stay right (totals,
order, filters, the onboarding rule's statuses)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from mockprock import statuses as st
from mockprock.provider.onboarding import onboarding_status
from mockprock.store import Store
from tests.helpers import ATTEMPT, EXAM
from tests.test_pages import BASIC, sign_in

COURSE = EXAM["course_id"]


def fill(store: Store, exam_id: str, attempts: int, first: int = 0) -> None:
    """``attempts`` more attempts on the exam, one learner in three with a profile."""
    with store.database.transaction():
        for n in range(first, first + attempts):
            attempt = {**ATTEMPT, "user_id": f"u{n:05d}", "full_name": f"Learner {n}"}
            store.attempts.create_attempt(exam_id, attempt, attempt)
            if n % 3 == 0:
                store.onboarding.save_onboarding_profile(
                    "abcd", f"u{n:05d}", st.PROFILE_APPROVED, COURSE, None
                )


def rows_fetched(store: Store, read: Callable[[], object]) -> int:
    """How many rows SQLite hands to Python (this thread's connection) during ``read``."""
    fetched = []

    def counting(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
        fetched.append(1)
        return sqlite3.Row(cursor, row)

    db = store.database.db
    db.row_factory = counting
    try:
        read()
    finally:
        db.row_factory = sqlite3.Row
    return len(fetched)


@pytest.fixture
def store(app) -> Store:
    return app.extensions["mockprock"].store


def test_pages_read_as_many_rows_whatever_the_size_of_the_store(
    client, auth, store, exam_id
) -> None:
    sign_in(client)
    course = f"/api/v1/courses/{COURSE}/onboarding_statuses?page_size=10"
    reads = {
        "console": lambda: client.get("/mockprock/?page=2"),
        "console filtered": lambda: client.get("/mockprock/?status=created&q=learner"),
        "newest attempts": lambda: client.get(
            "/mockprock/api/attempts?newest=1&page_size=5", headers=BASIC
        ),
        "onboarding statuses": lambda: client.get(course, headers=auth),
        "control API page": lambda: client.get(
            "/mockprock/api/attempts?page_size=5&page=2", headers=BASIC
        ),
    }
    fill(store, exam_id, 400)
    client.get("/mockprock/")  # the first view makes what a view makes once (the CSRF token)
    before = {name: rows_fetched(store, read) for name, read in reads.items()}
    fill(store, exam_id, 1600, first=400)
    after = {name: rows_fetched(store, read) for name, read in reads.items()}
    # The journal the console shows grows by the requests made meanwhile (up to its 50).
    assert all(after[name] - before[name] <= 3 for name in reads), (before, after)
    assert before["newest attempts"] < 50 and before["onboarding statuses"] < 50


def test_the_console_counts_and_pages_every_attempt(client, store, exam_id) -> None:
    fill(store, exam_id, 2500)  # past the count where a page walks the creation index
    sign_in(client)
    page = client.get("/mockprock/?page=3").get_data(as_text=True)
    assert "2500 attempts, newest first · page 3 of 125" in page
    assert "Learner 2459" in page and "Learner 2440" in page and "Learner 2439" not in page
    last = client.get("/mockprock/?page=999").get_data(as_text=True)
    assert "page 125 of 125" in last and ">Learner 0<" in last and ">Learner 20<" not in last
    found = client.get("/mockprock/?q=LEARNER 1234&status=created").get_data(as_text=True)
    assert "1 attempt, newest first · page 1 of 1" in found and "Learner 1234" in found
    none = client.get("/mockprock/?status=submitted").get_data(as_text=True)
    assert "0 attempts" in none and "No attempts match" in none


def test_the_control_api_pages_many_attempts_oldest_first(client, store, exam_id) -> None:
    fill(store, exam_id, 2100)  # past the count where a page walks the creation index
    third = client.get("/mockprock/api/attempts?page_size=1000&page=3", headers=BASIC)
    assert [a["full_name"] for a in third.get_json()] == [f"Learner {n}" for n in range(2000, 2100)]


def test_newest_attempts_and_id_prefixes_in_the_control_api(client, store, exam_id) -> None:
    fill(store, exam_id, 30)
    newest = client.get("/mockprock/api/attempts?newest=1&page_size=3", headers=BASIC)
    names = [a["full_name"] for a in newest.get_json()]
    assert names == ["Learner 29", "Learner 28", "Learner 27"]
    assert {a["exam_name"] for a in newest.get_json()} == {EXAM["exam_name"]}
    one = newest.get_json()[0]["id"]
    found = client.get(f"/mockprock/api/attempts?id={one[:10]}", headers=BASIC).get_json()
    assert [a["id"] for a in found] == [one]
    for impossible in ("%", "*", "not-hex"):
        answer = client.get(f"/mockprock/api/attempts?id={impossible}", headers=BASIC)
        assert answer.get_json() == []


def test_the_sql_onboarding_rule_agrees_with_the_python_one(store) -> None:
    """Every kind of profile, seen from the course, is the status ``onboarding_status``
    gives it: the SQL that filters and pages a course's statuses spells the same rule."""
    now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    past, future = (now - timedelta(days=1)).isoformat(), (now + timedelta(days=1)).isoformat()
    kinds = [
        (st.PROFILE_APPROVED, COURSE, None),
        (st.PROFILE_APPROVED, None, future),
        (st.PROFILE_APPROVED, "", None),
        (st.PROFILE_APPROVED, "course-v1:Other+X+Y", future),
        (st.PROFILE_APPROVED, COURSE, past),
        (st.PROFILE_APPROVED, COURSE, now.isoformat()),
        (st.PROFILE_APPROVED, COURSE, "2026-05-31T12:00:00"),  # no zone: UTC
        (st.PROFILE_REJECTED, COURSE, None),
        (st.PROFILE_PENDING, None, None),
        (st.PROFILE_EXPIRED, COURSE, None),
        ("verified", COURSE, None),  # not a profile status: no profile
    ]
    for n, (status, course_id, expires) in enumerate(kinds):
        store.onboarding.save_onboarding_profile("abcd", f"k{n:02d}", status, course_id, expires)
    rows, total = store.onboarding.course_statuses("abcd", COURSE, now.isoformat())
    expected = [
        onboarding_status(store.onboarding.get_onboarding_profile("abcd", f"k{n:02d}"), COURSE, now)
        for n in range(len(kinds))
    ]
    assert total == len(kinds) and [r["status"] for r in rows] == expected
    for wanted in set(expected):
        only, count = store.onboarding.course_statuses(
            "abcd", COURSE, now.isoformat(), (wanted,), 100, 0
        )
        assert count == expected.count(wanted) and {r["status"] for r in only} == {wanted}
