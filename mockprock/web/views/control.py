"""The control API (``/mockprock/api/``): how a developer drives the simulation.

Every route needs HTTP Basic with an accepted provider client's id and secret, or a
provider token (``Authorization: JWT <token>``); anything else gets a 401. A client sees
and steers its own exams and attempts only (another's are a 404). The rules
live behind :class:`mockprock.provider.facade.Provider`; this module only parses and answers.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mockprock.errors import ProviderError
from mockprock.web.views.common import authenticate_provider_token, json_body, pages, provider

bp = Blueprint("control", __name__, url_prefix="/mockprock/api")


@bp.before_request
def require_credentials() -> None:
    """HTTP Basic with a provider client's id and secret, or a provider token."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        client_id, secret = credentials.username or "", credentials.password or ""
        if not provider().clients.check(client_id, secret):
            raise ProviderError(401, "invalid_client", "unknown client or wrong secret")
        g.client_id = client_id
        return
    authenticate_provider_token()


# -- settings -------------------------------------------------------------------------


@bp.get("/settings")
def get_settings() -> Response:
    return jsonify(provider().settings_view(g.client_id))


@bp.patch("/settings")
def change_settings() -> Response:
    provider().change_settings(g.client_id, json_body())
    return jsonify(provider().settings_view(g.client_id))


# -- guest clients (the conformance kit's) ---------------------------------------------


@bp.post("/guests")
def add_guest() -> tuple[Response, int]:
    return jsonify(provider().add_guest(g.client_id, json_body())), 201


@bp.delete("/guests/<guest_id>")
def remove_guest(guest_id: str) -> Response:
    provider().remove_guest(g.client_id, guest_id)
    return jsonify({"removed": guest_id})


@bp.get("/lms-check")
def lms_status() -> Response:
    """What is known of the LMS without calling it (the last token request's outcome)."""
    return jsonify(pages().lms_status())


@bp.post("/lms-check")
def check_lms() -> Response:
    """Ask the LMS for a token now (operators only)."""
    return jsonify(pages().check_lms(g.client_id))


# -- attempts -------------------------------------------------------------------------


@bp.get("/attempts")
def list_attempts() -> Response:
    return jsonify(provider().list_attempts(g.client_id, request.args))


@bp.get("/attempts/<attempt_id>")
def get_attempt(attempt_id: str) -> Response:
    return jsonify(provider().attempt_detail(g.client_id, attempt_id))


@bp.post("/attempts/<attempt_id>/review")
def queue_review(attempt_id: str) -> Response:
    return jsonify(provider().queue_decision(g.client_id, attempt_id, json_body()))


@bp.post("/attempts/<attempt_id>/ready")
def send_ready(attempt_id: str) -> Response:
    return jsonify(provider().send_ready_now(g.client_id, attempt_id))


@bp.get("/attempts/<attempt_id>/desktop")
def get_desktop(attempt_id: str) -> Response:
    """The attempt's desktop application: fault, status, crashes and heartbeats."""
    return jsonify(provider().desktop_app.session(g.client_id, attempt_id))


@bp.put("/attempts/<attempt_id>/desktop")
def set_desktop(attempt_id: str) -> Response:
    """``{state: running|crashed|not_installed, latency_ms?}``: the application's fault."""
    return jsonify(provider().desktop_app.set_fault(g.client_id, attempt_id, json_body()))


# -- learners -------------------------------------------------------------------------


@bp.put("/users/<user_id>/onboarding")
def set_onboarding(user_id: str) -> Response:
    return jsonify(provider().set_onboarding_profile(g.client_id, user_id, json_body()))


@bp.get("/users/<user_id>/onboarding")
def get_onboarding(user_id: str) -> Response:
    return jsonify(provider().onboarding_profile(g.client_id, user_id))


# -- the client's scenario (rules deciding what its attempts get) ------------------------


@bp.get("/scenario")
def get_scenario() -> Response:
    return jsonify(provider().scenarios.view(g.client_id))


@bp.put("/scenario")
def load_scenario() -> Response:
    """The body is the scenario (``/scenario.schema.json``); it replaces the client's."""
    return jsonify(provider().scenarios.load(g.client_id, json_body()))


@bp.delete("/scenario")
def clear_scenario() -> Response:
    return jsonify(provider().scenarios.clear(g.client_id))


# -- the outbox, the journal, the whole state -------------------------------------------


@bp.get("/callbacks")
def list_callbacks() -> Response:
    return jsonify(provider().callbacks(g.client_id, request.args))


@bp.post("/callbacks/<store_id:callback_id>/retry")
def retry_callback(callback_id: int) -> Response:
    return jsonify(provider().retry_callback(g.client_id, callback_id))


@bp.get("/requests")
def list_requests() -> Response:
    return jsonify(provider().requests(g.client_id, request.args))


@bp.get("/state")
def export_state() -> Response:
    """The client's whole state as one document (never a secret)."""
    return jsonify(provider().snapshots.export(g.client_id))


@bp.put("/state")
def import_state() -> Response:
    """Replace the client's state with the document sent (checked first)."""
    return jsonify(provider().snapshots.load(g.client_id, json_body()))


@bp.post("/reset")
def reset() -> Response:
    provider().reset(g.client_id)
    return jsonify({"status": "reset"})


# -- the server's clock -----------------------------------------------------------------


@bp.get("/clock")
def get_clock() -> Response:
    """``{mode, now, now_iso}``: the server's time (``manual`` with ``--clock manual``)."""
    return jsonify(provider().clock_control.view())


@bp.post("/clock")
def advance_clock() -> Response:
    """``{advance_seconds: N}``: move a manual clock (any accepted client may; it is the
    server's), then try every callback that fell due before answering."""
    return jsonify(provider().clock_control.advance(g.client_id, json_body()))
