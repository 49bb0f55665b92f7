"""Every call of the provider REST contract (what edx-proctoring's REST backend sends)
through Flask's test client, with every error answer."""

from __future__ import annotations

import time

import jwt
import pytest

from mockprock import proctoring_config
from mockprock.config import Settings
from tests.helpers import ATTEMPT, EXAM, get_token, make_settings

COURSE = EXAM["course_id"]


def token_for(client, client_id="abcd"):
    return {"Authorization": f"JWT {get_token(client, client_id, client_id + 'secret')}"}


def counts(app) -> tuple[int, int]:
    db = app.extensions["mockprock"].store.database.db
    return (
        db.execute("SELECT COUNT(*) FROM exams").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0],
    )


# -- tokens ---------------------------------------------------------------------------


def test_token_answer_has_the_oauth_fields(client):
    response = client.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "abcd",
            "client_secret": "abcdsecret",
            "token_type": "jwt",
        },
    )
    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == claims["aud"] == "abcd"
    assert claims["iss"] == "mockprock"
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": "abcd", "client_secret": "abcdsecret"}, 400, "invalid_request"),
        (
            {"grant_type": "password", "client_id": "abcd", "client_secret": "x"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "client_secret": "abcdsecret"},
            400,
            "invalid_request",
        ),
        ({"grant_type": "client_credentials", "client_id": "abcd"}, 400, "invalid_request"),
        (
            {"grant_type": "client_credentials", "client_id": "abcd", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "abcd",
                "client_secret": "abcdsecret",
                "token_type": "mac",
            },
            400,
            "invalid_request",
        ),
    ],
)
def test_token_errors(client, form, status, error):
    response = client.post("/oauth2/access_token", data=form)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.get_json()["detail"]


def test_missing_field_is_named(client):
    response = client.post("/oauth2/access_token", data={"grant_type": "client_credentials"})
    assert "client_id" in response.get_json()["detail"]


def test_configured_clients_replace_the_id_plus_secret_rule(tmp_path):
    from mockprock.web.app import create_app

    app = create_app(make_settings(tmp_path, clients=("lms:s3cret",)))
    client = app.test_client()
    assert get_token(client, "lms", "s3cret")
    refused = client.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "abcd",
            "client_secret": "abcdsecret",
        },
    )
    assert refused.status_code == 401
    app.extensions["mockprock"].close()


def test_http_basic_client_authentication_is_accepted(client):
    response = client.post(
        "/oauth2/access_token",
        data={"grant_type": "client_credentials"},
        auth=("abcd", "abcdsecret"),
    )
    assert response.status_code == 200


# -- token checks on /api/v1/ -----------------------------------------------------------


def forged(claims, key="another-key-" * 6, algorithm="HS256"):
    return jwt.encode(claims, key, algorithm=algorithm)


def valid_claims(**changes):
    now = int(time.time())
    return {
        "iss": "mockprock",
        "sub": "abcd",
        "aud": "abcd",
        "iat": now,
        "exp": now + 60,
        **changes,
    }


def none_token() -> str:
    import base64
    import json

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(valid_claims())}."


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "missing Authorization"),
        ("Basic abc", "JWT <token>"),
        ("JWT", "JWT <token>"),
        ("JWT not-a-token", "invalid token"),
        ("JWT " + forged(valid_claims()), "signature"),
        ("JWT " + none_token(), "algorithm"),
        ("JWT " + forged(valid_claims(), algorithm="HS512"), "algorithm"),
    ],
)
def test_bad_tokens_get_401_json(client, header, detail):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/config/", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert detail in response.get_json()["detail"]
    assert "JWT" in response.headers["WWW-Authenticate"]


def test_expired_token_gets_401(client, app):
    key = app.extensions["mockprock"].store.settings.signing_key()
    now = int(time.time())
    expired = jwt.encode(valid_claims(iat=now - 100, exp=now - 10), key, algorithm="HS256")
    response = client.get("/api/v1/config/", headers={"Authorization": f"JWT {expired}"})
    assert response.status_code == 401
    assert response.get_json()["detail"] == "token expired"


def test_bearer_prefix_is_accepted(client, auth):
    bearer = {"Authorization": auth["Authorization"].replace("JWT", "Bearer")}
    assert client.get("/api/v1/config/", headers=bearer).status_code == 200


def test_tokens_survive_a_restart(tmp_path):
    from mockprock.web.app import create_app

    settings = make_settings(tmp_path)
    first = create_app(settings)
    headers = {"Authorization": f"JWT {get_token(first.test_client())}"}
    first.extensions["mockprock"].close()
    second = create_app(settings)
    assert second.test_client().get("/api/v1/config/", headers=headers).status_code == 200
    second.extensions["mockprock"].close()


# -- config -----------------------------------------------------------------------------


def test_config_in_english_by_default(client, auth):
    body = client.get("/api/v1/config/", headers=auth).get_json()
    assert set(body) == {"name", "rules", "instructions", "download_url"}
    assert body["rules"]["allow_notes"] == "Allow the learner to take notes"
    assert body["download_url"] == "http://localhost/download"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es-419;en-us", "Permitir que el estudiante tome notas"),  # as edx-proctoring sends it
        ("fr-FR,fr;q=0.9,en;q=0.8", "Autoriser l'apprenant à prendre des notes"),
        ("de-de;en-us", "Allow the learner to take notes"),  # not offered: English
        ("zz", "Allow the learner to take notes"),
    ],
)
def test_config_follows_accept_language(client, auth, language, expected):
    body = client.get("/api/v1/config/", headers={**auth, "Accept-Language": language}).get_json()
    assert body["rules"]["allow_notes"] == expected


def test_public_url_sets_the_links(tmp_path):
    from mockprock.web.app import create_app

    app = create_app(make_settings(tmp_path, public_url="http://mockprock.example:11136/"))
    client = app.test_client()
    headers = {"Authorization": f"JWT {get_token(client)}"}
    body = client.get("/api/v1/config/", headers=headers).get_json()
    assert body["download_url"] == "http://mockprock.example:11136/download"
    app.extensions["mockprock"].close()


# -- exams ------------------------------------------------------------------------------


def test_exam_create_then_resave_keeps_the_id(client, auth):
    first = client.post("/api/v1/exam/", json=EXAM, headers=auth)
    assert first.status_code == 200
    exam_id = first.get_json()["id"]
    resaved = client.post(
        f"/api/v1/exam/{exam_id}/", json={**EXAM, "external_id": exam_id}, headers=auth
    )
    assert resaved.get_json() == {"id": exam_id}
    again = client.post("/api/v1/exam/", json=EXAM, headers=auth)
    assert again.get_json() == {"id": exam_id}
    other = client.post(
        "/api/v1/exam/", json={**EXAM, "id": 2, "content_id": "block-v1:x"}, headers=auth
    )
    assert other.get_json()["id"] != exam_id


def test_exam_update_changes_the_stored_exam(client, auth, exam_id):
    renamed = {
        **EXAM,
        "exam_name": "Renamed",
        "time_limit_mins": 45,
        "rules": {"allow_notes": False},
    }
    assert client.post(f"/api/v1/exam/{exam_id}/", json=renamed, headers=auth).status_code == 200
    exam = client.get(f"/api/v1/exam/{exam_id}/", headers=auth).get_json()
    assert exam["exam_name"] == "Renamed"
    assert exam["time_limit_mins"] == 45
    assert exam["rules"] == {"allow_notes": False}
    assert exam["id"] == exam["external_id"] == exam_id
    assert exam["lms_exam_id"] == 1
    assert exam["course_id"] == COURSE


def test_exam_update_recreates_an_exam_the_store_lost(client, auth, caplog):
    response = client.post("/api/v1/exam/lost-exam-id/", json=EXAM, headers=auth)
    assert response.get_json() == {"id": "lost-exam-id"}
    assert client.get("/api/v1/exam/lost-exam-id/", headers=auth).status_code == 200
    assert "re-created" in caplog.text


def test_exam_update_under_another_id_answers_the_known_one(client, auth, exam_id):
    response = client.post("/api/v1/exam/some-other-id/", json=EXAM, headers=auth)
    assert response.get_json() == {"id": exam_id}
    assert client.get("/api/v1/exam/some-other-id/", headers=auth).status_code == 404


def test_documented_field_names_are_accepted(client, auth):
    documented = {k: v for k, v in EXAM.items() if k not in ("exam_name", "is_practice_exam")}
    documented.update(name="Documented", is_practice=True)
    exam_id = client.post("/api/v1/exam/", json=documented, headers=auth).get_json()["id"]
    exam = client.get(f"/api/v1/exam/{exam_id}/", headers=auth).get_json()
    assert exam["exam_name"] == "Documented"
    assert exam["is_practice_exam"] is True


def test_exam_keeps_the_raw_payload(app, client, auth):
    extra = {**EXAM, "something_new": {"nested": [1, 2]}}
    exam_id = client.post("/api/v1/exam/", json=extra, headers=auth).get_json()["id"]
    stored = app.extensions["mockprock"].store.exams.get_exam(exam_id)
    assert stored["payload"]["something_new"] == {"nested": [1, 2]}


def test_unknown_exam_is_404(client, auth):
    response = client.get("/api/v1/exam/nope/", headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "detail": "no exam with id 'nope'"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({k: v for k, v in EXAM.items() if k != "course_id"}, "course_id"),
        ({k: v for k, v in EXAM.items() if k != "id"}, "'id'"),
        ({**EXAM, "time_limit_mins": "thirty"}, "time_limit_mins"),
        ({**EXAM, "rules": ["allow_notes"]}, "rules"),
        ({**EXAM, "is_proctored": "yes"}, "is_proctored"),
    ],
)
def test_bad_exam_is_400_naming_the_field_and_stores_nothing(app, client, auth, body, named):
    response = client.post("/api/v1/exam/", json=body, headers=auth)
    assert response.status_code == 400
    assert named in response.get_json()["detail"]
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b'{"id": 1,', "malformed JSON"),
        (b"[1, 2]", "must be an object"),
        (b"", "needs a JSON object"),
        (b"\xff\xfe", "malformed JSON"),
    ],
)
def test_malformed_json_is_400(app, client, auth, data, detail):
    response = client.post(
        "/api/v1/exam/", data=data, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert detail in response.get_json()["detail"]
    assert counts(app) == (0, 0)


def test_body_over_the_limit_is_413_json(tmp_path):
    from mockprock.web.app import create_app

    app = create_app(make_settings(tmp_path, max_body_bytes=1000))
    client = app.test_client()
    headers = {"Authorization": f"JWT {get_token(client)}"}
    response = client.post("/api/v1/exam/", json={**EXAM, "pad": "x" * 2000}, headers=headers)
    assert response.status_code == 413
    assert "1000 bytes" in response.get_json()["detail"]
    assert counts(app) == (0, 0)
    app.extensions["mockprock"].close()


def test_course_ids_with_colons_and_plus_signs_route(client, auth):
    response = client.get(
        "/api/v1/courses/course-v1:edX+DemoX+Demo_Course/onboarding_statuses?user_id=u1",
        headers=auth,
    )
    assert response.status_code == 200


# -- attempts ---------------------------------------------------------------------------


def test_register_attempt(client, auth, exam_id, app):
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "created"
    stored = app.extensions["mockprock"].store.attempts.get_attempt(body["id"])
    assert stored["payload"] == ATTEMPT
    assert stored["lms_host"] == ATTEMPT["lms_host"]


def test_attempt_with_empty_name_and_null_email(client, auth, exam_id):
    body = {**ATTEMPT, "full_name": "", "email": None}
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=body, headers=auth)
    assert response.status_code == 200


def test_attempt_on_unknown_exam_is_404(app, client, auth):
    response = client.post("/api/v1/exam/nope/attempt/", json=ATTEMPT, headers=auth)
    assert response.status_code == 404
    assert counts(app) == (0, 0)


@pytest.mark.parametrize("missing", ["lms_host", "user_id"])
def test_attempt_missing_field_is_400(app, client, auth, exam_id, missing):
    body = {k: v for k, v in ATTEMPT.items() if k != missing}
    response = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=body, headers=auth)
    assert response.status_code == 400
    assert missing in response.get_json()["detail"]
    assert counts(app) == (1, 0)


def test_get_attempt_carries_instructions_download_url_and_rules(client, auth, exam_id, attempt_id):
    body = client.get(f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", headers=auth).get_json()
    assert body["id"] == attempt_id
    assert body["status"] == "created"
    assert body["rules"] == {"allow_notes": True}
    assert body["instructions"]
    assert body["download_url"] == (
        f"http://localhost/download?attempt={attempt_id}&exam={exam_id}"
    )
    assert "payload" not in body


def test_get_attempt_of_another_exam_is_404(client, auth, attempt_id):
    other = client.post("/api/v1/exam/", json={**EXAM, "id": 9, "content_id": "b"}, headers=auth)
    other_id = other.get_json()["id"]
    assert (
        client.get(f"/api/v1/exam/{other_id}/attempt/{attempt_id}/", headers=auth).status_code
        == 404
    )


@pytest.mark.parametrize("status", ["started", "submitted", "error", "ready_to_submit"])
def test_patch_records_known_statuses(client, auth, exam_id, attempt_id, status):
    url = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    response = client.patch(url, json={"status": status}, headers=auth)
    assert response.get_json() == {"id": attempt_id, "status": status}
    assert client.get(url, headers=auth).get_json()["status"] == status


@pytest.mark.parametrize(
    ("body", "error"), [({"status": "partying"}, "invalid_status"), ({}, "invalid_request")]
)
def test_patch_refuses_unknown_or_missing_status(client, auth, exam_id, attempt_id, body, error):
    url = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    response = client.patch(url, json=body, headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"] == error
    assert client.get(url, headers=auth).get_json()["status"] == "created"


@pytest.mark.parametrize(
    ("first", "then", "allowed"),
    [
        ("started", "submitted", True),
        ("error", "submitted", True),  # completed to completed: edx-proctoring allows it
        ("submitted", "error", True),
        ("submitted", "started", False),  # completed never goes back to incomplete
        ("error", "started", False),
    ],
)
def test_patch_follows_edx_proctorings_transitions(
    client, auth, exam_id, attempt_id, first, then, allowed
):
    url = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    client.patch(url, json={"status": first}, headers=auth)
    response = client.patch(url, json={"status": then}, headers=auth)
    if allowed:
        assert response.get_json() == {"id": attempt_id, "status": then}
        return
    assert response.status_code == 409
    assert response.get_json()["error"] == "illegal_transition"
    assert then in response.get_json()["detail"]
    assert client.get(url, headers=auth).get_json()["status"] == first  # nothing changed


def test_patch_unknown_attempt_is_404(client, auth, exam_id):
    response = client.patch(
        f"/api/v1/exam/{exam_id}/attempt/nope/", json={"status": "started"}, headers=auth
    )
    assert response.status_code == 404


def test_delete_attempt(client, auth, exam_id, attempt_id):
    url = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    assert client.delete(url, headers=auth).get_json() == {"status": "deleted"}
    assert client.get(url, headers=auth).status_code == 404
    assert client.delete(url, headers=auth).status_code == 404  # the LMS reads 404 as gone


def test_retire_user_removes_attempts_and_profile(app, client, auth, exam_id, attempt_id):
    store = app.extensions["mockprock"].store
    store.onboarding.save_onboarding_profile("abcd", ATTEMPT["user_id"], "approved", COURSE, None)
    response = client.delete(f"/api/v1/user/{ATTEMPT['user_id']}/", headers=auth)
    assert response.get_json() is True
    assert store.attempts.get_attempt(attempt_id) is None
    assert store.onboarding.get_onboarding_profile("abcd", ATTEMPT["user_id"]) is None
    assert store.attempts.list_events(attempt_id) == []
    again = client.delete(f"/api/v1/user/{ATTEMPT['user_id']}/", headers=auth)
    assert again.get_json() is False


def test_retire_unknown_user_is_false(client, auth):
    assert client.delete("/api/v1/user/nobody/", headers=auth).get_json() is False


# -- onboarding statuses ------------------------------------------------------------------


def test_onboarding_status_of_a_learner_without_profile(client, auth):
    url = f"/api/v1/courses/{COURSE}/onboarding_statuses?user_id=u1"
    assert client.get(url, headers=auth).get_json() == {
        "user_id": "u1",
        "status": "no-profile",
        "expiration_date": None,
    }


def test_onboarding_status_of_approved_learners(app, client, auth):
    store = app.extensions["mockprock"].store
    store.onboarding.save_onboarding_profile(
        "abcd", "here", "approved", COURSE, "2999-01-01T00:00:00+00:00"
    )
    store.onboarding.save_onboarding_profile(
        "abcd", "elsewhere", "approved", "course-v1:Other+X+Y", None
    )
    store.onboarding.save_onboarding_profile(
        "abcd", "lapsed", "approved", COURSE, "2000-01-01T00:00:00+00:00"
    )
    base = f"/api/v1/courses/{COURSE}/onboarding_statuses?user_id="
    assert client.get(base + "here", headers=auth).get_json() == {
        "user_id": "here",
        "status": "approved-in-course",
        "expiration_date": "2999-01-01T00:00:00+00:00",
    }
    assert client.get(base + "elsewhere", headers=auth).get_json()["status"] == (
        "approved-in-different-course"
    )
    assert client.get(base + "lapsed", headers=auth).get_json()["status"] == "expired"


def test_onboarding_list_filters_and_pages(app, client, auth, exam_id):
    store = app.extensions["mockprock"].store
    for n in range(5):
        store.onboarding.save_onboarding_profile("abcd", f"ok{n}", "approved", COURSE, None)
    store.onboarding.save_onboarding_profile("abcd", "bad", "rejected", COURSE, None)
    store.onboarding.save_onboarding_profile("abcd", "wait", "pending", COURSE, None)
    client.post(
        f"/api/v1/exam/{exam_id}/attempt/", json={**ATTEMPT, "user_id": "fresh"}, headers=auth
    )
    url = f"/api/v1/courses/{COURSE}/onboarding_statuses"

    everyone = client.get(url, headers=auth).get_json()
    assert everyone["count"] == 8
    assert {r["status"] for r in everyone["results"]} == {
        "approved-in-course",
        "rejected",
        "pending",
        "no-profile",
    }
    assert everyone["next"] is None and everyone["previous"] is None

    page = client.get(
        url + "?status=approved-in-course&page=2&page_size=2", headers=auth
    ).get_json()
    assert page["count"] == 5
    assert page["num_pages"] == 3
    assert [r["user_id"] for r in page["results"]] == ["ok2", "ok3"]
    assert "page=3" in page["next"] and "page=1" in page["previous"]
    assert "status=approved-in-course" in page["next"]

    two = client.get(url + "?status=rejected,pending", headers=auth).get_json()
    assert sorted(r["user_id"] for r in two["results"]) == ["bad", "wait"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("?status=happy", 400), ("?page=0", 400), ("?page_size=abc", 400), ("?page=7", 404)],
)
def test_onboarding_list_bad_query(client, auth, query, status):
    url = f"/api/v1/courses/{COURSE}/onboarding_statuses{query}"
    response = client.get(url, headers=auth)
    assert response.status_code == status
    assert response.get_json()["detail"]


# -- generic errors ---------------------------------------------------------------------


def test_unknown_path_is_404_json(client, auth):
    response = client.get("/api/v1/nothing-here/", headers=auth)
    assert response.status_code == 404
    assert response.content_type == "application/json"


def test_wrong_method_is_405_json(client, auth):
    response = client.put("/api/v1/config/", headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_500_json_without_traceback(app, client, auth, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(proctoring_config, "config", explode)
    response = client.get("/api/v1/config/", headers=auth)
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "server_error",
        "detail": "the server hit an unexpected error; its log has the details",
    }
    assert "Traceback" not in response.get_data(as_text=True)


def test_journal_keeps_requests_without_secrets(app, client, auth, exam_id):
    journal = app.extensions["mockprock"].store.journal.list_journal()
    token_entry = journal[0]
    assert token_entry["path"] == "/oauth2/access_token"
    assert token_entry["request"]["form"]["client_secret"] == "<redacted>"
    assert "abcdsecret" not in str(journal)
    assert auth["Authorization"].split()[1] not in str(journal)
    assert journal[-1]["path"] == "/api/v1/exam/"
    assert journal[-1]["client_id"] == "abcd"


def test_journal_is_trimmed_to_its_size(tmp_path):
    from mockprock.web.app import create_app

    app = create_app(make_settings(tmp_path, journal_size=3))
    client = app.test_client()
    headers = {"Authorization": f"JWT {get_token(client)}"}
    for _ in range(5):
        client.get("/api/v1/config/", headers=headers)
    assert len(app.extensions["mockprock"].store.journal.list_journal()) == 3
    app.extensions["mockprock"].close()


def test_default_settings_are_the_documented_ones():
    settings = Settings.load(environ={})
    assert settings.port == 11136
    assert settings.lms_url == "http://localhost:18000"
    assert settings.db == "mockprock.sqlite"


def test_request_threads_do_not_leave_connections_behind(app, client, auth):
    """The HTTP server runs each request on a new thread; each closes its connection."""
    import threading

    threads = [
        threading.Thread(target=lambda: client.get("/api/v1/config/", headers=auth))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(app.extensions["mockprock"].store.database._connections) <= 1
