"""The SQLite store, without Flask."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from mockprock.errors import Conflict
from mockprock.store import MIGRATIONS, Store


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "s.sqlite"))
    yield store
    store.close()


EXAM = {"lms_exam_id": 1, "course_id": "course-v1:a+b+c", "content_id": "block", "exam_name": "E"}


def test_schema_is_versioned_and_in_wal_mode(store):
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_does_not_migrate_again(tmp_path):
    path = str(tmp_path / "s.sqlite")
    Store(path).save_exam("e1", "abcd", EXAM, {})
    reopened = Store(path)
    assert reopened.get_exam("e1")["exam_name"] == "E"


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this mockprock knows"):
        Store(str(path))


def test_every_lookup_has_an_index(store):
    plans = {
        "SELECT id FROM exams WHERE client_id = 'a' AND lms_exam_id IS 1 AND content_id = 'b'",
        "SELECT * FROM exams WHERE course_id = 'x'",
        "SELECT * FROM attempts WHERE exam_id = 'x'",
        "SELECT * FROM attempts WHERE user_id = 'x'",
        "SELECT * FROM attempt_events WHERE attempt_id = 'x' ORDER BY id",
    }
    for query in plans:
        plan = " ".join(str(row[-1]) for row in store.db.execute("EXPLAIN QUERY PLAN " + query))
        assert "USING" in plan, (query, plan)


def test_one_connection_per_thread(store):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(store.db))
    thread.start()
    thread.join()
    assert seen[0] is not store.db


def test_a_failed_transaction_changes_nothing(store):
    with pytest.raises(ZeroDivisionError), store.transaction():
        store.save_exam("e1", "abcd", EXAM, {})
        1 / 0  # noqa: B018
    assert store.get_exam("e1") is None


def test_signing_key_is_made_once(tmp_path):
    path = str(tmp_path / "s.sqlite")
    assert Store(path).signing_key() == Store(path).signing_key()


def test_delete_user_removes_everything_about_them(store):
    store.save_exam("e1", "abcd", EXAM, {})
    mine = store.create_attempt("e1", {"user_id": "u1", "lms_host": "h"}, {})
    theirs = store.create_attempt("e1", {"user_id": "u2", "lms_host": "h"}, {})
    store.save_onboarding_profile("u1", "approved", "c", None)
    assert store.delete_user("u1") is True
    assert store.get_attempt(mine) is None
    assert store.list_events(mine) == []
    assert store.get_onboarding_profile("u1") is None
    assert store.get_attempt(theirs) is not None
    assert store.delete_user("u1") is False


def test_reset_keeps_the_signing_key(store):
    key = store.signing_key()
    store.save_exam("e1", "abcd", EXAM, {})
    store.reset()
    assert store.list_exams() == []
    assert store.signing_key() == key


def test_on_commit_runs_once_after_the_outermost_commit_never_after_a_rollback(store):
    seen = []

    def hook():
        # Runs after COMMIT: another connection already sees the change.
        other = sqlite3.connect(store.path)
        seen.append(other.execute("SELECT COUNT(*) FROM exams").fetchone()[0])
        other.close()

    with store.transaction(on_commit=hook):
        store.save_exam("e1", "abcd", EXAM, {})
        with store.transaction(on_commit=hook):  # the same hook again: still once
            store.add_event("a1", "note")
        assert seen == []  # not before the commit
    assert seen == [1]
    with pytest.raises(RuntimeError), store.transaction(on_commit=hook):
        store.save_exam("e2", "abcd", {**EXAM, "lms_exam_id": 2}, {})
        raise RuntimeError("rolled back")
    assert seen == [1]
    with store.transaction(on_commit=hook):
        pass
    assert seen == [1, 1]


def test_an_lms_exam_held_by_another_exam_is_a_conflict(store):
    store.save_exam("e1", "abcd", EXAM, {})
    with pytest.raises(Conflict) as refused:
        store.save_exam("e2", "abcd", EXAM, {})
    assert refused.value.status == 409
    assert store.get_exam("e2") is None
