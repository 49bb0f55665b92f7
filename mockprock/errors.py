"""The one error type the rules raise; the HTTP layer turns it into a JSON answer."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class ProviderError(Exception):
    """A refused request: HTTP status, a short machine code and a sentence for people."""

    def __init__(self, status: int, error: str, detail: str, title: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        # The heading of the error page an HTML route shows (default: from ``error``).
        self.title = title

    def to_dict(self) -> dict[str, str]:
        return {"error": self.error, "detail": self.detail}


class Conflict(ProviderError):
    """A change that would break a uniqueness rule of the store (HTTP 409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(409, "conflict", detail)


class StoreFull(ProviderError):
    """The store's disk has no room left (HTTP 507): the change was not made."""

    def __init__(self) -> None:
        super().__init__(
            507,
            "insufficient_storage",
            "the store is full (the disk holding the --db file has no room left): nothing "
            "was changed; free some space and send the request again",
        )


def not_found(what: str, ident: str) -> ProviderError:
    return ProviderError(404, "not_found", f"no {what} with id {ident!r}")


def found(row: T | None, what: str, ident: str) -> T:
    """``row``, or the 404 saying no ``what`` has id ``ident``: the one get-or-404."""
    if row is None:
        raise not_found(what, ident)
    return row


def bad_request(detail: str, error: str = "invalid_request") -> ProviderError:
    return ProviderError(400, error, detail)


def dashboard_refused(detail: str) -> ProviderError:
    """A dashboard link this browser may not open (a 403 page saying why)."""
    return ProviderError(403, "forbidden", detail, title="This dashboard link cannot be opened")
