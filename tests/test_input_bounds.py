"""Bounds where input becomes state: settings finite and within their documented ranges
(flags, environment, control API, and a bad value an older version stored), one JSON shape
for every 500, the journal never parsing a hostile body into a fault, and every integer
route bounded at SQLite's maximum.

The fuzzing of a live server (``tests/test_fuzz.py``) sends the hostile values to every
route; these tests pin each promise down where it is kept.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from mockprock.config import YEAR_SECONDS, Settings, SettingsError
from mockprock.payloads import MAX_JSON_DEPTH
from mockprock.web.app import create_app
from tests.fuzzing import nested
from tests.helpers import (
    ATTEMPT,
    EXAM,
    app_on,
    basic,
    csrf_of,
    get_token,
    make_settings,
    mockprock_argv,
    sign_in,
)


def strict_json(data: bytes) -> object:
    """JSON as the LMS's parser reads it: NaN and Infinity are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, parse_constant=refuse)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("review_delay_seconds", "nan", "finite"),
        ("ready_delay_seconds", "inf", "finite"),
        ("upload_delay_seconds", "1e400", "finite"),
        ("callback_retry_seconds", "-Infinity", "finite"),
        ("callback_backoff_seconds", str(YEAR_SECONDS + 1), "from 0 to"),
        ("onboarding_valid_days", "1" + "0" * 30, "from 0 to"),
        ("token_lifetime_seconds", str(2**63), "from 0 to"),
        ("journal_size", "1e3", "cannot read"),
    ],
)
def test_flags_and_variables_refuse_non_finite_and_out_of_range_numbers(name, text, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load({name: text}, environ={})
    variable = "MOCKPROCK_" + name.upper()
    with pytest.raises(SettingsError, match=message):
        Settings.load({}, environ={variable: text})


def test_an_int_setting_takes_no_fraction():
    with pytest.raises(SettingsError, match="whole number"):
        Settings.load({"onboarding_valid_days": 1.5}, environ={})


def test_a_non_finite_flag_is_a_usage_error(tmp_path):
    result = subprocess.run(
        mockprock_argv(tmp_path / "db.sqlite", "--review-delay", "nan"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "finite" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "changes",
    [
        {"review_delay_seconds": "NaN"},
        {"upload_delay_seconds": "inf"},
        {"onboarding_valid_days": 10**30},
        {"onboarding_valid_days": 1e30},
        {"callback_retry_seconds": YEAR_SECONDS + 1},
    ],
)
def test_the_control_api_refuses_settings_out_of_range_and_keeps_the_old(client, auth, changes):
    before = client.get("/mockprock/api/settings", headers=auth).data
    response = client.patch("/mockprock/api/settings", json=changes, headers=auth)
    assert response.status_code == 400, response.data
    assert response.get_json()["error"] in ("invalid_setting", "invalid_request")
    after = client.get("/mockprock/api/settings", headers=auth).data
    assert after == before
    strict_json(after)


def test_a_bad_value_an_old_store_kept_does_not_poison_start_up(tmp_path):
    """NaN, Infinity, 1e30 days and text that is not JSON, as older versions could store
    them: each is skipped with its default kept, good changes still apply, and the LMS's
    submission (which needs a finite review delay) goes through."""
    settings = make_settings(tmp_path)
    app = create_app(settings)
    app.extensions["mockprock"].close()
    with sqlite3.connect(settings.db) as db:
        db.executemany(
            "INSERT INTO settings_overrides (name, value) VALUES (?, ?)",
            [
                ("review_delay_seconds", "NaN"),
                ("upload_delay_seconds", "Infinity"),
                ("onboarding_valid_days", "1e30"),
                ("ready_delay_seconds", "{not json"),
                ("default_review_status", '"violation"'),
            ],
        )
    app = create_app(settings)
    try:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        shown = strict_json(client.get("/mockprock/api/settings", headers=auth).data)
        assert shown["review_delay_seconds"] == Settings.review_delay_seconds
        assert shown["upload_delay_seconds"] == Settings.upload_delay_seconds
        assert shown["onboarding_valid_days"] == Settings.onboarding_valid_days
        assert shown["ready_delay_seconds"] == Settings.ready_delay_seconds
        assert shown["default_review_status"] == "violation"
        exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
        attempt = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=ATTEMPT, headers=auth)
        path = f"/api/v1/exam/{exam_id}/attempt/{attempt.get_json()['id']}/"
        for status in ("started", "submitted"):
            answer = client.patch(path, json={"status": status}, headers=auth)
            assert answer.status_code == 200, answer.data
    finally:
        app.extensions["mockprock"].close()


def test_a_fault_after_the_view_is_the_one_server_error_shape(app, client, auth, monkeypatch):
    """A fault in the journal (after the view) was Flask's own 500 with Werkzeug's
    sentence; now every 500 is ``server_error`` without internals."""

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.extensions["mockprock"].provider, "journal", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as a served app does
    provider_api = client.get("/api/v1/config/", headers=auth)
    assert provider_api.status_code == 500
    assert provider_api.get_json() == {
        "error": "server_error",
        "detail": "the server hit an unexpected error; its log has the details",
    }
    token = client.post(
        "/oauth2/access_token",
        data={"grant_type": "client_credentials", "client_id": "abcd", "client_secret": "x"},
    )
    assert token.status_code == 500
    assert token.get_json() == provider_api.get_json()


def test_the_journal_keeps_a_note_for_a_body_nested_too_deep(client, auth):
    response = client.post(
        "/api/v1/exam/",
        data=nested(100_000),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert f"nested deeper than {MAX_JSON_DEPTH}" in response.get_json()["detail"]
    (entry,) = [
        e
        for e in client.get("/mockprock/api/requests", headers=auth).get_json()
        if e["path"] == "/api/v1/exam/"
    ]
    assert entry["status"] == 400
    assert entry["request"]["body"].startswith("<not kept: malformed JSON: nested deeper")


def test_brackets_inside_strings_do_not_count_as_depth(client, auth):
    """The depth check reads structure, not text: a name full of brackets is a name."""
    exam = {**EXAM, "exam_name": "[[[{{{" * 50 + '\\"[' * 20}
    response = client.post("/api/v1/exam/", json=exam, headers=auth)
    assert response.status_code == 200, response.data
    exam_id = response.get_json()["id"]
    assert (
        client.get(f"/api/v1/exam/{exam_id}/", headers=auth).get_json()["exam_name"]
        == (exam["exam_name"])
    )


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1])
def test_the_depth_limit_is_exact(client, auth, depth):
    # The body is one level, the rules object another.
    body = json.dumps({**EXAM, "rules": {"r": json.loads(nested(depth - 2))}})
    response = client.post(
        "/api/v1/exam/", data=body, headers={**auth, "Content-Type": "application/json"}
    )
    expected = 200 if depth <= MAX_JSON_DEPTH else 400
    assert response.status_code == expected, response.data


@pytest.mark.parametrize("callback_id", [2**63, 2**64 + 5, 10**30])
def test_the_consoles_retry_route_answers_a_clear_4xx_for_an_id_past_sqlite(
    tmp_path, callback_id
) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        sign_in(client)
        csrf = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        answer = client.post(f"/mockprock/callbacks/{callback_id}/retry", data={"csrf_token": csrf})
        assert answer.status_code == 404
        api = client.post(
            f"/mockprock/api/callbacks/{callback_id}/retry", headers=basic("abcd", "abcdsecret")
        )
        assert api.status_code == 404
