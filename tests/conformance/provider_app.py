"""A small provider built for the conformance tests: right by default, wrong by switch.

``create_provider_app(broken={"register_201"})`` breaks one rule of the contract (the
keys of :data:`RULES`, each with the check that must catch it). It has no control API,
so the kit treats it as a vendor's server: callbacks go to the attempt's ``lms_host``
with the OAuth credentials the provider was given.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from typing import Any

import jwt
import requests
from flask import Flask, Response, abort, jsonify, request

# The rule a switch breaks -> the check that names it.
RULES = {
    "bad_secret_accepted": "token.bad_secret",
    "bearer_only": "token.accepted_as_jwt",
    "config_no_download_url": "config.fields",
    "resave_new_id": "exams.resave_keeps_id",
    "update_ignored": "exams.update",
    "update_unknown_404": "exams.update_unknown_upserts",
    "exam_no_rules": "exams.get_rules",
    "unknown_exam_empty": "exams.get_unknown",
    "register_201": "attempts.register",
    "register_no_id": "attempts.register",
    "attempt_no_download_url": "attempts.get",
    "patch_started_500": "attempts.patch_started",
    "accept_unknown_status": "attempts.unknown_status_refused",
    "no_delete": "attempts.delete",
    "no_retirement": "users.retire",
    "onboarding_no_expiration": "onboarding.one_learner",
    "paging_ignored": "onboarding.paging",
    "filter_ignored": "onboarding.filter",
    "dashboard_unchecked": "dashboard.forged_refused",
    "no_token_check": "security.no_token",
    "forged_accepted": "security.forged_token",
    "alg_none_accepted": "security.alg_none",
    "expiry_unchecked": "security.expired_token",
    "malformed_500": "security.malformed_json",
    "ready_wrong_path": "callbacks.ready",
    "ready_no_token": "callbacks.ready",
    "review_twice": "callbacks.reviewed_once",
    "review_bad_comments": "callbacks.reviewed_once",
    "no_retry": "callbacks.review_retried",
    "desktop_no_cors": "desktop.start_sends_ready",
}
KEY = "provider-app-signing-key-for-the-conformance-tests"
CALLBACK = "/api/edx_proctoring/v1/proctored_exam/attempt/{id}/{kind}"
STATUSES = {"created", "started", "submitted", "error", "ready_to_submit", "verified"}


def create_provider_app(
    client: tuple[str, str],
    lms_client: tuple[str, str],
    broken: frozenset[str] | set[str] = frozenset(),
    token_lifetime: int = 2,
) -> Flask:
    unknown = set(broken) - set(RULES) - {"original_token"}
    assert not unknown, unknown
    app = Flask(__name__)
    lock = threading.Lock()
    exams: dict[str, dict[str, Any]] = {}
    attempts: dict[str, dict[str, Any]] = {}

    def json_error(status: int, error: str) -> Response:
        response = jsonify({"error": error, "detail": error})
        response.status_code = status
        return response

    # -- tokens -----------------------------------------------------------------------

    @app.post("/oauth2/access_token")
    def access_token() -> Any:
        form = request.form
        if form.get("client_id") != client[0] or (
            form.get("client_secret") != client[1] and "bad_secret_accepted" not in broken
        ):
            if "original_token" in broken:
                return jsonify({})  # the original mockprock answered {} with 200
            return json_error(401, "invalid_client")
        now = int(time.time())
        claims = {"sub": client[0], "iss": "provider-app", "iat": now, "exp": now + token_lifetime}
        return jsonify(
            {
                "access_token": jwt.encode(claims, KEY, algorithm="HS256"),
                "token_type": "JWT",
                "expires_in": token_lifetime,
                "scope": "",
            }
        )

    @app.before_request
    def check_token() -> Any:
        if not request.path.startswith("/api/v1/") or request.path.startswith(
            "/api/v1/instructor/"
        ):
            return None
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if not token:
            return None if "no_token_check" in broken else json_error(401, "no token")
        if scheme != ("Bearer" if "bearer_only" in broken else "JWT"):
            return json_error(401, "scheme")
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "none" and "alg_none_accepted" in broken:
            return None
        try:
            jwt.decode(
                token,
                KEY,
                algorithms=["HS256"],
                options={
                    "verify_signature": "forged_accepted" not in broken,
                    "verify_exp": "expiry_unchecked" not in broken,
                },
            )
        except jwt.InvalidTokenError:
            return json_error(401, "invalid_token")
        return None

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            if "malformed_500" in broken:
                abort(500)
            abort(json_error(400, "malformed_json"))
        return data

    # -- config and exams -------------------------------------------------------------

    @app.get("/api/v1/config/")
    def config() -> Any:
        spanish = request.headers.get("Accept-Language", "").startswith("es")
        answer = {
            "name": "Provider App",
            "rules": {"allow_notes": "Notas permitidas" if spanish else "Notes allowed"},
            "instructions": ["Instale la aplicación." if spanish else "Install the app."],
            "download_url": request.host_url + "download",
        }
        if "config_no_download_url" in broken:
            del answer["download_url"]
        return jsonify(answer)

    @app.post("/api/v1/exam/")
    def create_exam() -> Any:
        data = body()
        with lock:
            for exam_id, exam in exams.items():
                if exam["id"] == data.get("id") and exam["course_id"] == data.get("course_id"):
                    return jsonify({"id": exam_id})
            exam_id = uuid.uuid4().hex
            exams[exam_id] = data
        return jsonify({"id": exam_id})

    @app.post("/api/v1/exam/<exam_id>/")
    def update_exam(exam_id: str) -> Any:
        data = body()
        if "resave_new_id" in broken:
            return jsonify({"id": uuid.uuid4().hex})
        if exam_id not in exams and "update_unknown_404" in broken:
            return json_error(404, "not_found")
        if "update_ignored" not in broken or exam_id not in exams:
            exams[exam_id] = data
        return jsonify({"id": exam_id})

    @app.get("/api/v1/exam/<exam_id>/")
    def get_exam(exam_id: str) -> Any:
        exam = exams.get(exam_id)
        if exam is None:
            return jsonify({}) if "unknown_exam_empty" in broken else json_error(404, "not_found")
        answer = dict(exam)
        if "exam_no_rules" in broken:
            answer.pop("rules", None)
        return jsonify(answer)

    # -- attempts ---------------------------------------------------------------------

    @app.post("/api/v1/exam/<exam_id>/attempt/")
    def register(exam_id: str) -> Any:
        data = body()
        if exam_id not in exams:
            return json_error(404, "not_found")
        attempt_id = uuid.uuid4().hex
        with lock:
            attempts[attempt_id] = {**data, "id": attempt_id, "exam_id": exam_id}
        if "register_no_id" in broken:
            return jsonify({"status": "created"})
        return jsonify({"id": attempt_id, "status": "created"}), (
            201 if "register_201" in broken else 200
        )

    def attempt_or_404(exam_id: str, attempt_id: str) -> dict[str, Any]:
        attempt = attempts.get(attempt_id)
        if attempt is None or attempt["exam_id"] != exam_id:
            abort(json_error(404, "not_found"))
        return attempt

    @app.get("/api/v1/exam/<exam_id>/attempt/<attempt_id>/")
    def get_attempt(exam_id: str, attempt_id: str) -> Any:
        attempt = attempt_or_404(exam_id, attempt_id)
        answer = {
            **attempt,
            "instructions": ["Install the app."],
            "download_url": f"{request.host_url}download?attempt={attempt_id}",
        }
        if "attempt_no_download_url" in broken:
            del answer["download_url"]
        return jsonify(answer)

    @app.patch("/api/v1/exam/<exam_id>/attempt/<attempt_id>/")
    def patch_attempt(exam_id: str, attempt_id: str) -> Any:
        attempt = attempt_or_404(exam_id, attempt_id)
        status = body().get("status")
        if status not in STATUSES and "accept_unknown_status" not in broken:
            return json_error(400, "invalid_status")
        if status == "started" and "patch_started_500" in broken:
            abort(500)
        attempt["status"] = status
        if status == "submitted":
            review = {"status": "passed", "comments": [{"comment": "ok", "status": "ok"}]}
            if "review_bad_comments" in broken:
                review["comments"] = [{"text": "ok"}]
            for _ in range(2 if "review_twice" in broken else 1):
                send(attempt, "reviewed", review)
        return jsonify({"id": attempt_id, "status": status})

    if "no_delete" not in broken:

        @app.delete("/api/v1/exam/<exam_id>/attempt/<attempt_id>/")
        def delete_attempt(exam_id: str, attempt_id: str) -> Any:
            attempt_or_404(exam_id, attempt_id)
            del attempts[attempt_id]
            return jsonify({"status": "deleted"})

    if "no_retirement" not in broken:

        @app.delete("/api/v1/user/<user_id>/")
        def retire(user_id: str) -> Any:
            with lock:
                mine = [k for k, a in attempts.items() if a.get("user_id") == user_id]
                for key in mine:
                    del attempts[key]
            return jsonify(bool(mine))

    # -- onboarding (everyone has no profile) and the dashboard -----------------------

    @app.get("/api/v1/courses/<course_id>/onboarding_statuses")
    def onboarding(course_id: str) -> Any:
        def row(user_id: str) -> dict[str, Any]:
            out = {"user_id": user_id, "status": "no-profile", "expiration_date": None}
            if "onboarding_no_expiration" in broken:
                del out["expiration_date"]
            return out

        if request.args.get("user_id"):
            return jsonify(row(request.args["user_id"]))
        users = sorted(
            {
                a["user_id"]
                for a in attempts.values()
                if exams.get(a["exam_id"], {}).get("course_id") == course_id
            }
        )
        wanted = [s for s in request.args.get("status", "").split(",") if s]
        rows = [row(u) for u in users]
        if wanted and "filter_ignored" not in broken:
            rows = [r for r in rows if r["status"] in wanted]
        if "filter_ignored" in broken:
            rows.append({"user_id": "someone", "status": "approved-in-course"})
        size = int(request.args.get("page_size", 100))
        page = int(request.args.get("page", 1))
        if "paging_ignored" in broken:
            size, page = 100, 1
        pages = max(1, -(-len(rows) // size))
        link = request.base_url + "?page={}&page_size=" + str(size)
        return jsonify(
            {
                "results": rows[(page - 1) * size : page * size],
                "count": len(rows),
                "num_pages": pages,
                "next": link.format(page + 1) if page < pages else None,
                "previous": link.format(page - 1) if page > 1 else None,
            }
        )

    @app.get("/api/v1/instructor/<client_id>/")
    def dashboard(client_id: str) -> Any:
        try:
            jwt.decode(
                request.args.get("jwt", ""),
                client[1],
                algorithms=["HS256"],
                options={"verify_signature": "dashboard_unchecked" not in broken},
            )
        except jwt.InvalidTokenError:
            return "<h1>Refused</h1>", 403
        return "<h1>Dashboard</h1>"

    # -- the learner's side and callbacks ---------------------------------------------

    @app.get("/download")
    def download() -> Any:
        attempt = attempts.get(request.args.get("attempt", ""))
        if attempt is None:
            return "<h1>Unknown attempt</h1>", 404
        send(attempt, "ready", {"status": "ready"})
        return "<h1>Download</h1>"

    @app.route("/desktop/start", methods=["POST", "OPTIONS"])
    def desktop_start() -> Any:
        cors = {} if "desktop_no_cors" in broken else {"Access-Control-Allow-Origin": "*"}
        if request.method == "OPTIONS":
            return Response(status=204, headers=cors)
        attempt = attempts.get(request.args.get("attempt", ""))
        if attempt is None:
            return json_error(404, "not_found")
        send(attempt, "ready", {"status": "ready"})
        return jsonify({"status": "started"}), 200, cors

    @app.get("/desktop/ping")
    def desktop_ping() -> Any:
        return jsonify({"status": "running"}), 200, {"Access-Control-Allow-Origin": "*"}

    def send(attempt: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
        threading.Thread(target=deliver, args=(attempt, kind, payload), daemon=True).start()

    def deliver(attempt: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
        # The LMS may be gone (the kit's run is over): then there is nothing more to send.
        with contextlib.suppress(requests.RequestException, KeyError, ValueError):
            post_callback(attempt, kind, payload)

    def post_callback(attempt: dict[str, Any], kind: str, payload: dict[str, Any]) -> None:
        host = attempt["lms_host"].rstrip("/")
        token = requests.post(
            f"{host}/oauth2/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": lms_client[0],
                "client_secret": lms_client[1],
                "token_type": "jwt",
            },
            timeout=10,
        ).json()["access_token"]
        path = CALLBACK.format(id=attempt["id"], kind=kind)
        if kind == "ready" and "ready_wrong_path" in broken:
            path = f"/api/edx_proctoring/v1/attempt/{attempt['id']}/ready"
        headers = {} if "ready_no_token" in broken else {"Authorization": f"JWT {token}"}
        for _ in range(1 if "no_retry" in broken else 5):
            answer = requests.post(host + path, json=payload, headers=headers, timeout=10)
            if answer.status_code < 500:
                return
            time.sleep(0.2)  # the provider's own retry delay

    return app
