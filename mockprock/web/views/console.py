"""The operator console (``/mockprock/``): the control API as pages.

Sign in with an accepted provider client's id and secret; the client is kept in the
signed session cookie and every form carries the session's CSRF token. The console calls
the same facade methods as the control API (``views/control.py``), so the same rules
apply to both. Each action answers with a redirect back to the console (303) and a
one-line message; ``refresh.js`` keeps the lists current without reloading the page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from mockprock import forms, statuses
from mockprock.errors import ProviderError
from mockprock.web.views.common import pages, provider
from mockprock.web.views.html import CSRF_FIELD, check_csrf

bp = Blueprint("console", __name__, url_prefix="/mockprock")

# The cookie holds a session id the server keeps (trust.SignIns), never the client itself.
SESSION_KEY = "console_session"
# The query a console action returns to (the attempts filter and page), carried in each
# form as ``back_<name>`` so it never mixes with the form's own fields.
KEPT_QUERY = ("status", "q", "page")


@bp.before_request
def require_sign_in() -> Response | None:
    if request.method == "POST":
        check_csrf()
    g.client_id = pages().console_client(session.get(SESSION_KEY))
    if g.client_id is None:
        session.pop(SESSION_KEY, None)
    if g.client_id is None and request.endpoint not in ("console.home", "console.sign_in"):
        return redirect(url_for(".home"), 303)
    return None


def _back() -> Response:
    kept = {k: request.form[f"back_{k}"] for k in KEPT_QUERY if request.form.get(f"back_{k}")}
    return redirect(url_for(".home", **kept), 303)


def _act(action: Callable[[], str]) -> Response:
    """Run a console action; its message (or the refusal's) shows on the next page."""
    try:
        flash(action(), "done")
    except ProviderError as exc:
        flash(f"Refused: {exc.detail}", "refused")
    return _back()


@bp.get("/")
def home() -> str:
    if g.client_id is None:
        return render_template("console_sign_in.html")
    return render_template(
        "console.html",
        attempt_statuses=sorted(statuses.ATTEMPT_STATUSES),
        verdicts=statuses.REVIEW_STATUSES,
        desktop_states=statuses.DESKTOP_STATES,
        profile_settings=statuses.PROFILE_SETTINGS,
        **pages().console(g.client_id, request.args),
    )


@bp.post("/sign-in")
def sign_in() -> Response:
    client_id = request.form.get("client_id", "")
    session_id = pages().sign_in(client_id, request.form.get("client_secret", ""))
    if session_id is None:
        flash("Unknown client or wrong secret.", "refused")
        return redirect(url_for(".home"), 303)
    # A new session: the CSRF token the cookie held before (one someone planted) is
    # gone, and the next page makes a new one.
    pages().sign_out(session.pop(SESSION_KEY, None))
    session.pop(CSRF_FIELD, None)
    session[SESSION_KEY] = session_id
    return redirect(url_for(".home"), 303)


@bp.post("/sign-out")
def sign_out() -> Response:
    pages().sign_out(session.pop(SESSION_KEY, None))
    session.pop(CSRF_FIELD, None)
    return redirect(url_for(".home"), 303)


@bp.post("/settings")
def change_settings() -> Response:
    def change() -> str:
        changed = pages().change_settings_from_form(g.client_id, request.form)
        return f"Settings changed: {', '.join(changed)}." if changed else "Nothing changed."

    return _act(change)


@bp.post("/lms-check")
def check_lms() -> Response:
    def check() -> str:
        known = pages().check_lms(g.client_id)
        return f"The LMS: {'working' if known['ok'] else 'not working'}: {known['said']}."

    return _act(check)


@bp.post("/attempts/<attempt_id>/ready")
def send_ready(attempt_id: str) -> Response:
    def ready() -> str:
        row = provider().send_ready_now(g.client_id, attempt_id)
        return f"Ready callback {row['id']} for attempt {attempt_id} is {row['state']}."

    return _act(ready)


@bp.post("/attempts/<attempt_id>/review")
def queue_review(attempt_id: str) -> Response:
    def review() -> str:
        body = forms.verdict_form(request.form, None, source=statuses.DECISION_BY_CONSOLE)
        answer = provider().queue_decision(g.client_id, attempt_id, body)
        verdict = answer["decision"]["status"]
        return f"Verdict {verdict} for attempt {attempt_id}: sent {answer['sends']}."

    return _act(review)


@bp.post("/attempts/<attempt_id>/desktop")
def set_desktop(attempt_id: str) -> Response:
    def fault() -> str:
        body = forms.desktop_fault_form(request.form)
        shown = provider().desktop_app.set_fault(g.client_id, attempt_id, body)
        return (
            f"Desktop application of attempt {attempt_id}: {shown['state']}, "
            f"{shown['latency_ms']} ms latency."
        )

    return _act(fault)


@bp.post("/callbacks/<store_id:callback_id>/retry")
def retry_callback(callback_id: int) -> Response:
    def retry() -> str:
        row = provider().retry_callback(g.client_id, callback_id)
        return f"Callback {callback_id} retried: {row['state']}."

    return _act(retry)


@bp.post("/onboarding")
def set_onboarding() -> Response:
    def profile() -> str:
        user_id, body = forms.onboarding_form(request.form)
        shown = provider().set_onboarding_profile(g.client_id, user_id, body)
        return f"Onboarding profile of {user_id}: {shown['status']}."

    return _act(profile)
