"""Credentials count only while their client is accepted now: a provider token or a console
session of a client a restart dropped is refused, sign-out ends the session on the server,
and signing in renews the session and its CSRF token."""

from __future__ import annotations

from datetime import datetime, timezone

import jwt

from mockprock import auth as auth_module
from tests.helpers import EXAM, app_on, csrf_of, get_token, sign_in

GUEST_LMS = {
    "lms_url": "http://127.0.0.1:19999",
    "lms_client_id": "kit",
    "lms_client_secret": "kit-secret",
}


class _FrozenDatetime:
    """PyJWT's ``datetime``, its ``now`` at a moment a test chose."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self, tz=None) -> datetime:
        return datetime.fromtimestamp(self.at, tz or timezone.utc)

    def __getattr__(self, name: str):
        return getattr(datetime, name)


def test_a_token_of_a_client_no_longer_accepted_is_refused_after_a_restart(tmp_path) -> None:
    with app_on(tmp_path, clients=(("old", "old-secret"),)) as first:
        token = get_token(first.test_client(), "old", "old-secret")
    with app_on(tmp_path, clients=(("new", "new-secret"),)) as second:
        answer = second.test_client().post(
            "/api/v1/exam/", json=EXAM, headers={"Authorization": f"JWT {token}"}
        )
        assert answer.status_code == 401
        assert second.extensions["mockprock"].store.exams.list_exams() == []


def test_a_default_rule_token_is_refused_once_the_server_names_its_clients(tmp_path) -> None:
    with app_on(tmp_path) as first:
        token = get_token(first.test_client(), "abcd", "abcdsecret")
    named = {"clients": (("lms", "lms-secret"),), "admins": (("ops", "ops-secret"),)}
    with app_on(tmp_path, **named) as second:
        client = second.test_client()
        answer = client.get("/api/v1/config/", headers={"Authorization": f"JWT {token}"})
        assert answer.status_code == 401
        control = client.get("/mockprock/api/settings", headers={"Authorization": f"JWT {token}"})
        assert control.status_code == 401


def cookie_of(client) -> str:
    return client.get_cookie("mockprock_session").value


def replayed(app, cookie: str):
    client = app.test_client()
    client.set_cookie("mockprock_session", cookie)
    return client


def signed_in(client) -> bool:
    return 'id="sign-in"' not in client.get("/mockprock/").get_data(as_text=True)


def test_a_console_cookie_replayed_after_sign_out_is_not_signed_in(tmp_path) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        sign_in(client)
        assert signed_in(client)
        cookie = cookie_of(client)
        csrf = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        client.post("/mockprock/sign-out", data={"csrf_token": csrf})
        thief = replayed(app, cookie)
        assert not signed_in(thief)
        changed = thief.post(
            "/mockprock/settings", data={"csrf_token": csrf, "review_delay_seconds": "1"}
        )
        assert changed.status_code in (303, 403)
        assert app.extensions["mockprock"].settings.review_delay_seconds != 1


def test_a_console_cookie_replayed_after_a_restart_without_its_client_is_not_signed_in(
    tmp_path,
) -> None:
    with app_on(tmp_path, clients=(("old", "old-secret"),)) as first:
        client = first.test_client()
        sign_in(client, "old", "old-secret")
        assert signed_in(client)
        cookie = cookie_of(client)
    with app_on(tmp_path, clients=(("new", "new-secret"),)) as second:
        assert not signed_in(replayed(second, cookie))


def test_sign_in_renews_the_session_and_its_csrf_token(tmp_path) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        planted = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        sign_in(client)
        assert signed_in(client)
        refused = client.post(
            "/mockprock/settings", data={"csrf_token": planted, "review_delay_seconds": "1"}
        )
        assert refused.status_code == 403
        fresh = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        assert fresh != planted
        client.post("/mockprock/settings", data={"csrf_token": fresh, "review_delay_seconds": "1"})
        assert app.extensions["mockprock"].settings.review_delay_seconds == 1


def test_a_token_already_checked_is_refused_once_its_client_is_removed(tmp_path) -> None:
    # Tokens are verified once and their claims kept (auth.VerifiedTokens): whether their
    # client is still accepted is checked on every request all the same.
    with app_on(tmp_path) as app:
        client = app.test_client()
        made = client.post("/mockprock/api/guests", json=GUEST_LMS, auth=("abcd", "abcdsecret"))
        guest = (made.get_json()["client_id"], made.get_json()["client_secret"])
        auth = {"Authorization": f"JWT {get_token(client, *guest)}"}
        assert client.get("/api/v1/config/", headers=auth).status_code == 200
        assert client.get("/api/v1/config/", headers=auth).status_code == 200  # kept
        assert client.delete(f"/mockprock/api/guests/{guest[0]}", auth=guest).status_code == 200
        answer = client.get("/api/v1/config/", headers=auth)
        assert answer.status_code == 401
        assert "not accepted now" in answer.get_json()["detail"]


def test_a_token_already_checked_expires_on_time(tmp_path, monkeypatch) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        token = get_token(client)
        auth = {"Authorization": f"JWT {token}"}
        assert client.get("/api/v1/config/", headers=auth).status_code == 200  # kept now
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        later = expires + 1
        monkeypatch.setattr(auth_module.time, "time", lambda: later)
        monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(later))
        answer = client.get("/api/v1/config/", headers=auth)
        assert answer.status_code == 401
        assert answer.get_json()["detail"] == "token expired"
