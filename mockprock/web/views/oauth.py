"""``POST /oauth2/access_token``: the OAuth2 client-credentials grant."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mockprock import auth
from mockprock.web.views.common import journal_response, json_error, provider

bp = Blueprint("oauth", __name__, url_prefix="/oauth2")
bp.after_request(journal_response)


@bp.post("/access_token")
def access_token() -> Response:
    basic = request.authorization
    client_id, client_secret = auth.token_grant(
        request.form,
        (basic.username, basic.password) if basic and basic.type == "basic" else None,
    )
    answer = provider().issue_token(client_id, client_secret)
    if answer is None:
        response = json_error(401, "invalid_client", "unknown client or wrong secret")
        response.headers["WWW-Authenticate"] = 'Basic realm="mockprock"'
        return response
    g.client_id = client_id
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
