"""Instructor-dashboard links, built the way the LMS builds them.

The LMS (``BaseRestProctoringProvider.get_instructor_url``) signs the claims with the
client's secret (HS256) and sends the browser to
``{base_url}/api/v1/instructor/{client_id}/?jwt={token}``. ``mockprock dashboard-url``
builds the same link without an LMS; the contract tests check the two agree.

A vendor's own backend (Proctortrack's) calls some routes at its own paths:
:data:`VENDOR_PATHS` is the one table of them, which the server serves beside its own.
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

# mockprock's own paths that a vendor's backend calls elsewhere (Flask's rule syntax).
TOKEN_PATH = "/oauth2/access_token"
DASHBOARD_PATH = "/api/v1/instructor/<client_id>/"
# The paths each vendor's LMS backend calls where mockprock's differ, by the backend's name
# in PROCTORING_BACKENDS: {mockprock's path: the vendor's}. The app factory serves each
# vendor path with the view of mockprock's (no copied views); the conformance kit and the
# dashboard links follow it. Proctortrack: edx-proctoring-proctortrack-v2 2.0.1 sets
# ``session.oauth_uri`` and ``instructor_url``; its other calls are the base class's.
VENDOR_PATHS: dict[str, dict[str, str]] = {
    "proctortrack": {
        TOKEN_PATH: "/edx/oauth2/access_token",
        DASHBOARD_PATH: "/launch/edx/instructor/<client_id>/",
    },
}
# The LMS backends whose calls mockprock answers: its own, then the vendors'.
BACKENDS = ("mockprock", *VENDOR_PATHS)

DEFAULT_INSTRUCTOR = {"id": 1, "full_name": "Course Instructor", "email": "instructor@example.com"}


def dashboard_claims(
    client_id: str,
    course_id: str,
    user: dict[str, Any],
    exam_id: str | None = None,
    attempt_id: str | None = None,
    config: bool = False,
    lifetime_seconds: int = DASHBOARD_LINK_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims the LMS signs: an attempt or the configuration only within an exam,
    valid from ``now`` (the LMS's clock, the system's; a test's server may run a manual one)."""
    claims: dict[str, Any] = {
        "course_id": course_id,
        "user": user,
        "iss": client_id,
        "jti": uuid.uuid4().hex,
        "exp": (time.time() if now is None else now) + lifetime_seconds,
    }
    if exam_id:
        claims["exam_id"] = exam_id
        if config:
            claims["config"] = True
        if attempt_id:
            claims["attempt_id"] = attempt_id
    return claims


def backend_path(backend: str, path: str) -> str:
    """Where ``backend`` calls mockprock's ``path`` (the path itself for mockprock's own)."""
    return VENDOR_PATHS.get(backend, {}).get(path, path)


def dashboard_url(
    base_url: str,
    client_id: str,
    client_secret: str,
    claims: dict[str, Any],
    backend: str = "mockprock",
) -> str:
    """The link the LMS redirects an instructor to, for ``claims``, as ``backend`` builds it."""
    with warnings.catch_warnings():
        # Development secrets such as 'abcdsecret' are short; the LMS signs with them anyway.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        token = jwt.encode(claims, client_secret, algorithm="HS256")
    path = backend_path(backend, DASHBOARD_PATH).replace("<client_id>", client_id)
    return f"{base_url.rstrip('/')}{path}?jwt={token}"
