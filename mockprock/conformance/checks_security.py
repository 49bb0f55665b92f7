"""Checks that the provider API lets in only the LMS: tokens, and malformed bodies."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt

from mockprock.conformance import shapes
from mockprock.conformance.context import Context, expect
from mockprock.conformance.model import CheckSkipped
from mockprock.conformance.registry import check


def _protected(ctx: Context) -> list[tuple[str, str, Any]]:
    """Calls that must need a token: (method, path, body)."""
    return [
        ("GET", "/api/v1/config/", None),
        ("POST", "/api/v1/exam/", shapes.exam(9, "Conformance Intruder Exam")),
        ("POST", f"/api/v1/exam/{ctx.exam_id()}/attempt/", ctx.new_learner()),
    ]


def _all_refused(ctx: Context, authorization: str | None, what: str) -> None:
    for method, path, body in _protected(ctx):
        headers = dict(shapes.JSON_HEADERS if body is not None else shapes.ACCEPT)
        if authorization is not None:
            headers["Authorization"] = authorization
        response = ctx.http(method, path, headers=headers, json=body)
        expect(response.status_code == 401, f"401 for {method} {path} with {what}")


def _claims(ctx: Context) -> dict[str, Any]:
    """The claims of a real token when it is a readable JWT, else plausible ones."""
    try:
        claims = jwt.decode(ctx.token(), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        claims = {"sub": ctx.options.client_id, "iss": "provider"}
    return {**claims, "exp": int(time.time()) + 3600, "iat": int(time.time())}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@check("security.no_token", "calls without a token are refused with 401")
def security_no_token(ctx: Context) -> None:
    _all_refused(ctx, None, "no Authorization header")


@check("security.forged_token", "a token signed with another key is refused with 401")
def security_forged(ctx: Context) -> None:
    forged = jwt.encode(
        _claims(ctx), "a key the provider never gave out, " + ctx.run_id, algorithm="HS256"
    )
    _all_refused(ctx, f"JWT {forged}", "a token signed with another key")


@check("security.alg_none", "an unsigned token (alg: none) is refused with 401")
def security_alg_none(ctx: Context) -> None:
    unsigned = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(ctx)) + "."
    _all_refused(ctx, f"JWT {unsigned}", "an unsigned token (alg: none)")


@check("security.expired_token", "an expired token is refused with 401")
def security_expired(ctx: Context) -> str:
    token = ctx.token(fresh=True)
    answer = json.loads(ctx.exchanges[-1].body or "{}")
    lifetime = answer.get("expires_in")
    if not isinstance(lifetime, (int, float)) or lifetime > ctx.options.expiry_wait:
        raise CheckSkipped(
            f"tokens live {lifetime} s, longer than the {ctx.options.expiry_wait:g} s this "
            "check waits; run the provider with short-lived tokens (mockprock: "
            "--token-lifetime-seconds 2) or raise --expiry-wait"
        )
    expired_at = time.time() + lifetime + 1
    ctx.wait(lambda: time.time() > expired_at, "the token to expire", timeout=lifetime + 5)
    response = ctx.api("GET", "/api/v1/config/", token=token)
    expect(response.status_code == 401, f"401 for a token past its {lifetime} s lifetime")
    return f"refused after {lifetime} s"


@check("security.malformed_json", "a malformed JSON body is answered 4xx")
def security_malformed(ctx: Context) -> None:
    headers = {**shapes.JSON_HEADERS, "Authorization": f"JWT {ctx.token()}"}
    response = ctx.http("POST", "/api/v1/exam/", headers=headers, data='{"id": 1, "course_id":')
    expect(
        400 <= response.status_code < 500,
        "a 4xx (400) saying the body is malformed, not a 2xx or a server error",
    )
