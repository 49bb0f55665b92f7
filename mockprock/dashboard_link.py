"""Instructor-dashboard links, built the way the LMS builds them.

The LMS (``BaseRestProctoringProvider.get_instructor_url``) signs the claims with the
client's secret (HS256) and sends the browser to
``{base_url}/api/v1/instructor/{client_id}/?jwt={token}``. ``mockprock dashboard-url``
builds the same link without an LMS; the contract tests check the two agree.
"""

from __future__ import annotations

import time
import uuid
import warnings
from typing import Any

import jwt

from mockprock.jwt_compat import InsecureKeyLengthWarning

# How long a link is valid; the backend gives the LMS the same lifetime.
DASHBOARD_LINK_SECONDS = 24 * 3600

DEFAULT_INSTRUCTOR = {"id": 1, "full_name": "Course Instructor", "email": "instructor@example.com"}


def dashboard_claims(
    client_id: str,
    course_id: str,
    user: dict[str, Any],
    exam_id: str | None = None,
    attempt_id: str | None = None,
    config: bool = False,
    lifetime_seconds: int = DASHBOARD_LINK_SECONDS,
) -> dict[str, Any]:
    """The claims the LMS signs: an attempt or the configuration only within an exam."""
    claims: dict[str, Any] = {
        "course_id": course_id,
        "user": user,
        "iss": client_id,
        "jti": uuid.uuid4().hex,
        "exp": time.time() + lifetime_seconds,
    }
    if exam_id:
        claims["exam_id"] = exam_id
        if config:
            claims["config"] = True
        if attempt_id:
            claims["attempt_id"] = attempt_id
    return claims


def dashboard_url(base_url: str, client_id: str, client_secret: str, claims: dict[str, Any]) -> str:
    """The link the LMS redirects an instructor to, for ``claims``."""
    with warnings.catch_warnings():
        # Development secrets such as 'abcdsecret' are short; the LMS signs with them anyway.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        token = jwt.encode(claims, client_secret, algorithm="HS256")
    return f"{base_url.rstrip('/')}/api/v1/instructor/{client_id}/?jwt={token}"
