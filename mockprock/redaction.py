"""Keeping secrets out of everything the server writes down (journal, logs, pages)."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"
# `token_type` ("JWT", "Bearer") names a kind of token and is no secret.
_SECRET_KEY = re.compile(r"secret|token(?!_type$)|password|authorization|^jwt$", re.IGNORECASE)
# Any word _SECRET_KEY could match, in any context (a superset of it).
_SECRET_WORD = re.compile(r"secret|token|password|authorization|jwt", re.IGNORECASE)
_SECRET_QUERY = re.compile(
    r"((?:^|[?&\s])(?:jwt|access_token|client_secret|token)=)[^&\s]*", re.IGNORECASE
)


def redact(data: Any) -> Any:
    """``data`` with the value of every secret-looking key replaced."""
    if isinstance(data, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) and value else redact(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact(item) for item in data]
    return data


def might_hold_secret(text: str) -> bool:
    """False when no key in this JSON text can be a secret's (so ``redact`` would leave
    it as it is): a cheap test before parsing it to redact."""
    return bool(_SECRET_WORD.search(text))


def redact_url(text: str) -> str:
    """A URL or request line with secret query values replaced (``?jwt=...``)."""
    return _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)
