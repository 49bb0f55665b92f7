"""What the journal and the logs keep of a request: everything but its secrets."""

from __future__ import annotations

from mockprock.redaction import REDACTED, redact, redact_url


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
