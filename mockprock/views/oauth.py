"""``POST /oauth2/access_token``: the OAuth2 client-credentials grant."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mockprock.auth import issue_token
from mockprock.errors import ProviderError
from mockprock.views.common import journal_response, json_error, services

bp = Blueprint("oauth", __name__, url_prefix="/oauth2")
bp.after_request(journal_response)

TOKEN_TYPES = ("jwt", "bearer")


@bp.post("/access_token")
def access_token() -> Response:
    form = request.form
    grant_type = form.get("grant_type")
    if not grant_type:
        raise ProviderError(400, "invalid_request", "missing required field 'grant_type'")
    if grant_type != "client_credentials":
        raise ProviderError(
            400, "unsupported_grant_type", f"grant_type {grant_type!r}: only client_credentials"
        )
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id = client_id or request.authorization.username
        client_secret = client_secret or request.authorization.password
    for name, value in (("client_id", client_id), ("client_secret", client_secret)):
        if not value:
            raise ProviderError(400, "invalid_request", f"missing required field '{name}'")
    token_type = (form.get("token_type") or "jwt").lower()
    if token_type not in TOKEN_TYPES:
        raise ProviderError(400, "invalid_request", f"token_type {token_type!r}: use jwt")
    services_ = services()
    if not services_.clients.check(client_id, client_secret):
        response = json_error(401, "invalid_client", "unknown client or wrong secret")
        response.headers["WWW-Authenticate"] = 'Basic realm="mockprock"'
        return response
    g.client_id = client_id
    answer = issue_token(
        services_.store.signing_key(), client_id, services_.settings.token_lifetime_seconds
    )
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
