"""The store's schema: SQL files in the package, versions, migrations, stores made by 2.0."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from importlib import resources
from pathlib import Path

import pytest

from mockprock.statuses import CALLBACK_PENDING
from mockprock.store import MIGRATIONS, Store
from mockprock.store.database import Database, _one_step, load_migrations

PACKAGE = Path(str(resources.files("mockprock.store")))
STORE_2_0 = Path(__file__).resolve().parent / "fixtures" / "store-2.0.sql"


def structure(path: str | Path) -> dict[str, dict[str, list]]:
    """Every table's columns, indexes and references, as SQLite itself reports them."""
    db = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            table: {
                "columns": db.execute(f"PRAGMA table_xinfo({table})").fetchall(),
                "indexes": sorted(
                    (name, unique, db.execute(f"PRAGMA index_info({name})").fetchall())
                    for _, name, unique, *_ in db.execute(f"PRAGMA index_list({table})")
                ),
                "references": db.execute(f"PRAGMA foreign_key_list({table})").fetchall(),
            }
            for table in tables
        }
    finally:
        db.close()


def master(path: str | Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        db.close()


def store_2_0(path: Path) -> Path:
    """A store file as mockprock 2.0 left it (schema version 1, one of everything)."""
    db = sqlite3.connect(path)
    db.executescript(STORE_2_0.read_text())
    db.close()
    return path


def schema_folder(tmp_path: Path, **migrations: str) -> Path:
    """A copy of the package's schema.sql plus the given migrations/<name>.sql files."""
    folder = tmp_path / "schema"
    (folder / "migrations").mkdir(parents=True)
    shutil.copy(PACKAGE / "schema.sql", folder / "schema.sql")
    for name, script in migrations.items():
        (folder / "migrations" / f"{name}.sql").write_text(script)
    return folder


def test_the_schema_is_the_sql_file_in_the_package():
    schema = (PACKAGE / "schema.sql").read_text()
    assert MIGRATIONS[0] == schema
    assert len(MIGRATIONS) == 1 + len(list(PACKAGE.glob("migrations/*.sql")))


def test_a_new_store_has_every_table_of_schema_sql_and_the_migrations(tmp_path):
    tables = set(re.findall(r"CREATE TABLE (\w+)", (PACKAGE / "schema.sql").read_text()))
    tables.add("scenarios")  # 0006
    store = Store(str(tmp_path / "s.sqlite"))
    store.close()
    assert set(structure(tmp_path / "s.sqlite")) == tables
    assert len(tables) == 12


def test_the_schema_is_read_from_the_file_not_from_python(tmp_path):
    folder = schema_folder(tmp_path)
    (folder / "schema.sql").write_text("CREATE TABLE only_this (x INTEGER);")
    Database(str(tmp_path / "s.sqlite"), migrations=load_migrations(folder)).close()
    assert set(structure(tmp_path / "s.sqlite")) == {"only_this"}


def test_a_new_store_is_built_as_a_migrated_2_0_store(tmp_path):
    Store(str(tmp_path / "new.sqlite")).close()
    Store(str(store_2_0(tmp_path / "old.sqlite"))).close()
    assert structure(tmp_path / "new.sqlite") == structure(tmp_path / "old.sqlite")


def test_a_2_0_store_migrates_with_its_data_kept_for_its_client(tmp_path):
    path = store_2_0(tmp_path / "old.sqlite")
    store = Store(str(path))
    try:
        assert store.database.schema_version == len(MIGRATIONS) == 6
        assert store.settings.signing_key() == "fixture-key-not-a-secret"
        exam = store.exams.get_exam("exam1")
        assert (exam["exam_name"], exam["rules"], exam["is_proctored"]) == (
            "Final",
            {"allow_grok": False},
            True,
        )
        assert store.exams.find_exam_id("abcd", 7, "block-v1:x") == "exam1"
        assert store.attempts.get_attempt("attempt1", client_id="abcd")["status"] == "submitted"
        assert store.attempts.get_attempt("attempt1", client_id="other") is None
        assert [e["kind"] for e in store.attempts.list_events("attempt1")] == [
            "registered",
            "status",
        ]
        # The learner's profile is the client's whose exam the learner took.
        assert store.onboarding.get_onboarding_profile("abcd", "42")["status"] == "verified"
        assert store.onboarding.get_onboarding_profile("other", "42") is None
        assert store.callbacks.get_callback(1)["payload"] == {"status": "passed"}
        assert store.callbacks.get_review_decision("attempt1")["callback_id"] == 1
        session = store.desktop.get_desktop_session("attempt1")
        assert session["crashes"] == [[1000000002.0, 1000000003.0]]
        assert session["upload_noted"] is True
        assert store.desktop.list_heartbeats("attempt1") == [
            {"at": 1000000002.0, "ok": True},
            {"at": 1000000003.0, "ok": False},
        ]
        assert store.settings.settings_overrides() == {"review_delay_seconds": 5}
        assert store.journal.list_journal(client_id="abcd")[0]["request"] == {"user_id": 42}
        # And it takes new writes where 2.0 left off.
        assert (
            store.callbacks.insert_callback(
                "ready", "attempt1", "http://x", {}, CALLBACK_PENDING, 0.0
            )
            == 2
        )
    finally:
        store.close()


def test_an_older_store_keeps_the_exam_return_url_its_attempts_were_registered_with(tmp_path):
    """Migration 0004: the column is filled from the registration each attempt kept."""
    path = store_2_0(tmp_path / "old.sqlite")
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO attempts SELECT 'attempt2', exam_id, user_id, full_name, email, lms_host, "
        "time_limit_mins, is_sample_attempt, status, NULL, NULL, "
        '\'{"exam_return_url": "http://localhost:2000/course/c/b"}\', created_at, '
        "updated_at FROM attempts WHERE id = 'attempt1'"
    )
    db.commit()
    db.close()
    store = Store(str(path))
    try:
        assert (
            store.attempts.get_attempt("attempt2")["exam_return_url"]
            == "http://localhost:2000/course/c/b"
        )
        assert store.attempts.get_attempt("attempt1")["exam_return_url"] is None
    finally:
        store.close()


def test_a_later_migration_moves_a_2_0_store_up_one_version(tmp_path):
    folder = schema_folder(
        tmp_path, **{"0002_exam_notes": "ALTER TABLE exams ADD COLUMN notes TEXT DEFAULT 'none';"}
    )
    path = store_2_0(tmp_path / "old.sqlite")
    db = Database(str(path), migrations=load_migrations(folder))
    try:
        assert db.schema_version == 2
        assert tuple(db.db.execute("SELECT exam_name, notes FROM exams").fetchone()) == (
            "Final",
            "none",
        )
    finally:
        db.close()
    # Opening again applies nothing twice (the ALTER would fail on a second run).
    Database(str(path), migrations=load_migrations(folder)).close()


def test_migrations_out_of_sequence_are_refused(tmp_path):
    folder = schema_folder(tmp_path, **{"0003_skips_two": "SELECT 1;"})
    with pytest.raises(RuntimeError, match=r"0003_skips_two\.sql is out of sequence"):
        load_migrations(folder)


def test_a_failing_migration_changes_nothing(tmp_path):
    half = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    folder = schema_folder(tmp_path, **{"0002_half": half})
    path = store_2_0(tmp_path / "old.sqlite")
    before = master(path)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        Database(str(path), migrations=load_migrations(folder))
    assert master(path) == before
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_step_checks_the_version_it_starts_from(tmp_path):
    """Two processes opening a new store at once: the second one's step finds the store
    migrated (the check fails) and applies nothing."""
    path = str(tmp_path / "s.sqlite")
    Store(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.executescript(_one_step(MIGRATIONS[0], 0))
    db.execute("ROLLBACK")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()


def test_stores_opened_at_once_on_a_new_file_all_open(tmp_path):
    path = str(tmp_path / "s.sqlite")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            Store(path).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    Store(str(store_2_0(tmp_path / "old.sqlite"))).close()
    assert structure(path) == structure(tmp_path / "old.sqlite")


def test_a_newer_store_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "s.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    expected = (
        f"{path} has schema version {len(MIGRATIONS) + 1}, newer than this mockprock knows "
        f"({len(MIGRATIONS)}); upgrade mockprock or use another --db"
    )
    with pytest.raises(RuntimeError) as refused:
        Store(str(path))
    assert str(refused.value) == expected
    assert master(path) == []


def test_2_0_profiles_go_to_the_clients_that_know_the_learner_or_the_course(tmp_path):
    path = store_2_0(tmp_path / "old.sqlite")
    db = sqlite3.connect(path)
    db.executescript(
        "INSERT INTO exams (id, client_id, course_id, created_at, updated_at) "
        "VALUES ('exam2', 'efgh', 'course-v1:Other+X+Y', 0, 0);"
        "INSERT INTO onboarding_profiles VALUES ('7', 'approved', 'course-v1:Other+X+Y', NULL, 0);"
        "INSERT INTO onboarding_profiles VALUES ('8', 'rejected', NULL, NULL, 0);"
    )
    db.close()
    store = Store(str(path))
    try:
        # 42 took abcd's exam; 7 was onboarded in efgh's course; 8 is tied to nobody,
        # and 2.0 showed such a profile to every client, so every client keeps it.
        assert store.onboarding.get_onboarding_profile("abcd", "42")["status"] == "verified"
        assert store.onboarding.get_onboarding_profile("efgh", "42") is None
        assert store.onboarding.get_onboarding_profile("efgh", "7")["status"] == "approved"
        assert store.onboarding.get_onboarding_profile("abcd", "7") is None
        assert store.onboarding.get_onboarding_profile("abcd", "8")["status"] == "rejected"
        assert store.onboarding.get_onboarding_profile("efgh", "8")["status"] == "rejected"
    finally:
        store.close()
