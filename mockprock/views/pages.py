"""Pages for people: the download page the LMS sends the learner to.

``GET /download?attempt=&exam=``: opening it is the moment a vendor's software would be
installed and started, so it queues the ``ready`` callback (after ``ready_delay_seconds``),
as the original mockprock did.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from mockprock.errors import bad_request
from mockprock.views.common import provider

bp = Blueprint("pages", __name__)


@bp.get("/download")
def download() -> str:
    attempt_id = request.args.get("attempt", "")
    if not attempt_id:
        raise bad_request("The link carries no attempt (the attempt query parameter is missing).")
    page = provider().download_page(attempt_id, request.args.get("exam") or None)
    return render_template("download.html", **page)
