"""A small LMS stand-in: the parts of an Open edX LMS a proctoring vendor calls.

    python -m mockprock.lms_stub --client-id ID --client-secret SECRET [--port 0]

It issues OAuth2 tokens to one client at ``/oauth2/access_token`` and takes the two
callbacks with the checks and answers of edx-proctoring 6.1's views (``ExamReadyCallback``
and ``ProctoredExamReviewCallback``): **403** without a valid token, ``ready`` on an
unknown attempt **404**, ``reviewed`` on an unknown attempt **400**, a verdict outside the
four **400**, a comment without ``comment`` or ``status`` **500** (the real view's
KeyError). Each callback is recorded with its answer, and the attempt moves as the LMS
moves it. ``mockprock demo`` and the tests use it; it is no LMS for anything else.

``/stub/*`` is the LMS's own side, without auth: the attempts it knows (as if it had
registered them), what it received, and faults (``PUT /stub/fault`` answers the next
callbacks with an error status; ``POST /stub/tokens/revoke`` expires every token).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import click
import requests
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from mockprock import statuses as st
from mockprock.processes import command_help, serve_until_stopped

CALLBACK_PREFIX = "/api/edx_proctoring/v1/proctored_exam/attempt"


@dataclass
class LmsState:
    """What the stand-in LMS knows; one lock guards it all (requests run on threads)."""

    client_id: str
    client_secret: str
    token_lifetime: int = 3600
    attempts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    fault_status: int | None = None
    fault_times: int | None = None  # None: until cleared
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self) -> int | None:
        if self.fault_status is None:
            return None
        status = self.fault_status
        if self.fault_times is not None:
            self.fault_times -= 1
            if self.fault_times <= 0:
                self.fault_status = self.fault_times = None
        return status


def review_outcome(attempt: dict[str, Any], verdict: str, reviewed_by: str | None) -> str:
    """The attempt status edx-proctoring's ``finish_review_workflow`` sets for a review
    from a REST backend that supports onboarding (second reviews required)."""
    if verdict == st.PASSED:
        return st.VERIFIED if attempt.get("submitted") else st.ERROR
    if verdict == st.NOT_REVIEWED:
        return st.ERROR
    if reviewed_by or attempt.get("is_sample_attempt"):
        return st.REJECTED
    return st.SECOND_REVIEW_REQUIRED


def state() -> LmsState:
    return current_app.extensions["lms_stub"]


lms = Blueprint("lms", __name__)
stub = Blueprint("stub", __name__, url_prefix="/stub")


@lms.post("/oauth2/access_token")
def access_token() -> Response | tuple[Response, int]:
    form = request.form
    if form.get("grant_type") != "client_credentials":
        return jsonify({"error": "unsupported_grant_type"}), 400
    lms_state = state()
    with lms_state.lock:
        lms_state.token_requests += 1
        if (form.get("client_id"), form.get("client_secret")) != (
            lms_state.client_id,
            lms_state.client_secret,
        ):
            return jsonify({"error": "invalid_client"}), 401
        token = secrets.token_urlsafe(24)
        lms_state.tokens[token] = time.time() + lms_state.token_lifetime
    token_type = "JWT" if form.get("token_type", "").lower() == "jwt" else "Bearer"
    return jsonify(
        {
            "access_token": token,
            "token_type": token_type,
            "expires_in": lms_state.token_lifetime,
            "scope": "read write",
        }
    )


def _refusal(kind: str, attempt_id: str) -> tuple[Response, int] | None:
    """The 403 of a missing or bad token, else a configured fault, else None. As the real
    views (JwtAuthentication), only ``Authorization: JWT <token>`` counts: another scheme
    is no credentials at all, and a bad or expired JWT is an "Invalid token."."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    lms_state = state()
    with lms_state.lock:
        expires = lms_state.tokens.get(token.strip()) if scheme == "JWT" else None
        if expires is None or expires < time.time():
            detail = (
                "Invalid token."
                if scheme == "JWT"
                else "Authentication credentials were not provided."
            )
            answer, status = {"detail": detail}, 403
        else:
            fault = lms_state.take_fault()
            if fault is None:
                return None
            answer, status = {"detail": f"stand-in fault {fault}"}, fault
        lms_state.callbacks.append(_entry(kind, attempt_id, status, answer))
    return jsonify(answer), status


@lms.post(f"{CALLBACK_PREFIX}/<attempt_id>/{st.READY}")
def ready(attempt_id: str) -> Response | tuple[Response, int]:
    refused = _refusal(st.READY, attempt_id)
    if refused:
        return refused
    lms_state = state()
    with lms_state.lock:
        attempt = lms_state.attempts.get(attempt_id)
        if attempt is None:
            answer: Any = "You have entered an exam code that is not valid."
            status = 404
        else:
            if attempt["status"] in st.READY_FROM:
                attempt["status"] = st.READY_TO_START
            answer, status = "OK", 200
        lms_state.callbacks.append(_entry(st.READY, attempt_id, status, answer))
    return jsonify(answer), status


@lms.post(f"{CALLBACK_PREFIX}/<attempt_id>/{st.REVIEWED}")
def reviewed(attempt_id: str) -> Response | tuple[Response, int]:
    refused = _refusal(st.REVIEWED, attempt_id)
    if refused:
        return refused
    data = request.get_json(silent=True)
    lms_state = state()
    with lms_state.lock:
        attempt = lms_state.attempts.get(attempt_id)
        answer, status = _review(attempt, attempt_id, data)
        lms_state.callbacks.append(_entry(st.REVIEWED, attempt_id, status, answer))
    return jsonify(answer), status


def _entry(kind: str, attempt_id: str, status: int, answer: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "attempt_id": attempt_id,
        "json": request.get_json(silent=True),
        "answer_status": status,
        "answer": answer,
        "at": time.time(),
    }


def _review(attempt: dict[str, Any] | None, attempt_id: str, data: Any) -> tuple[Any, int]:
    """The answer of ``ProctoredExamReviewCallback`` (and ``make_review``) to ``data``."""
    if attempt is None:
        return {
            "detail": f"Attempted to access exam attempt with external_id={attempt_id} "
            "but it does not exist."
        }, 400
    if not isinstance(data, dict) or "status" not in data:
        return {"detail": "server error: the review has no 'status'"}, 500
    if data["status"] not in st.REVIEW_STATUSES:
        # ProctoredExamBadReviewStatus carries the status alone.
        return {"detail": str(data["status"])}, 400
    comments = data.get("comments") or []
    if not isinstance(comments, list) or any(
        not isinstance(c, dict) or "comment" not in c or "status" not in c for c in comments
    ):
        return {"detail": "server error: every comment needs 'comment' and 'status'"}, 500
    reviewed_by = data.get("reviewed_by")
    attempt.setdefault("reviews", []).append(data)
    attempt["status"] = review_outcome(attempt, data["status"], reviewed_by)
    return "OK", 200


# -- the LMS's own side: its attempts, what it received, faults -------------------------


@stub.post("/attempts")
def add_attempt() -> tuple[Response, int]:
    data = request.get_json(force=True)
    status = data.get("status", st.CREATED)
    attempt = {
        "id": data["id"],
        "status": status,
        "is_sample_attempt": bool(data.get("is_sample_attempt")),
        "submitted": status in st.DONE,
        "reviews": [],
    }
    with state().lock:
        state().attempts[attempt["id"]] = attempt
    return jsonify(attempt), 201


@stub.patch("/attempts/<attempt_id>")
def set_attempt_status(attempt_id: str) -> Response | tuple[Response, int]:
    status = request.get_json(force=True)["status"]
    with state().lock:
        attempt = state().attempts.get(attempt_id)
        if attempt is None:
            return jsonify({"detail": "unknown attempt"}), 404
        attempt["status"] = status
        attempt["submitted"] = attempt["submitted"] or status in st.DONE
        return jsonify(attempt)


@stub.get("/attempts/<attempt_id>")
def get_attempt(attempt_id: str) -> Response | tuple[Response, int]:
    with state().lock:
        attempt = state().attempts.get(attempt_id)
        if attempt is None:
            return jsonify({"detail": "unknown attempt"}), 404
        return jsonify(attempt)


@stub.get("/callbacks")
def list_callbacks() -> Response:
    with state().lock:
        return jsonify(
            {"callbacks": list(state().callbacks), "token_requests": state().token_requests}
        )


@stub.put("/fault")
def set_fault() -> Response:
    data = request.get_json(force=True)
    with state().lock:
        state().fault_status = data.get("status")
        state().fault_times = data.get("times")
    return jsonify({"status": state().fault_status, "times": state().fault_times})


@stub.post("/tokens/revoke")
def revoke_tokens() -> Response:
    with state().lock:
        count = len(state().tokens)
        state().tokens.clear()
    return jsonify({"revoked": count})


def create_stub_app(
    client_id: str, client_secret: str, token_lifetime: int = 3600, fault: int | None = None
) -> Flask:
    app = Flask(__name__)
    app.extensions["lms_stub"] = LmsState(
        client_id, client_secret, token_lifetime, fault_status=fault
    )
    app.register_blueprint(lms)
    app.register_blueprint(stub)
    return app


class LmsStubClient:
    """Drives a running stand-in's own side (``/stub/*``): the demo and the tests."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/stub{path}", timeout=self.timeout, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def add_attempt(
        self, attempt_id: str, status: str = st.CREATED, is_sample_attempt: bool = False
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "/attempts",
            json={"id": attempt_id, "status": status, "is_sample_attempt": is_sample_attempt},
        )

    def set_status(self, attempt_id: str, status: str) -> dict[str, Any]:
        return self._call("PATCH", f"/attempts/{attempt_id}", json={"status": status})

    def attempt(self, attempt_id: str) -> dict[str, Any]:
        return self._call("GET", f"/attempts/{attempt_id}")

    def callbacks(self, kind: str | None = None, attempt_id: str | None = None) -> list[dict]:
        return [
            c
            for c in self._call("GET", "/callbacks")["callbacks"]
            if (kind is None or c["kind"] == kind)
            and (attempt_id is None or c["attempt_id"] == attempt_id)
        ]

    def token_requests(self) -> int:
        return self._call("GET", "/callbacks")["token_requests"]

    def set_fault(self, status: int | None, times: int | None = None) -> dict[str, Any]:
        return self._call("PUT", "/fault", json={"status": status, "times": times})

    def revoke_tokens(self) -> int:
        return self._call("POST", "/tokens/revoke")["revoked"]


@click.command(name="mockprock.lms_stub", help=command_help(__doc__ or ""))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, show_default=True, help="0 picks a free port.")
@click.option("--client-id", required=True, help="The one OAuth client it accepts.")
@click.option("--client-secret", required=True, help="That client's secret.")
@click.option("--token-lifetime", default=3600, show_default=True, help="Token lifetime (s).")
@click.option(
    "--fault",
    type=click.IntRange(400, 599),
    default=None,
    help="Answer every callback with this status from the start, until PUT /stub/fault "
    "clears it (an LMS that is up but not ready yet).",
)
def main(
    host: str,
    port: int,
    client_id: str,
    client_secret: str,
    token_lifetime: int,
    fault: int | None,
) -> None:
    from werkzeug.serving import make_server

    app = create_stub_app(client_id, client_secret, token_lifetime, fault)
    server = make_server(host, port, app, threaded=True)
    serve_until_stopped(server, f"lms stand-in listening on http://{host}:{server.server_port}")


if __name__ == "__main__":
    main()
