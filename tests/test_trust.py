"""Trust boundaries in process: where callbacks may go, who may change where
secrets go, the store's privacy and the start-up warning. The live version, with a
capture server that must receive nothing, is tests/test_trust_e2e.py."""

from __future__ import annotations

import base64
import logging
import os
import stat

import pytest

from mockprock.app import create_app
from mockprock.config import Settings, SettingsError
from mockprock.server import banner
from mockprock.store import Store
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, get_token, make_settings

API = "/mockprock/api"
CALLBACK_PATH = "/api/edx_proctoring/v1/proctored_exam/attempt/{}/{}"
FOREIGN = "http://127.0.0.1:9"  # not an allowed LMS origin; nothing listens there


def basic(client_id: str, secret: str | None = None) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret or client_id + 'secret'}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def lms_app(tmp_path):
    """An app with LMS credentials (callbacks would go at once) and no dispatcher."""
    app = create_app(
        make_settings(tmp_path, lms_client_id=LMS_CLIENT[0], lms_client_secret=LMS_CLIENT[1])
    )
    yield app
    app.extensions["mockprock"].close()


def ready_after_download(app, lms_host: str) -> dict:
    """Register an attempt naming ``lms_host``, open its download page, and answer the
    ``ready`` callback it queued."""
    client = app.test_client()
    auth = {"Authorization": f"JWT {get_token(client)}"}
    exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
    attempt = {**ATTEMPT, "lms_host": lms_host}
    attempt_id = client.post(
        f"/api/v1/exam/{exam_id}/attempt/", json=attempt, headers=auth
    ).get_json()["id"]
    assert client.get(f"/download?attempt={attempt_id}").status_code == 200
    (row,) = app.extensions["mockprock"].outbox.list(attempt_id)
    return row


# -- callbacks go only to allowed LMS origins ------------------------------------------------


def test_the_callback_url_is_the_allowed_origin_plus_the_callback_path(lms_app) -> None:
    row = ready_after_download(lms_app, "http://127.0.0.1:18000/internal/admin?x=")
    assert row["state"] == "pending"
    assert row["url"] == "http://127.0.0.1:18000" + CALLBACK_PATH.format(row["attempt_id"], "ready")


def test_a_callback_to_another_origin_fails_at_once_and_says_why(lms_app, caplog) -> None:
    caplog.set_level(logging.WARNING)
    row = ready_after_download(lms_app, FOREIGN + "/some/path")
    assert row["state"] == "failed"
    assert row["tries"] == 0
    for where in (
        row["last_error"],
        caplog.text,
        str(lms_app.extensions["mockprock"].store.list_events(row["attempt_id"])),
    ):
        assert FOREIGN in where
        assert f"--allow-lms-origin {FOREIGN}" in where
    # Nothing is due: the dispatcher tries nothing (and so asks no LMS for a token).
    assert lms_app.extensions["mockprock"].outbox.run_due() == 0


def test_a_callback_whose_origin_stopped_being_allowed_is_not_sent(tmp_path) -> None:
    settings = make_settings(
        tmp_path,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        allowed_lms_origins=(FOREIGN,),
    )
    app = create_app(settings)
    try:
        row = ready_after_download(app, FOREIGN)
        assert row["state"] == "pending"
        provider = app.extensions["mockprock"].provider
        provider.change_settings("abcd", {"allowed_lms_origins": []})
        outbox = app.extensions["mockprock"].outbox
        outbox.clock = lambda: row["due_at"] + 1
        assert outbox.run_due() == 1
        after = outbox.store.get_callback(row["id"])
        # Refused before any request: an attempt to send would have found no listener
        # on port 9 and been retried (pending), not failed with this reason.
        assert after["state"] == "failed"
        assert "--allow-lms-origin" in after["last_error"]
    finally:
        app.extensions["mockprock"].close()


def test_allowed_lms_origins_come_from_the_lms_url_flags_and_the_environment() -> None:
    settings = Settings.load(
        {
            "lms_url": "http://lms.example:18000/oauth2",
            "allowed_lms_origins": ("HTTP://Local:80/",),
        },
        environ={},
    )
    assert settings.lms_origins == ("http://lms.example:18000", "http://local")
    from_env = Settings.load(
        environ={
            "MOCKPROCK_ALLOW_LMS_ORIGIN": "http://a:1, https://b",
            "MOCKPROCK_ALLOW_ORIGIN": "http://mfe:2000",
        }
    )
    assert from_env.allowed_lms_origins == ("http://a:1", "https://b")
    assert from_env.desktop_origins[-1] == "http://mfe:2000"
    for bad in ("localhost:18000", "http://x/with/path", "ftp://x"):
        with pytest.raises(SettingsError, match="an origin is scheme://host"):
            Settings.load({"allowed_lms_origins": (bad,)}, environ={})


# -- only an operator changes where secrets go -----------------------------------------------

ROUTING_CHANGES = [
    {"lms_url": "http://127.0.0.1:9"},
    {"lms_client_id": "x"},
    {"lms_client_secret": "x"},
    {"allowed_lms_origins": ["http://127.0.0.1:9"]},
    {"allowed_origins": ["http://127.0.0.1:9"]},
    {"review_delay_seconds": 1, "lms_url": "http://127.0.0.1:9"},
]


@pytest.mark.parametrize("change", ROUTING_CHANGES)
def test_off_loopback_without_an_operator_nobody_changes_where_secrets_go(tmp_path, change) -> None:
    app = create_app(make_settings(tmp_path, host="0.0.0.0"))
    try:
        client = app.test_client()
        before = app.extensions["mockprock"].settings
        response = client.patch(f"{API}/settings", json=change, headers=basic("zz"))
        assert response.status_code == 403
        assert response.get_json()["error"] == "operator_only"
        assert "--admin" in response.get_json()["detail"]
        assert app.extensions["mockprock"].settings == before
        assert app.extensions["mockprock"].store.settings_overrides() == {}
        # The simulation knobs stay anyone's.
        knob = client.patch(
            f"{API}/settings", json={"review_delay_seconds": 1}, headers=basic("zz")
        )
        assert knob.status_code == 200
    finally:
        app.extensions["mockprock"].close()


def test_on_loopback_without_an_operator_any_client_may(client) -> None:
    change = {"lms_url": "http://127.0.0.1:8000", "allowed_lms_origins": ["http://lms.test"]}
    response = client.patch(f"{API}/settings", json=change, headers=basic("zz"))
    assert response.status_code == 200
    shown = response.get_json()
    assert shown["lms_origins"] == ["http://127.0.0.1:8000", "http://lms.test"]


def test_with_an_operator_named_only_the_operator_may(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, admins=(("ops", "a-long-operator-secret"),)))
    try:
        client = app.test_client()
        change = {"lms_url": "http://127.0.0.1:8000"}
        refused = client.patch(f"{API}/settings", json=change, headers=basic("abcd"))
        assert refused.status_code == 403
        assert "--admin" in refused.get_json()["detail"]
        # The id+secret default never lets anyone in under the operator's id.
        assert client.patch(f"{API}/settings", json=change, headers=basic("ops")).status_code == 401
        by_basic = client.patch(
            f"{API}/settings", json=change, headers=basic("ops", "a-long-operator-secret")
        )
        assert by_basic.status_code == 200
        token = get_token(client, "ops", "a-long-operator-secret")
        by_token = client.patch(
            f"{API}/settings",
            json={"lms_url": "http://127.0.0.1:8001"},
            headers={"Authorization": f"JWT {token}"},
        )
        assert by_token.status_code == 200
        assert app.extensions["mockprock"].settings.lms_url == "http://127.0.0.1:8001"
        # A reset by another client leaves the operator's settings as they are.
        assert client.post(f"{API}/reset", headers=basic("abcd")).status_code == 200
        assert app.extensions["mockprock"].settings.lms_url == "http://127.0.0.1:8001"
        assert app.extensions["mockprock"].store.settings_overrides()["lms_url"] == (
            "http://127.0.0.1:8001"
        )
    finally:
        app.extensions["mockprock"].close()


def test_origins_set_at_run_time_survive_a_restart(tmp_path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    app.extensions["mockprock"].provider.change_settings(
        "abcd", {"allowed_lms_origins": "http://lms.test:18000"}
    )
    app.extensions["mockprock"].close()
    again = create_app(settings)
    try:
        assert again.extensions["mockprock"].settings.allowed_lms_origins == (
            "http://lms.test:18000",
        )
    finally:
        again.extensions["mockprock"].close()


# -- the store is private ----------------------------------------------------------------


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_and_its_wal_files_are_private(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    old = os.umask(0o022)
    try:
        store = Store(str(path))
        store.signing_key()  # a write: the -wal and -shm files exist now
        files = [path, tmp_path / "s.sqlite-wal", tmp_path / "s.sqlite-shm"]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        store.close()
    finally:
        os.umask(old)


def test_an_existing_store_readable_by_others_is_tightened_and_the_log_says_so(
    tmp_path, caplog
) -> None:
    path = tmp_path / "s.sqlite"
    Store(str(path)).close()
    for name in (path, tmp_path / "s.sqlite-wal"):
        name.touch()
        os.chmod(name, 0o644)
    caplog.set_level(logging.WARNING)
    Store(str(path)).close()
    assert mode(path) == 0o600
    assert str(path) in caplog.text and "644" in caplog.text


# -- an exposed default warns -------------------------------------------------------------


def test_the_banner_warns_when_exposed_with_the_id_secret_default(tmp_path) -> None:
    exposed = banner(make_settings(tmp_path, host="0.0.0.0"), 0, "mockprock serve")
    assert "WARNING" in exposed
    assert "--client ID:SECRET" in exposed and "--host 127.0.0.1" in exposed
    for quiet in (
        make_settings(tmp_path, host="127.0.0.1"),
        make_settings(tmp_path, host="0.0.0.0", clients=("lms:a-real-secret",)),
    ):
        assert "WARNING" not in banner(quiet, 0, "mockprock serve")


def test_the_banner_lists_the_allowed_lms_origins(tmp_path) -> None:
    settings = make_settings(tmp_path, allowed_lms_origins=("http://localhost:18000",))
    text = banner(settings, 0, "mockprock serve")
    assert "http://127.0.0.1:18000, http://localhost:18000" in text
    assert "--allow-lms-origin" in text


# -- a stored operator-only setting and a hardened start ---------------------------------------

HARDENED = {"host": "0.0.0.0", "admins": (("ops", "ops-secret"),), "clients": (("lms", "s"),)}
STORED_LMS = "http://lms.stored.example:18000"


def started(tmp_path, explicit=(), **settings):
    app = create_app(make_settings(tmp_path, **settings), explicit=explicit)
    services = app.extensions["mockprock"]
    text = banner(services.settings, 11136, "mockprock serve", services.provider.start_notes)
    return app, services, text


def test_a_stored_lms_url_from_an_older_store_does_not_override_a_hardened_start(
    tmp_path,
) -> None:
    store = Store(str(tmp_path / "mockprock.sqlite"))
    store.save_settings_overrides({"lms_url": STORED_LMS})  # as an older server kept it
    store.close()
    app, services, text = started(tmp_path, **HARDENED)
    assert services.settings.lms_url == "http://127.0.0.1:18000"  # not the stored one
    assert STORED_LMS in text and "ignored" in text and "--lms-url" in text
    app.extensions["mockprock"].close()
    # --lms-url wins when given, and says nothing of the stored one being used.
    app, services, text = started(
        tmp_path, explicit=("lms_url",), lms_url="http://lms.flag.example:18000", **HARDENED
    )
    assert services.settings.lms_url == "http://lms.flag.example:18000"
    app.extensions["mockprock"].close()


def test_an_lms_url_an_operator_stored_stays_in_a_hardened_start_and_the_banner_names_it(
    tmp_path,
) -> None:
    app, services, _ = started(tmp_path, **HARDENED)
    answer = app.test_client().patch(
        f"{API}/settings", json={"lms_url": STORED_LMS}, headers=basic("ops", "ops-secret")
    )
    assert answer.status_code == 200
    services.close()
    app, services, text = started(tmp_path, **HARDENED)
    assert services.settings.lms_url == STORED_LMS
    assert STORED_LMS in text and "from the store" in text and "--lms-url" in text
    services.close()
