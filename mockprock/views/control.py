"""The control API (``/mockprock/api/``): how a developer drives the simulation.

Every route needs HTTP Basic with an accepted provider client's id and secret, or a
provider token (``Authorization: JWT <token>``); anything else gets a 401. The rules
live in :class:`mockprock.provider.Provider`; this module only parses and answers.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mockprock import desktop
from mockprock.errors import ProviderError, bad_request, not_found
from mockprock.outbox import STATES
from mockprock.provider import RUNTIME_SETTINGS
from mockprock.views.common import authenticate_provider_token, json_body, query_int, services

bp = Blueprint("control", __name__, url_prefix="/mockprock/api")


@bp.before_request
def require_credentials() -> None:
    """HTTP Basic with a provider client's id and secret, or a provider token."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        client_id, secret = credentials.username or "", credentials.password or ""
        if not services().clients.check(client_id, secret):
            raise ProviderError(401, "invalid_client", "unknown client or wrong secret")
        g.client_id = client_id
        return
    authenticate_provider_token()


def provider():
    return services().provider


# -- settings -------------------------------------------------------------------------


def settings_view() -> dict:
    return {**services().settings.public(), "changeable": list(RUNTIME_SETTINGS)}


@bp.get("/settings")
def get_settings() -> Response:
    return jsonify(settings_view())


@bp.patch("/settings")
def change_settings() -> Response:
    provider().change_settings(json_body())
    return jsonify(settings_view())


# -- attempts -------------------------------------------------------------------------


@bp.get("/attempts")
def list_attempts() -> Response:
    return jsonify(provider().list_attempts())


@bp.get("/attempts/<attempt_id>")
def get_attempt(attempt_id: str) -> Response:
    return jsonify(provider().attempt_detail(attempt_id))


@bp.post("/attempts/<attempt_id>/review")
def queue_review(attempt_id: str) -> Response:
    body = json_body()
    if "status" not in body:
        raise bad_request("missing required field 'status'")
    return jsonify(
        provider().queue_decision(
            attempt_id,
            body["status"],
            comments=body.get("comments"),
            reviewed_by=body.get("reviewed_by"),
            delay_seconds=body.get("delay_seconds"),
            source=body.get("source") if isinstance(body.get("source"), str) else "control API",
        )
    )


@bp.post("/attempts/<attempt_id>/ready")
def send_ready(attempt_id: str) -> Response:
    return jsonify(provider().send_ready_now(attempt_id))


@bp.get("/attempts/<attempt_id>/desktop")
def get_desktop(attempt_id: str) -> Response:
    """The attempt's desktop application: fault, status, crashes and heartbeats."""
    if services().store.get_attempt(attempt_id) is None:
        raise not_found("attempt", attempt_id)
    return jsonify(desktop.session_view(services().store, attempt_id))


@bp.put("/attempts/<attempt_id>/desktop")
def set_desktop(attempt_id: str) -> Response:
    """``{state: running|crashed|not_installed, latency_ms?}``: the application's fault."""
    body = json_body()
    if "state" not in body:
        raise bad_request("missing required field 'state'")
    return jsonify(
        desktop.set_fault(
            services().store,
            attempt_id,
            body["state"],
            body.get("latency_ms"),
            services().settings.desktop_default,
        )
    )


# -- learners -------------------------------------------------------------------------


@bp.put("/users/<user_id>/onboarding")
def set_onboarding(user_id: str) -> Response:
    body = json_body()
    return jsonify(
        provider().set_onboarding_profile(user_id, body.get("status"), body.get("course_id"))
    )


@bp.get("/users/<user_id>/onboarding")
def get_onboarding(user_id: str) -> Response:
    return jsonify(provider().onboarding_profile(user_id))


# -- the outbox, the journal, the whole state -------------------------------------------


@bp.get("/callbacks")
def list_callbacks() -> Response:
    states = tuple(s for s in (request.args.get("state") or "").split(",") if s)
    unknown = sorted(set(states) - set(STATES))
    if unknown:
        raise bad_request(
            f"unknown callback state {', '.join(unknown)}; one of {', '.join(STATES)}"
        )
    limit = query_int("limit", 1000)
    if limit < 1:
        raise bad_request("limit must be 1 or more")
    return jsonify(
        services().store.list_callbacks(
            attempt_id=request.args.get("attempt"),
            kind=request.args.get("kind"),
            states=states,
            limit=limit,
        )
    )


@bp.post("/callbacks/<int:callback_id>/retry")
def retry_callback(callback_id: int) -> Response:
    return jsonify(services().outbox.retry(callback_id))


@bp.get("/requests")
def list_requests() -> Response:
    limit = query_int("limit", 100)
    if limit < 1:
        raise bad_request("limit must be 1 or more")
    return jsonify(services().store.list_journal(limit))


@bp.post("/reset")
def reset() -> Response:
    provider().reset()
    return jsonify({"status": "reset"})
