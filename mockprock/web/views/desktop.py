"""The desktop application the learner's browser worker talks to (``/desktop/``).

No authentication (a real application listens on the learner's own machine), JSON
answers. The worker names the attempt with ``?attempt=<external id>`` (served to any
origin: the learning MFE's is not the LMS's); a request that names none is served only
from an allowed origin (``trust.unnamed_desktop_refusal``). CORS echoes the request's
origin, and a preflight allows only what the worker sends.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mockprock.trust import cors_origin
from mockprock.web.views.common import answer_late, provider

bp = Blueprint("desktop", __name__, url_prefix="/desktop")

ALLOWED_METHODS = "GET, POST"
# The worker sends no header of its own; a JSON body (the conformance kit's) needs this.
ALLOWED_HEADERS = "Content-Type"


@bp.before_request
def preflight() -> Response | None:
    """Answer a CORS preflight before routing it to a view."""
    if request.method == "OPTIONS":
        return Response(status=204)
    return None


@bp.after_request
def cors(response: Response) -> Response:
    origin = cors_origin(request.headers.get("Origin"))
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    response.headers["Cache-Control"] = "no-store"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        # Chrome asks before a public page may call an address on the learner's machine.
        if request.headers.get("Access-Control-Request-Private-Network") == "true":
            response.headers["Access-Control-Allow-Private-Network"] = "true"
    return response


def _answer(answer: Any) -> Response:
    """The application's answer (the facade's ``AppAnswer``) as a JSON response."""
    response = jsonify(answer.body())
    response.status_code = answer.http_status
    return answer_late(response, answer.delay_ms / 1000)


def _attempt_param() -> str | None:
    return request.args.get("attempt") or None


def _origin() -> str | None:
    return request.headers.get("Origin")


@bp.route("/start", methods=["POST", "OPTIONS"])
def start() -> Response:
    return _answer(provider().desktop_app.start(_attempt_param(), _origin()))


@bp.route("/ping", methods=["GET", "OPTIONS"])
def ping() -> Response:
    return _answer(provider().desktop_app.ping(_attempt_param(), _origin()))


@bp.route("/stop", methods=["POST", "OPTIONS"])
def stop() -> Response:
    return _answer(provider().desktop_app.stop(_attempt_param(), _origin()))
