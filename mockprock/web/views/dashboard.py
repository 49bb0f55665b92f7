"""The instructor (reviewer) dashboard the LMS links to, signed by the LMS.

``GET /api/v1/instructor/<client_id>/?jwt=...``: the token is signed with the client's
secret; its claims choose the view (an attempt, an exam's configuration, an exam, or the
whole course). Opening it keeps the token's client, course, reviewer and expiry in the
signed session cookie, so the views link to each other (``?exam=&attempt=&config=1``)
without a new token, and never outside that course and client. The attempt view records
a verdict (the ``reviewed`` callback, ``reviewed_by`` the reviewer's email); the
configuration view switches the exam's rules. Both forms carry a CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from mockprock import forms, statuses
from mockprock.errors import dashboard_refused
from mockprock.proctoring_config import PROCTORING_CONFIG
from mockprock.web.views.common import pages, provider
from mockprock.web.views.html import check_csrf

bp = Blueprint("dashboard", __name__, url_prefix="/api/v1/instructor")

SESSION_KEY = "dashboard"


def _open_session(client_id: str) -> dict[str, Any]:
    """The dashboard session of this browser for ``client_id``, or a 403."""
    kept = session.get(SESSION_KEY)
    if not kept or kept.get("client_id") != client_id:
        raise dashboard_refused(
            "The link carries no token (the jwt query parameter is missing) and this browser "
            "has no dashboard open for this client; open the dashboard from the LMS."
        )
    if kept["exp"] <= provider().clock.now():
        session.pop(SESSION_KEY, None)
        raise dashboard_refused("The dashboard link has expired; open it again from the LMS.")
    return kept


def _claims(client_id: str) -> dict[str, Any]:
    """The claims this request shows: the token's (kept for the session's links), or the
    session's course and reviewer with the view the query names."""
    token = request.args.get("jwt")
    if token:
        claims = pages().verify_dashboard_link(client_id, token)
        session[SESSION_KEY] = {
            "client_id": client_id,
            "course_id": claims["course_id"],
            "user": claims.get("user") or {},
            "exp": claims["exp"],
        }
        return claims
    kept = _open_session(client_id)
    source = request.form if request.method == "POST" else request.args
    return forms.dashboard_view(source, kept["course_id"], kept["user"])


@bp.get("/<client_id>/")
def instructor_dashboard(client_id: str) -> str:
    claims = _claims(client_id)
    view, context = pages().dashboard(client_id, claims)
    return render_template(
        "dashboard.html",
        view=view,
        client_id=client_id,
        verdicts=statuses.REVIEW_STATUSES,
        rule_labels=PROCTORING_CONFIG["en"]["rules"],
        **context,
    )


@bp.post("/<client_id>/verdict")
def record_verdict(client_id: str) -> Response:
    check_csrf()
    claims = _claims(client_id)
    reviewer = (claims.get("user") or {}).get("email")
    body = forms.verdict_form(request.form, reviewer, source=statuses.DECISION_BY_DASHBOARD)
    attempt = pages().record_verdict(client_id, claims, body)
    return redirect(
        url_for(
            ".instructor_dashboard",
            client_id=client_id,
            exam=attempt["exam_id"],
            attempt=attempt["id"],
        ),
        303,
    )


@bp.post("/<client_id>/rules")
def save_rules(client_id: str) -> Response:
    check_csrf()
    claims = _claims(client_id)
    exam = pages().set_exam_rules(client_id, claims, forms.rules_form(request.form))
    return redirect(
        url_for(".instructor_dashboard", client_id=client_id, exam=exam["id"], config=1), 303
    )
