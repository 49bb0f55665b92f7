"""Trust promises in process (DESIGN section 6, issue 20): pages never call out,
credentials are live, settings changes are serialized, the journal is kept per client,
every int route is bounded, and reads never write. The live ones (a tenant's latency
fault, the waitress body limit) are in tests/test_tenants_e2e.py."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from mockprock import attempts, reviews
from mockprock.app import create_app
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, get_token, make_settings


def dashboard_link(**claims: object) -> str:
    token = {
        "course_id": EXAM["course_id"],
        "user": {"id": 1, "full_name": "Staff", "email": "staff@example.com"},
        "iss": "abcd",
        "exp": time.time() + 3600,
        **claims,
    }
    return f"/api/v1/instructor/abcd/?jwt={jwt.encode(token, 'abcdsecret', algorithm='HS256')}"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@contextmanager
def app_on(tmp_path, **settings: object) -> Iterator:
    app = create_app(make_settings(tmp_path, **settings))
    app.testing = True
    try:
        yield app
    finally:
        app.extensions["mockprock"].close()


class CountingLms(ThreadingHTTPServer):
    """An LMS that counts every request it gets and refuses the credentials."""

    def __init__(self) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def counting_lms() -> Iterator[CountingLms]:
    server = CountingLms()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# -- pages never call out ------------------------------------------------------------------


def test_anonymous_page_views_never_call_the_lms_nor_show_its_address(
    tmp_path, counting_lms
) -> None:
    lms_url = counting_lms.url
    with app_on(
        tmp_path,
        lms_url=lms_url,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        allowed_lms_origins=("http://lms.other.example",),
    ) as app:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        client.post("/api/v1/exam/", json=EXAM, headers=auth)
        for _ in range(50):
            page = client.get("/")
            assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert counting_lms.hits == 0  # no token request, no secret sent
        assert lms_url not in text and "lms.other.example" not in text
        assert 'id="count-exams"' not in text  # no client's counts either
        assert 'href="/mockprock/"' in text and 'href="/openapi.json"' in text


def test_an_operator_asks_for_the_lms_check(tmp_path, counting_lms) -> None:
    with app_on(
        tmp_path,
        lms_url=counting_lms.url,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
    ) as app:
        client = app.test_client()
        answer = client.post("/mockprock/api/lms-check", headers=basic("abcd", "abcdsecret"))
        assert answer.status_code == 200
        assert answer.get_json()["ok"] is False and "refused" in answer.get_json()["said"]
        assert counting_lms.hits == 1
        # The result is kept: asking what is known calls nobody.
        known = client.get("/mockprock/api/lms-check", headers=basic("abcd", "abcdsecret"))
        assert known.get_json()["ok"] is False and counting_lms.hits == 1


# -- credentials are live ------------------------------------------------------------------


def test_a_token_of_a_client_no_longer_accepted_is_refused_after_a_restart(tmp_path) -> None:
    with app_on(tmp_path, clients=(("old", "old-secret"),)) as first:
        token = get_token(first.test_client(), "old", "old-secret")
    with app_on(tmp_path, clients=(("new", "new-secret"),)) as second:
        answer = second.test_client().post(
            "/api/v1/exam/", json=EXAM, headers={"Authorization": f"JWT {token}"}
        )
        assert answer.status_code == 401
        assert second.extensions["mockprock"].store.list_exams() == []


def test_a_default_rule_token_is_refused_once_the_server_names_its_clients(tmp_path) -> None:
    with app_on(tmp_path) as first:
        token = get_token(first.test_client(), "abcd", "abcdsecret")
    named = {"clients": (("lms", "lms-secret"),), "admins": (("ops", "ops-secret"),)}
    with app_on(tmp_path, **named) as second:
        client = second.test_client()
        answer = client.get("/api/v1/config/", headers={"Authorization": f"JWT {token}"})
        assert answer.status_code == 401
        control = client.get("/mockprock/api/settings", headers={"Authorization": f"JWT {token}"})
        assert control.status_code == 401


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, client_id: str = "abcd", secret: str = "abcdsecret"):
    page = client.get("/mockprock/").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "client_id": client_id, "client_secret": secret}
    return client.post("/mockprock/sign-in", data=form)


def cookie_of(client) -> str:
    return client.get_cookie("mockprock_session").value


def replayed(app, cookie: str):
    client = app.test_client()
    client.set_cookie("mockprock_session", cookie)
    return client


def signed_in(client) -> bool:
    return 'id="sign-in"' not in client.get("/mockprock/").get_data(as_text=True)


def test_a_console_cookie_replayed_after_sign_out_is_not_signed_in(tmp_path) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        sign_in(client)
        assert signed_in(client)
        cookie = cookie_of(client)
        csrf = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        client.post("/mockprock/sign-out", data={"csrf_token": csrf})
        thief = replayed(app, cookie)
        assert not signed_in(thief)
        changed = thief.post(
            "/mockprock/settings", data={"csrf_token": csrf, "review_delay_seconds": "1"}
        )
        assert changed.status_code in (303, 403)
        assert app.extensions["mockprock"].settings.review_delay_seconds != 1


def test_a_console_cookie_replayed_after_a_restart_without_its_client_is_not_signed_in(
    tmp_path,
) -> None:
    with app_on(tmp_path, clients=(("old", "old-secret"),)) as first:
        client = first.test_client()
        sign_in(client, "old", "old-secret")
        assert signed_in(client)
        cookie = cookie_of(client)
    with app_on(tmp_path, clients=(("new", "new-secret"),)) as second:
        assert not signed_in(replayed(second, cookie))


def test_sign_in_renews_the_session_and_its_csrf_token(tmp_path) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        planted = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        sign_in(client)
        assert signed_in(client)
        refused = client.post(
            "/mockprock/settings", data={"csrf_token": planted, "review_delay_seconds": "1"}
        )
        assert refused.status_code == 403
        fresh = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        assert fresh != planted
        client.post("/mockprock/settings", data={"csrf_token": fresh, "review_delay_seconds": "1"})
        assert app.extensions["mockprock"].settings.review_delay_seconds == 1


# -- settings changes are serialized ---------------------------------------------------------


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
            stored = app.extensions["mockprock"].store.settings_overrides()
            assert {name: stored[name] for name in changes} == changes


# -- the journal is kept per client ----------------------------------------------------------


def test_anonymous_requests_cannot_evict_a_clients_journal(tmp_path) -> None:
    with app_on(tmp_path, journal_size=20) as app:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        for _ in range(5):
            client.get("/api/v1/config/", headers=auth)
        for _ in range(60):
            client.post(
                "/oauth2/access_token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "nobody",
                    "client_secret": "x",
                    "token_type": "jwt",
                },
            )
        store = app.extensions["mockprock"].store
        kept = store.list_journal(100, client_id="abcd")
        assert len(kept) == 6  # its token request and its five calls
        store.flush_journal()
        anonymous = store.db.execute(
            "SELECT count(*) FROM journal WHERE client_id IS NULL"
        ).fetchone()[0]
        assert anonymous == 20  # anonymous traffic has its own bounded share


# -- every int route is bounded --------------------------------------------------------------


@pytest.mark.parametrize("callback_id", [2**63, 2**64 + 5, 10**30])
def test_the_consoles_retry_route_answers_a_clear_4xx_for_an_id_past_sqlite(
    tmp_path, callback_id
) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        sign_in(client)
        csrf = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        answer = client.post(f"/mockprock/callbacks/{callback_id}/retry", data={"csrf_token": csrf})
        assert answer.status_code == 404
        api = client.post(
            f"/mockprock/api/callbacks/{callback_id}/retry", headers=basic("abcd", "abcdsecret")
        )
        assert api.status_code == 404


# -- a submission runs the post-submission rules once ----------------------------------------


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
    real_get = store.get_attempt

    def get_attempt(*args, **kwargs):
        row = real_get(*args, **kwargs)
        if threading.current_thread().name == "first" and not first_read.is_set():
            first_read.set()
            # Let the second submission run meanwhile, if it can (fixed: it waits for
            # the write lock the first one holds, so this wait ends by its bound).
            second_done.wait(timeout=2)
        return row

    monkeypatch.setattr(store, "get_attempt", get_attempt)
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
    real = store.transaction

    def spy(*args, **kwargs):
        opened.append("transaction")
        return real(*args, **kwargs)

    store.transaction = spy
    try:
        yield opened
    finally:
        del store.transaction


def test_the_session_view_and_the_journal_search_open_no_write_transaction(
    app, client, auth, exam_id, attempt_id
) -> None:
    services = app.extensions["mockprock"]
    store = services.store
    client.post(f"/desktop/start?attempt={attempt_id}")
    client.post(f"/desktop/stop?attempt={attempt_id}")
    # The upload is done (its due time has passed) but not yet on the timeline.
    with store.transaction() as db:
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


# -- a full or read-only store says so -------------------------------------------------------


def test_a_full_store_answers_507_saying_so_and_changes_nothing(app, client, auth) -> None:
    store = app.extensions["mockprock"].store
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    # This thread's connection (the test client serves here) may not grow the file.
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    exams = [{**EXAM, "id": n, "exam_name": "x" * 2000} for n in range(2, 40)]
    answers = [client.post("/api/v1/exam/", json=exam, headers=auth) for exam in exams]
    full = [a for a in answers if a.status_code != 200]
    assert full, "the store never filled"
    assert {a.status_code for a in full} == {507}
    assert all("the store is full" in a.get_json()["detail"] for a in full)
    assert len(store.list_exams()) == len(answers) - len(full)  # the refused ones left nothing


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
