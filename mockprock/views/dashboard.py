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

import time
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from mockprock import forms, statuses
from mockprock.auth import AuthError
from mockprock.proctoring_config import PROCTORING_CONFIG
from mockprock.views.common import error_page, pages, provider
from mockprock.views.html import check_csrf

bp = Blueprint("dashboard", __name__, url_prefix="/api/v1/instructor")

SESSION_KEY = "dashboard"


class Forbidden(Exception):
    """The page cannot be shown to this browser; the message says why."""


def _forbidden(reason: str) -> Response:
    return error_page(403, "This dashboard link cannot be opened", reason)


@bp.errorhandler(Forbidden)
def forbidden(exc: Forbidden) -> Response:
    return _forbidden(str(exc))


@bp.errorhandler(AuthError)
def bad_token(exc: AuthError) -> Response:
    return _forbidden(str(exc).capitalize() + ".")


def _open_session(client_id: str) -> dict[str, Any]:
    """The dashboard session of this browser for ``client_id``, or Forbidden."""
    kept = session.get(SESSION_KEY)
    if not kept or kept.get("client_id") != client_id:
        raise Forbidden(
            "The link carries no token (the jwt query parameter is missing) and this browser "
            "has no dashboard open for this client; open the dashboard from the LMS."
        )
    if kept["exp"] < time.time():
        session.pop(SESSION_KEY, None)
        raise Forbidden("The dashboard link has expired; open it again from the LMS.")
    return kept


def _claims(client_id: str) -> dict[str, Any]:
    """The claims this request shows: the token's (kept for the session's links), or the
    session's course and reviewer with the view the query names."""
    token = request.args.get("jwt")
    if token:
        claims = pages().dashboard_claims(client_id, token)
        session[SESSION_KEY] = {
            "client_id": client_id,
            "course_id": claims["course_id"],
            "user": claims.get("user") or {},
            "exp": claims["exp"],
        }
        return claims
    kept = _open_session(client_id)
    source = request.form if request.method == "POST" else request.args
    claims: dict[str, Any] = {"course_id": kept["course_id"], "user": kept["user"]}
    if source.get("exam"):
        claims["exam_id"] = source["exam"]
        if source.get("attempt"):
            claims["attempt_id"] = source["attempt"]
        elif source.get("config"):
            claims["config"] = True
    return claims


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
    view, context = pages().dashboard(client_id, claims)  # inside the course, or 404
    if view != "attempt":
        raise Forbidden("A verdict needs an attempt of this course.")
    reviewer = (claims.get("user") or {}).get("email")
    body = forms.verdict_form(request.form, reviewer, source="dashboard")
    provider().queue_decision(client_id, context["attempt"]["id"], body)
    return redirect(
        url_for(
            ".instructor_dashboard",
            client_id=client_id,
            exam=context["exam"]["id"],
            attempt=context["attempt"]["id"],
        ),
        303,
    )


@bp.post("/<client_id>/rules")
def save_rules(client_id: str) -> Response:
    check_csrf()
    claims = _claims(client_id)
    view, context = pages().dashboard(client_id, {**claims, "config": True})
    if view != "config":
        raise Forbidden("Rules belong to an exam of this course.")
    rules = {name: request.form.get(f"rule-{name}") == "on" for name in forms.EXAM_RULES}
    pages().set_exam_rules(client_id, context["exam"]["id"], rules)
    return redirect(
        url_for(".instructor_dashboard", client_id=client_id, exam=context["exam"]["id"], config=1),
        303,
    )
