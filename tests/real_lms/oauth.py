"""The LMS's OAuth2 token endpoint, as far as a proctoring provider meets it.

edx-platform issues a provider a JWT for ``grant_type=client_credentials`` and
``token_type=jwt`` (``oauth_dispatch``'s ``AccessTokenView`` and ``create_jwt_token_dict``):
the token names the user the OAuth application belongs to (``preferred_username``) and, with
the default ``profile`` scope, whether that user is staff (``administrator``), and it is
signed with ``JWT_AUTH['JWT_SECRET_KEY']`` for an application that is not restricted. The
real ``JwtAuthentication`` of the callback views checks exactly that. The applications live
here rather than in django-oauth-toolkit's tables: only this view reads them.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

SCOPES = ["read", "write", "email", "profile"]
TOKEN_SECONDS = 3600  # JWT_ACCESS_TOKEN_EXPIRE_SECONDS' default


@dataclass(frozen=True)
class Application:
    client_id: str
    client_secret: str
    username: str


_lock = threading.Lock()
_applications: dict[str, Application] = {}
_issued: list[str] = []  # client ids, one per token issued


def register_application(client_id: str, client_secret: str, username: str) -> Application:
    """An OAuth application (client credentials) bound to the LMS user ``username``."""
    application = Application(client_id, client_secret, username)
    with _lock:
        _applications[client_id] = application
    return application


def tokens_issued(client_id: str) -> int:
    with _lock:
        return _issued.count(client_id)


def create_jwt(user, expires_in: int = TOKEN_SECONDS, now: float | None = None) -> str:
    """The JWT edx-platform's ``_create_jwt`` makes for ``user`` (HS256, default scopes)."""
    issued_at = int(now if now is not None else time.time())
    jwt_settings = settings.JWT_AUTH
    payload = {
        "aud": jwt_settings["JWT_AUDIENCE"],
        "exp": issued_at + expires_in,
        "grant_type": "client_credentials",
        "iat": issued_at,
        "iss": jwt_settings["JWT_ISSUER"],
        "preferred_username": user.username,
        "scopes": SCOPES,
        "version": jwt_settings["JWT_SUPPORTED_VERSION"],
        "sub": uuid.uuid5(uuid.NAMESPACE_URL, user.username).hex,
        "filters": [],
        "is_restricted": False,
        "email_verified": user.is_active,
        "email": user.email,
        "name": user.get_full_name(),
        "family_name": user.last_name,
        "given_name": user.first_name,
        "administrator": user.is_staff,
        "superuser": user.is_superuser,
    }
    return jwt.encode(payload, jwt_settings["JWT_SECRET_KEY"], algorithm="HS256")


def _error(error: str, status: int) -> JsonResponse:
    return JsonResponse({"error": error}, status=status)


@require_POST
def access_token(request: HttpRequest) -> JsonResponse:
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        return _error("unsupported_grant_type", 400)
    with _lock:
        application = _applications.get(form.get("client_id", ""))
    if application is None or form.get("client_secret") != application.client_secret:
        return _error("invalid_client", 401)
    # Without token_type=jwt edx-platform hands out an opaque bearer token, which the
    # callback views (SessionAuthentication, JwtAuthentication) do not accept.
    if form.get("token_type", "").lower() != "jwt":
        return _error("unsupported_token_type", 400)
    user = get_user_model().objects.get(username=application.username)
    with _lock:
        _issued.append(application.client_id)
    return JsonResponse(
        {
            "access_token": create_jwt(user),
            "token_type": "JWT",
            "expires_in": TOKEN_SECONDS,
            "scope": " ".join(SCOPES),
        }
    )
