"""Pages for people: the download page the LMS sends the learner to.

``GET /download?attempt=&exam=``: opening it is the moment a vendor's software would be
installed and started, so it queues the ``ready`` callback (after ``ready_delay_seconds``),
as the original mockprock did.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from mockprock.errors import bad_request, not_found
from mockprock.views.common import services

bp = Blueprint("pages", __name__)


@bp.get("/download")
def download() -> str:
    attempt_id = request.args.get("attempt", "")
    exam_id = request.args.get("exam", "")
    if not attempt_id:
        raise bad_request("The link carries no attempt (the attempt query parameter is missing).")
    provider = services().provider
    attempt = services().store.get_attempt(attempt_id, exam_id or None)
    if attempt is None:
        raise not_found("attempt", attempt_id)
    queued = provider.schedule_ready(attempt_id)
    return render_template(
        "download.html",
        attempt=attempt,
        queued=queued,
        delay=provider.settings.ready_delay_seconds,
    )
