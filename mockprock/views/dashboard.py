"""The instructor (reviewer) dashboard the LMS links to, signed by the LMS.

``GET /api/v1/instructor/<client_id>/?jwt=...``: the token is signed with the client's
secret; its claims choose the view: an attempt, an exam's configuration, an exam, or
the whole course.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from mockprock.auth import AuthError, verify_lms_token
from mockprock.provider import attempt_view, exam_view
from mockprock.views.common import error_page, services

bp = Blueprint("dashboard", __name__, url_prefix="/api/v1/instructor")


def _forbidden(reason: str) -> Response:
    return error_page(403, "This dashboard link cannot be opened", reason)


@bp.get("/<client_id>/")
def instructor_dashboard(client_id: str) -> Response:
    token = request.args.get("jwt")
    if not token:
        return _forbidden("The link carries no token (the jwt query parameter is missing).")
    services_ = services()
    secret = services_.clients.secret_for(client_id)
    if secret is None:
        return _forbidden(f"{client_id!r} is not a client this server accepts.")
    try:
        claims = verify_lms_token(secret, token, client_id)
    except AuthError as exc:
        return _forbidden(str(exc).capitalize() + ".")
    store = services_.store
    course_id = claims["course_id"]
    exam = store.get_exam(claims["exam_id"]) if claims.get("exam_id") else None
    if claims.get("exam_id") and exam is None:
        return error_page(404, "Unknown exam", f"No exam with id {claims['exam_id']!r}.")
    context = {"claims": claims, "course_id": course_id, "user": claims.get("user") or {}}
    if exam is not None and claims.get("attempt_id"):
        attempt = store.get_attempt(claims["attempt_id"], exam["id"])
        if attempt is None:
            return error_page(404, "Unknown attempt", f"No attempt {claims['attempt_id']!r}.")
        view = "attempt"
        context.update(
            exam=exam_view(exam),
            attempt=attempt_view(attempt),
            events=store.list_events(attempt["id"]),
        )
    elif exam is not None and claims.get("config"):
        view = "config"
        context.update(exam=exam_view(exam))
    elif exam is not None:
        view = "exam"
        context.update(
            exam=exam_view(exam),
            attempts=[attempt_view(a) for a in store.list_attempts(exam_id=exam["id"])],
        )
    else:
        view = "course"
        exams = store.list_exams(course_id)
        context.update(
            exams=[
                {**exam_view(e), "attempt_count": len(store.list_attempts(exam_id=e["id"]))}
                for e in exams
            ]
        )
    return render_template("dashboard.html", view=view, **context)
