"""What the journal and the logs keep of a request: everything but its secrets; and each
client's own share of the journal, which anonymous traffic cannot evict."""

from __future__ import annotations

from mockprock.redaction import REDACTED, redact, redact_url
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
