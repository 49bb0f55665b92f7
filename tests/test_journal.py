"""What the journal and the logs keep of a request: everything but its secrets; and each
client's own share of the journal, which anonymous traffic cannot evict."""

from __future__ import annotations

import json

import pytest

from mockprock.redaction import REDACTED, redact, redact_url
from mockprock.store import journal
from tests.helpers import app_on, get_token


def test_secrets_are_redacted_and_token_type_is_kept() -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "abcd",
        "client_secret": "abcdsecret",
        "token_type": "jwt",
    }
    answer = {"access_token": "eyJ...", "token_type": "JWT", "expires_in": 3600}
    assert redact(form) == {**form, "client_secret": REDACTED}
    assert redact(answer) == {**answer, "access_token": REDACTED}
    assert redact({"headers": {"Authorization": "JWT eyJ..."}}) == {
        "headers": {"Authorization": REDACTED}
    }


def test_secret_query_values_are_redacted() -> None:
    assert redact_url("GET /x?jwt=abc&token_type=jwt") == f"GET /x?jwt={REDACTED}&token_type=jwt"


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
        kept = store.journal.list_journal(100, client_id="abcd")
        assert len(kept) == 6  # its token request and its five calls
        store.journal.flush_journal()
        anonymous = store.database.db.execute(
            "SELECT count(*) FROM journal WHERE client_id IS NULL"
        ).fetchone()[0]
        assert anonymous == 20  # anonymous traffic has its own bounded share


def journaled_requests(app) -> list[tuple]:
    rows = app.extensions["mockprock"].store.database.db.execute(
        "SELECT method, path, status, client_id, request FROM journal ORDER BY id"
    )
    return [(m, p, s, c, json.loads(r)) for m, p, s, c, r in rows.fetchall()]


@pytest.mark.parametrize("one_statement", [True, False])
def test_waiting_entries_are_written_as_they_were_kept(tmp_path, monkeypatch, one_statement):
    if not one_statement:  # a SQLite without JSON: one INSERT per entry instead
        monkeypatch.setattr(journal, "BATCH_INSERT", "INSERT INTO journal SELECT no_such_fn()")
    with app_on(tmp_path) as app:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        client.post("/api/v1/exam/", json={"exam_name": "ünïcode\u2028"}, headers=auth)
        client.get("/api/v1/config/?page=2", headers=auth)
        waiting = app.extensions["mockprock"].store.journal.list_journal(10, client_id="abcd")
        app.extensions["mockprock"].store.journal.flush_journal()
        written = journaled_requests(app)
    assert [(m, p, s, c) for m, p, s, c, _ in written] == [
        ("POST", "/oauth2/access_token", 200, "abcd"),
        ("POST", "/api/v1/exam/", 400, "abcd"),
        ("GET", "/api/v1/config/", 200, "abcd"),
    ]
    assert written[1][4] == {"query": {}, "json": {"exam_name": "ünïcode\u2028"}}
    assert written[2][4] == {"query": {"page": "2"}, "json": None}
    assert [row["request"] for row in waiting] == [r for *_, r in written]
