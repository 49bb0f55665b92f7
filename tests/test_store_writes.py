"""Writes to the store through the app: concurrent changes are serialized (every setting
kept, the post-submission rules run once), reads open no write transaction, and a store
that cannot take a write says so and changes nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import jwt
import pytest

from mockprock.provider import attempts, reviews
from mockprock.web.app import create_app
from tests.helpers import ATTEMPT, EXAM, app_on, basic, make_settings


def dashboard_link(**claims: object) -> str:
    token = {
        "course_id": EXAM["course_id"],
        "user": {"id": 1, "full_name": "Staff", "email": "staff@example.com"},
        "iss": "abcd",
        "exp": time.time() + 3600,
        **claims,
    }
    return f"/api/v1/instructor/abcd/?jwt={jwt.encode(token, 'abcdsecret', algorithm='HS256')}"


# -- concurrent changes are serialized -----------------------------------------------------


def test_parallel_changes_of_different_settings_are_all_kept(tmp_path) -> None:
    with app_on(tmp_path) as app:
        auth = basic("abcd", "abcdsecret")
        for round_ in range(8):
            changes = {
                "review_delay_seconds": 100 + round_,
                "ready_delay_seconds": 200 + round_,
                "upload_delay_seconds": 300 + round_,
                "onboarding_valid_days": 400 + round_,
                "callback_retry_seconds": 500 + round_,
                "callback_backoff_seconds": 6 + round_,
            }
            start = threading.Barrier(len(changes))

            def patch(name: str, value: int, start: threading.Barrier = start) -> None:
                client = app.test_client()
                start.wait()
                assert (
                    client.patch(
                        "/mockprock/api/settings", json={name: value}, headers=auth
                    ).status_code
                    == 200
                )

            threads = [threading.Thread(target=patch, args=item) for item in changes.items()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            shown = app.test_client().get("/mockprock/api/settings", headers=auth).get_json()
            assert {name: shown[name] for name in changes} == changes
            stored = app.extensions["mockprock"].store.settings.settings_overrides()
            assert {name: stored[name] for name in changes} == changes


def test_two_concurrent_submissions_run_the_post_submission_rules_once(
    app, client, auth, exam_id, attempt_id, monkeypatch
) -> None:
    client.patch(
        f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", json={"status": "started"}, headers=auth
    )
    store = app.extensions["mockprock"].store
    scheduled: list[str] = []
    real_schedule = reviews.schedule
    monkeypatch.setattr(
        reviews,
        "schedule",
        lambda store, outbox, settings, attempt: (
            scheduled.append(attempt["id"]),
            real_schedule(store, outbox, settings, attempt),
        )[1],
    )
    second_done = threading.Event()
    first_read = threading.Event()
    real_get = store.attempts.get_attempt

    def get_attempt(*args, **kwargs):
        row = real_get(*args, **kwargs)
        if threading.current_thread().name == "first" and not first_read.is_set():
            first_read.set()
            # Let the second submission run meanwhile, if it can (fixed: it waits for
            # the write lock the first one holds, so this wait ends by its bound).
            second_done.wait(timeout=2)
        return row

    monkeypatch.setattr(store.attempts, "get_attempt", get_attempt)
    provider = app.extensions["mockprock"].provider

    def submit() -> None:
        provider.update_attempt_status("abcd", exam_id, attempt_id, {"status": "submitted"})

    first = threading.Thread(target=submit, name="first")
    first.start()
    first_read.wait(timeout=10)
    second = threading.Thread(target=lambda: (submit(), second_done.set()), name="second")
    second.start()
    first.join()
    second.join()
    assert scheduled == [attempt_id]
    assert attempts.get(store, attempt_id)["status"] == "submitted"


# -- reads never write ---------------------------------------------------------------------


@contextmanager
def no_write_transaction(store) -> Iterator[list[str]]:
    opened: list[str] = []
    real = store.database.transaction

    def spy(*args, **kwargs):
        opened.append("transaction")
        return real(*args, **kwargs)

    store.database.transaction = spy
    try:
        yield opened
    finally:
        del store.database.transaction


def test_the_session_view_and_the_journal_search_open_no_write_transaction(
    app, client, auth, exam_id, attempt_id
) -> None:
    services = app.extensions["mockprock"]
    store = services.store
    client.post(f"/desktop/start?attempt={attempt_id}")
    client.post(f"/desktop/stop?attempt={attempt_id}")
    # The upload is done (its due time has passed) but not yet on the timeline.
    with store.database.transaction() as db:
        db.execute(
            "UPDATE desktop_sessions SET upload_done_at = ? WHERE attempt_id = ?",
            (time.time() - 1, attempt_id),
        )
    client.get(f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", headers=auth)  # journaled
    dashboard = dashboard_link(exam_id=exam_id, attempt_id=attempt_id)
    with no_write_transaction(store) as opened:
        assert client.get(dashboard).status_code == 200
        detail = client.get(
            f"/mockprock/api/attempts/{attempt_id}", headers=basic("abcd", "abcdsecret")
        ).get_json()
        view = client.get(
            f"/mockprock/api/attempts/{attempt_id}/desktop", headers=basic("abcd", "abcdsecret")
        ).get_json()
    assert opened == []
    assert view["status"] == "uploaded"
    assert any(attempt_id in entry["path"] for entry in detail["requests"])
    assert ATTEMPT["full_name"] == detail["full_name"]


# -- a full or read-only store says so -----------------------------------------------------


def test_a_full_store_answers_507_saying_so_and_changes_nothing(app, client, auth) -> None:
    store = app.extensions["mockprock"].store
    pages = store.database.db.execute("PRAGMA page_count").fetchone()[0]
    # This thread's connection (the test client serves here) may not grow the file.
    store.database.db.execute(f"PRAGMA max_page_count = {pages}")
    exams = [{**EXAM, "id": n, "exam_name": "x" * 2000} for n in range(2, 40)]
    answers = [client.post("/api/v1/exam/", json=exam, headers=auth) for exam in exams]
    full = [a for a in answers if a.status_code != 200]
    assert full, "the store never filled"
    assert {a.status_code for a in full} == {507}
    assert all("the store is full" in a.get_json()["detail"] for a in full)
    assert len(store.exams.list_exams()) == len(answers) - len(
        full
    )  # the refused ones left nothing


def test_a_store_that_cannot_be_written_is_the_clear_db_error(tmp_path, monkeypatch) -> None:
    import sqlite3

    import click

    from mockprock.server import open_app
    from mockprock.store import database

    settings = make_settings(tmp_path)
    create_app(settings).extensions["mockprock"].close()  # the store exists
    real_connect = sqlite3.connect

    class ReadOnlyFilesystem(sqlite3.Connection):
        """What SQLite does on a read-only filesystem: it opens, reads and even begins
        a transaction; the first change fails."""

        def execute(self, sql, *args):
            words = sql.lstrip().upper()
            if words.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE")) or (
                words.startswith("PRAGMA USER_VERSION") and "=" in words
            ):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return super().execute(sql, *args)

        def executemany(self, sql, *args):
            raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(
        database.sqlite3,
        "connect",
        lambda *args, **kwargs: real_connect(*args, factory=ReadOnlyFilesystem, **kwargs),
    )
    with pytest.raises(click.ClickException) as refused:
        open_app(settings, ())
    message = refused.value.message
    assert message.startswith(f"--db {settings.db}") and "read-only" in message
