"""What every blueprint shares: request parsing, provider-token checks, error answers."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
)
from werkzeug.routing import IntegerConverter

from mockprock import payloads
from mockprock.auth import AuthError, token_from_header
from mockprock.errors import ProviderError
from mockprock.redaction import might_hold_secret, redact, redact_url
from mockprock.web.services import pages, provider, services

log = logging.getLogger(__name__)

# Paths answered in JSON, errors included; everything else is a page for people.
JSON_PREFIXES = ("/api/", "/oauth2/", "/mockprock/api/", "/desktop/")
HTML_PREFIXES = ("/api/v1/instructor/",)
WWW_AUTHENTICATE = 'JWT realm="mockprock", Bearer realm="mockprock"'


__all__ = ["pages", "provider", "services"]


class StoreIdConverter(IntegerConverter):
    """``<store_id:name>``: a non-negative integer SQLite can hold. A larger one matches
    no route (the 404 of an unknown id), never an OverflowError in a query."""

    def __init__(self, map, **kwargs) -> None:
        super().__init__(map, min=0, max=payloads.MAX_SQL_INT)


def register_converters(app: Flask) -> None:
    """Before any blueprint: every integer in a route is a ``store_id``."""
    app.url_map.converters["store_id"] = StoreIdConverter


def base_url() -> str:
    """Base of the links handed out: ``--public-url``, else the host the request came to."""
    return (services().settings.public_url or request.url_root).rstrip("/")


# Where json_body keeps what it parsed, for the journal (which then parses nothing again;
# the rules never change a request's body).
PARSED_BODY = "mockprock_parsed_body"


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    body = payloads.json_object(request.get_data(cache=True))
    setattr(g, PARSED_BODY, body)
    return body


def authenticate_provider_token() -> str:
    """The client id of the request's provider token; 401 when there is none or it is bad."""
    token = token_from_header(request.headers.get("Authorization"))
    g.client_id = provider().client_of_token(token)
    return g.client_id


# Set by the HTTP server (``serving.HOLD_ANSWER``): sends the answer that many seconds
# late without holding the request's thread.
HOLD_ANSWER = "mockprock.hold_answer"


def answer_late(response: Response, seconds: float) -> Response:
    """``response``, leaving ``seconds`` late: the HTTP server holds it back (mockprock's
    waitress, the thread goes back to the pool at once); under another server (the test
    client, a development server) this thread waits."""
    if seconds > 0:
        hold = request.environ.get(HOLD_ANSWER)
        if hold is not None:
            hold(seconds)
        else:
            time.sleep(seconds)
    return response


def json_error(status: int, error: str, detail: str) -> Response:
    response = jsonify({"error": error, "detail": detail})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def wants_json() -> bool:
    path = request.path
    return path.startswith(JSON_PREFIXES) and not path.startswith(HTML_PREFIXES)


def error_page(status: int, title: str, detail: str) -> Response:
    response = current_app.make_response(
        render_template("error.html", status=status, title=title, detail=detail)
    )
    response.status_code = status
    return response


# The one answer to a fault, on every route: no internals, the log has the traceback.
SERVER_ERROR = "server_error"
SERVER_ERROR_DETAIL = "the server hit an unexpected error; its log has the details"


def refuse_oversized_request() -> None:
    """A JSON 414 or 431 for a URL or a header block past what the app answers (the HTTP
    server's own limits are higher: between the two, the app answers, in JSON)."""
    environ = request.environ
    url_bytes = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
    if url_bytes > payloads.MAX_URL_BYTES:
        raise RequestURITooLarge(f"the URL is longer than {payloads.MAX_URL_BYTES} bytes")
    # The header block's size as ``request.headers`` spells it (``HTTP_X_Y`` is ``X-Y``,
    # Content-Type and -Length have no prefix), summed from the environ without building
    # each name: this runs for every request.
    header_bytes = sum(
        len(key) - 1 + len(value)
        if key.startswith("HTTP_")
        else len(key) + 4 + len(value)
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value
        else 0
        for key, value in environ.items()
        if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")
    )
    if header_bytes > payloads.MAX_HEADER_BYTES:
        raise RequestHeaderFieldsTooLarge(
            f"the request's headers are larger than {payloads.MAX_HEADER_BYTES} bytes"
        )


def register_error_handlers(app: Flask) -> None:
    """Every refusal and fault as one JSON shape (``error``, ``detail``) on the JSON routes,
    an error page elsewhere; and the size limits of a request, checked first."""
    app.before_request(refuse_oversized_request)

    @app.errorhandler(ProviderError)
    def provider_error(exc: ProviderError) -> Response:
        if wants_json():
            return json_error(exc.status, exc.error, exc.detail)
        title = exc.title or exc.error.replace("_", " ").capitalize()
        return error_page(exc.status, title, exc.detail)

    @app.errorhandler(AuthError)
    def auth_error(exc: AuthError) -> Response:
        return json_error(401, "invalid_token", str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status >= 500:
            # Flask's own 500 (an exception after the view, in after_request) as ours.
            original = getattr(exc, "original_exception", None)
            if original is not None:
                return unexpected(original)
        name = (exc.name or "error").lower().replace(" ", "_")
        if status == 413:
            limit = services().settings.max_body_bytes
            detail = f"the request body is larger than {limit} bytes"
        else:
            detail = exc.description or exc.name
        if wants_json():
            response = json_error(status, name, detail)
        else:
            response = error_page(status, exc.name, detail)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # Logged with its traceback for the developer; the client sees no internals.
        log.error(
            "unexpected error on %s %s",
            request.method,
            redact_url(request.full_path),
            exc_info=exc,
        )
        if wants_json():
            return json_error(500, SERVER_ERROR, SERVER_ERROR_DETAIL)
        return error_page(500, "Server error", SERVER_ERROR_DETAIL)


def journal_response(response: Response) -> Response:
    """Keep the request and its answer in the journal, secrets redacted."""
    entry: dict[str, Any] = {"query": redact(request.args.to_dict())}
    try:
        if request.form:
            entry["form"] = redact(request.form.to_dict())
        elif hasattr(g, PARSED_BODY):
            entry["json"] = redact(getattr(g, PARSED_BODY))
        else:
            # The same checked parse as the views': a hostile body (nested 1,000 deep, a
            # lone surrogate) is kept as a note, never parsed into a fault here.
            raw = request.get_data(cache=True)
            entry["json"] = redact(payloads.json_value(raw)) if raw else None
    except ProviderError as exc:
        entry["body"] = f"<not kept: {exc.detail}>"
    except HTTPException:
        entry["body"] = "<too large to keep>"
    excerpt = "" if response.direct_passthrough else response.get_data(as_text=True)
    # Parsed and written again only when it may hold a secret (the token's answer).
    if response.is_json and might_hold_secret(excerpt):
        with contextlib.suppress(ValueError):
            excerpt = json.dumps(redact(json.loads(excerpt)))
    excerpt = excerpt[:2000]
    provider().journal(
        request.method,
        redact_url(request.path),
        response.status_code,
        g.get("client_id"),
        entry,
        excerpt,
    )
    return response
