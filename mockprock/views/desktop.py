"""The desktop application the learner's browser worker talks to (``/desktop/``).

No authentication (a real application listens on the learner's own machine), CORS open
to any origin, JSON answers. The worker names the attempt with ``?attempt=<external
id>``; without it a request goes where a single desktop application would send it.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from mockprock import desktop
from mockprock.views.common import services

bp = Blueprint("desktop", __name__, url_prefix="/desktop")

ALLOWED_METHODS = "GET, POST, OPTIONS"


@bp.before_request
def preflight() -> Response | None:
    """Answer a CORS preflight before routing it to a view."""
    if request.method == "OPTIONS":
        return Response(status=204)
    return None


@bp.after_request
def open_cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        requested = request.headers.get("Access-Control-Request-Headers")
        response.headers["Access-Control-Allow-Headers"] = requested or "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        # Chrome asks before a public page may call an address on the learner's machine.
        if request.headers.get("Access-Control-Request-Private-Network") == "true":
            response.headers["Access-Control-Allow-Private-Network"] = "true"
    return response


def _attempt(for_start: bool) -> str:
    attempt_id = desktop.resolve_attempt(
        services().store, request.args.get("attempt") or None, for_start
    )
    # The injected latency is the one sleep allowed on a request thread.
    delay = desktop.latency_ms(services().store, attempt_id)
    if delay:
        time.sleep(delay / 1000)
    return attempt_id


def _answer(answer: desktop.AppAnswer) -> Response:
    response = jsonify(answer.body())
    response.status_code = answer.http_status
    return response


@bp.route("/start", methods=["POST", "OPTIONS"])
def start() -> Response:
    services_ = services()
    attempt_id = _attempt(for_start=True)
    answer = desktop.start(services_.store, attempt_id, services_.settings.desktop_default)
    if answer.ok:
        services_.provider.schedule_ready(attempt_id)
    return _answer(answer)


@bp.route("/ping", methods=["GET", "OPTIONS"])
def ping() -> Response:
    return _answer(desktop.ping(services().store, _attempt(for_start=False)))


@bp.route("/stop", methods=["POST", "OPTIONS"])
def stop() -> Response:
    services_ = services()
    attempt_id = _attempt(for_start=False)
    return _answer(
        desktop.stop(services_.store, attempt_id, services_.settings.upload_delay_seconds)
    )
