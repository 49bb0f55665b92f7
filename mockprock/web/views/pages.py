"""Pages for people: the landing page and the learner page the LMS sends learners to.

``GET /download?attempt=&exam=``: opening it is the moment a vendor's software would be
installed and started, so it queues the ``ready`` callback (after ``ready_delay_seconds``),
as the original mockprock did; the page works without JavaScript. ``learner.js`` keeps
it current by polling ``GET /download/status`` (JSON, changes nothing).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from mockprock.errors import ProviderError, bad_request
from mockprock.web.views.common import json_error, pages

bp = Blueprint("pages", __name__)


@bp.get("/")
def landing() -> str:
    return render_template("landing.html", **pages().overview())


def _attempt_query() -> tuple[str, str | None]:
    attempt_id = request.args.get("attempt", "")
    if not attempt_id:
        raise bad_request("The link carries no attempt (the attempt query parameter is missing).")
    return attempt_id, request.args.get("exam") or None


@bp.get("/download")
def download() -> str:
    page = pages().download_page(*_attempt_query())
    return render_template("download.html", **page)


@bp.get("/download/status")
def download_status() -> Response:
    try:
        return jsonify(pages().learner_view(*_attempt_query()))
    except ProviderError as exc:
        return json_error(exc.status, exc.error, exc.detail)
