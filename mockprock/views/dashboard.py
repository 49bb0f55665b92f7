"""The instructor (reviewer) dashboard the LMS links to, signed by the LMS.

``GET /api/v1/instructor/<client_id>/?jwt=...``: the token is signed with the client's
secret; its claims choose the view: an attempt, an exam's configuration, an exam, or
the whole course.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from mockprock.auth import AuthError
from mockprock.views.common import error_page, provider

bp = Blueprint("dashboard", __name__, url_prefix="/api/v1/instructor")


def _forbidden(reason: str) -> Response:
    return error_page(403, "This dashboard link cannot be opened", reason)


@bp.get("/<client_id>/")
def instructor_dashboard(client_id: str) -> Response:
    token = request.args.get("jwt")
    if not token:
        return _forbidden("The link carries no token (the jwt query parameter is missing).")
    try:
        view, context = provider().dashboard(client_id, token)
    except AuthError as exc:
        return _forbidden(str(exc).capitalize() + ".")
    return render_template("dashboard.html", view=view, **context)
