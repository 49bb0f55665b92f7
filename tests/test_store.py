"""The SQLite store, without Flask."""

from __future__ import annotations

import ast
import logging
import os
import sqlite3
import stat
import threading
from importlib import resources
from pathlib import Path

import pytest

from mockprock import statuses
from mockprock.errors import Conflict, ProviderError
from mockprock.store import MIGRATIONS, Store


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "s.sqlite"))
    yield store
    store.close()


EXAM = {"lms_exam_id": 1, "course_id": "course-v1:a+b+c", "content_id": "block", "exam_name": "E"}


def test_schema_is_versioned_and_in_wal_mode(store):
    assert store.database.schema_version == len(MIGRATIONS)
    assert store.database.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_does_not_migrate_again(tmp_path):
    path = str(tmp_path / "s.sqlite")
    Store(path).exams.save_exam("e1", "abcd", EXAM, {})
    reopened = Store(path)
    assert reopened.exams.get_exam("e1")["exam_name"] == "E"


def test_every_lookup_has_an_index(store):
    plans = {
        "SELECT id FROM exams WHERE client_id = 'a' AND lms_exam_id IS 1 AND content_id = 'b'",
        "SELECT * FROM exams WHERE course_id = 'x'",
        "SELECT * FROM attempts WHERE exam_id = 'x'",
        "SELECT * FROM attempts WHERE user_id = 'x'",
        "SELECT * FROM attempt_events WHERE attempt_id = 'x' ORDER BY id",
    }
    for query in plans:
        plan = " ".join(
            str(row[-1]) for row in store.database.db.execute("EXPLAIN QUERY PLAN " + query)
        )
        assert "USING" in plan, (query, plan)


def test_one_connection_per_thread(store):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(store.database.db))
    thread.start()
    thread.join()
    assert seen[0] is not store.database.db


def test_a_failed_transaction_changes_nothing(store):
    with pytest.raises(ZeroDivisionError), store.database.transaction():
        store.exams.save_exam("e1", "abcd", EXAM, {})
        1 / 0  # noqa: B018
    assert store.exams.get_exam("e1") is None


def test_signing_key_is_made_once(tmp_path):
    path = str(tmp_path / "s.sqlite")
    assert Store(path).settings.signing_key() == Store(path).settings.signing_key()


def test_delete_user_removes_everything_about_them(store):
    store.exams.save_exam("e1", "abcd", EXAM, {})
    mine = store.attempts.create_attempt("e1", {"user_id": "u1", "lms_host": "h"}, {})
    theirs = store.attempts.create_attempt("e1", {"user_id": "u2", "lms_host": "h"}, {})
    store.onboarding.save_onboarding_profile("abcd", "u1", "approved", "c", None)
    assert store.delete_user("abcd", "u1") is True
    assert store.attempts.get_attempt(mine) is None
    assert store.attempts.list_events(mine) == []
    assert store.onboarding.get_onboarding_profile("abcd", "u1") is None
    assert store.attempts.get_attempt(theirs) is not None
    assert store.delete_user("abcd", "u1") is False


def test_reset_keeps_the_signing_key(store):
    key = store.settings.signing_key()
    store.exams.save_exam("e1", "abcd", EXAM, {})
    store.reset()
    assert store.exams.list_exams("abcd") == []
    assert store.settings.signing_key() == key


# -- transactions and their on_commit hooks ----------------------------------------------


def committed_exams(store: Store) -> list[str]:
    """The exams another connection sees: only what is committed."""
    other = sqlite3.connect(store.database.path)
    try:
        return [row[0] for row in other.execute("SELECT id FROM exams ORDER BY id")]
    finally:
        other.close()


def test_on_commit_runs_once_after_the_commit(store):
    seen = []
    with store.database.transaction(on_commit=lambda: seen.append(committed_exams(store))):
        store.exams.save_exam("e1", "abcd", EXAM, {})
        assert seen == []
    assert seen == [["e1"]]


def test_on_commit_never_runs_after_a_rollback(store):
    seen = []
    with (
        pytest.raises(ZeroDivisionError),
        store.database.transaction(on_commit=lambda: seen.append(1)),
    ):
        with store.database.transaction(on_commit=lambda: seen.append(2)):
            store.exams.save_exam("e1", "abcd", EXAM, {})
        1 / 0  # noqa: B018
    assert seen == []
    assert committed_exams(store) == []
    # The next transaction starts clean: nothing of the rolled-back one runs later.
    with store.database.transaction(on_commit=lambda: seen.append(3)):
        pass
    assert seen == [3]


def test_nested_on_commit_waits_for_the_outermost_commit(store):
    seen = []
    with store.database.transaction():
        with store.database.transaction(on_commit=lambda: seen.append(committed_exams(store))):
            store.exams.save_exam("e1", "abcd", EXAM, {})
        assert seen == []
        store.exams.save_exam("e2", "abcd", {**EXAM, "lms_exam_id": 2}, {})
    assert seen == [["e1", "e2"]]


class Dispatcher:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def test_the_same_on_commit_given_twice_runs_once(store):
    dispatcher, order = Dispatcher(), []
    with store.database.transaction(on_commit=dispatcher.wake):
        # A bound method is a new object each time it is read: equal, not identical.
        with store.database.transaction(on_commit=dispatcher.wake):
            store.exams.save_exam("e1", "abcd", EXAM, {})
        with store.database.transaction(on_commit=lambda: order.append("first")):
            pass
        with store.database.transaction(on_commit=dispatcher.wake):
            pass
        with store.database.transaction(on_commit=lambda: order.append("second")):
            pass
    assert dispatcher.wakes == 1
    assert order == ["first", "second"]


def test_an_on_commit_may_open_its_own_transaction(store):
    def save_another() -> None:
        with store.database.transaction():
            store.exams.save_exam("e2", "abcd", {**EXAM, "lms_exam_id": 2}, {})

    with store.database.transaction(on_commit=save_another):
        store.exams.save_exam("e1", "abcd", EXAM, {})
    assert committed_exams(store) == ["e1", "e2"]


def test_a_failing_on_commit_loses_nothing(store, caplog):
    def broken() -> None:
        raise RuntimeError("the dispatcher is gone")

    seen = []
    caplog.set_level(logging.ERROR, logger="mockprock.store.database")
    with (
        store.database.transaction(on_commit=broken),
        store.database.transaction(on_commit=lambda: seen.append("after")),
    ):
        store.exams.save_exam("e1", "abcd", EXAM, {})
    assert committed_exams(store) == ["e1"]
    assert seen == ["after"]
    assert "the dispatcher is gone" in caplog.text


def test_a_transaction_belongs_to_its_thread(store):
    """Another thread's transaction neither joins this one nor runs its hooks."""
    seen = []
    with store.database.transaction(on_commit=lambda: seen.append("outer")):
        thread = threading.Thread(target=lambda: seen.append(store.database.db.in_transaction))
        thread.start()
        thread.join()
    assert seen == [False, "outer"]


# -- the uniqueness rule of exams ---------------------------------------------------------


def test_another_exam_with_the_same_lms_exam_is_a_conflict(store):
    store.exams.save_exam("e1", "abcd", EXAM, {})
    with pytest.raises(Conflict) as conflict:
        store.exams.save_exam("e2", "abcd", {**EXAM, "exam_name": "Copy"}, {})
    assert isinstance(conflict.value, ProviderError)
    assert (conflict.value.status, conflict.value.error) == (409, "conflict")
    assert "LMS exam 1" in conflict.value.detail
    assert store.exams.get_exam("e2") is None
    assert store.exams.get_exam("e1")["exam_name"] == "E"


def test_moving_an_exam_onto_a_taken_key_is_a_conflict_and_changes_nothing(store):
    store.exams.save_exam("e1", "abcd", EXAM, {})
    store.exams.save_exam("e2", "abcd", {**EXAM, "lms_exam_id": 2, "exam_name": "Two"}, {})
    with pytest.raises(Conflict), store.database.transaction():
        store.exams.save_exam("e2", "abcd", {**EXAM, "exam_name": "Moved"}, {})
    assert store.exams.get_exam("e2")["exam_name"] == "Two"
    assert store.exams.get_exam("e2")["lms_exam_id"] == 2


def test_what_the_unique_key_allows_is_no_conflict(store):
    assert store.exams.save_exam("e1", "abcd", EXAM, {}) is True
    assert store.exams.save_exam("e1", "abcd", {**EXAM, "exam_name": "Again"}, {}) is False
    # Another client, another content, or no LMS id at all (NULLs never clash).
    store.exams.save_exam("e2", "efgh", EXAM, {})
    store.exams.save_exam("e3", "abcd", {**EXAM, "content_id": "other"}, {})
    store.exams.save_exam("e4", "abcd", {**EXAM, "lms_exam_id": None}, {})
    store.exams.save_exam("e5", "abcd", {**EXAM, "lms_exam_id": None}, {})
    assert [e["id"] for e in store.exams.list_exams("abcd")] == ["e1", "e3", "e4", "e5"]
    assert [e["id"] for e in store.exams.list_exams("efgh")] == ["e2"]


# -- vocabulary -----------------------------------------------------------------------------


def test_the_store_spells_no_callback_state():
    """The outbox's states are passed in as parameters, never written into the SQL."""
    states = set(statuses.CALLBACK_STATES)
    assert len(states) == 5
    folder = Path(str(resources.files("mockprock.store")))
    for module in folder.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for state in states:
                    assert node.value != state, (module.name, state)
                    assert f"'{state}'" not in node.value, (module.name, node.value)


def test_every_table_with_an_attempt_id_is_cleaned_when_its_attempt_goes(store):
    store.exams.save_exam("e1", "abcd", EXAM, {})
    attempt_id = store.attempts.create_attempt("e1", {"user_id": "u1"}, {})
    other = store.attempts.create_attempt("e1", {"user_id": "u2"}, {})
    with store.database.transaction():
        for attempt in (attempt_id, other):
            store.callbacks.insert_callback("ready", attempt, "http://x", {}, "pending", 0.0)
            store.callbacks.save_review_decision(attempt, "passed", [], None, None, "console")
            store.desktop.add_heartbeat(attempt, 1.0, True)
            store.desktop.save_desktop_session(
                {
                    "attempt_id": attempt,
                    "state": "running",
                    "latency_ms": 0,
                    "started_at": 1.0,
                    "stopped_at": None,
                    "upload_done_at": None,
                    "upload_noted": 0,
                    "crashes": 0,
                },
                1.0,
            )
    db = store.database.db
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if "attempt_id" in {c[1] for c in db.execute(f"PRAGMA table_info({name})")}
    ]

    def rows(table: str, attempt: str) -> int:
        return db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE attempt_id = ?", (attempt,)
        ).fetchone()[0]

    # Each such table holds the attempt's rows (a new table fails here until it is filled).
    assert len(tables) >= 5
    assert all(rows(table, attempt_id) for table in tables)
    assert store.attempts.delete_attempt(attempt_id)
    assert {table: rows(table, attempt_id) for table in tables} == dict.fromkeys(tables, 0)
    assert all(rows(table, other) for table in tables)  # another attempt's rows stay


# -- the store is private ------------------------------------------------------------------


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_and_its_wal_files_are_private(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    old = os.umask(0o022)
    try:
        store = Store(str(path))
        store.settings.signing_key()  # a write: the -wal and -shm files exist now
        files = [path, tmp_path / "s.sqlite-wal", tmp_path / "s.sqlite-shm"]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        store.close()
    finally:
        os.umask(old)


def test_an_existing_store_readable_by_others_is_tightened_and_the_log_says_so(
    tmp_path, caplog
) -> None:
    path = tmp_path / "s.sqlite"
    Store(str(path)).close()
    for name in (path, tmp_path / "s.sqlite-wal"):
        name.touch()
        os.chmod(name, 0o644)
    caplog.set_level(logging.WARNING)
    Store(str(path)).close()
    assert mode(path) == 0o600
    assert str(path) in caplog.text and "644" in caplog.text
