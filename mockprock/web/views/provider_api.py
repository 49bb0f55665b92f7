"""The provider REST API that edx-proctoring's REST backend calls (``/api/v1/``)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mockprock import proctoring_config
from mockprock.web.views.common import (
    authenticate_provider_token,
    base_url,
    journal_response,
    json_body,
    provider,
)

bp = Blueprint("provider_api", __name__, url_prefix="/api/v1")
bp.after_request(journal_response)


@bp.before_request
def require_token() -> None:
    authenticate_provider_token()


@bp.get("/config/")
def config() -> Response:
    # The same for every client, and no state: the rules answer it without the facade.
    return jsonify(proctoring_config.config(request.headers.get("Accept-Language"), base_url()))


@bp.post("/exam/")
def create_exam() -> Response:
    return jsonify({"id": provider().create_exam(g.client_id, json_body())})


@bp.get("/exam/<exam_id>/")
def get_exam(exam_id: str) -> Response:
    return jsonify(provider().get_exam(g.client_id, exam_id))


@bp.post("/exam/<exam_id>/")
def update_exam(exam_id: str) -> Response:
    return jsonify({"id": provider().update_exam(g.client_id, exam_id, json_body())})


@bp.post("/exam/<exam_id>/attempt/")
def register_attempt(exam_id: str) -> Response:
    # The LMS accepts exactly 200 here, refusals by the onboarding gate included.
    return jsonify(provider().register_attempt(g.client_id, exam_id, json_body()))


@bp.get("/exam/<exam_id>/attempt/<attempt_id>/")
def get_attempt(exam_id: str, attempt_id: str) -> Response:
    return jsonify(
        provider().get_attempt(
            g.client_id, exam_id, attempt_id, request.headers.get("Accept-Language"), base_url()
        )
    )


@bp.patch("/exam/<exam_id>/attempt/<attempt_id>/")
def update_attempt(exam_id: str, attempt_id: str) -> Response:
    return jsonify(provider().update_attempt_status(g.client_id, exam_id, attempt_id, json_body()))


@bp.delete("/exam/<exam_id>/attempt/<attempt_id>/")
def delete_attempt(exam_id: str, attempt_id: str) -> Response:
    return jsonify(provider().delete_attempt(g.client_id, exam_id, attempt_id))


@bp.delete("/user/<user_id>/")
def retire_user(user_id: str) -> Response:
    return jsonify(provider().retire_user(g.client_id, user_id))


@bp.get("/courses/<course_id>/onboarding_statuses")
def onboarding_statuses(course_id: str) -> Response:
    user_id = request.args.get("user_id")
    if user_id:
        return jsonify(provider().onboarding_status(g.client_id, course_id, user_id))
    return jsonify(
        provider().onboarding_statuses(
            g.client_id, course_id, request.args, page_url=base_url() + request.path
        )
    )
