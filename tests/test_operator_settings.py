"""Only an operator changes where secrets go: the LMS URL, its credentials and the allowed
origins change at run time only for ``--admin ID:SECRET`` (or any accepted client while the
server listens on loopback only); a value an older store kept does not override a hardened
start; an exposed default (non-loopback with the id+"secret" rule) warns at start."""

from __future__ import annotations

import pytest

from mockprock.server import banner
from mockprock.store import Store
from mockprock.web.app import create_app
from tests.helpers import basic, get_token, make_settings

API = "/mockprock/api"


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
        assert app.extensions["mockprock"].store.settings.settings_overrides() == {}
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
        assert app.extensions["mockprock"].store.settings.settings_overrides()["lms_url"] == (
            "http://127.0.0.1:8001"
        )
    finally:
        app.extensions["mockprock"].close()


# -- an exposed default warns --------------------------------------------------------------


def test_the_banner_warns_when_exposed_with_the_id_secret_default(tmp_path) -> None:
    exposed = banner(make_settings(tmp_path, host="0.0.0.0"), 0, "mockprock serve")
    assert "WARNING" in exposed
    assert "--client ID:SECRET" in exposed and "--host 127.0.0.1" in exposed
    for quiet in (
        make_settings(tmp_path, host="127.0.0.1"),
        make_settings(tmp_path, host="0.0.0.0", clients=("lms:a-real-secret",)),
    ):
        assert "WARNING" not in banner(quiet, 0, "mockprock serve")


# -- a stored operator-only setting and a hardened start -----------------------------------


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
    store.settings.save_settings_overrides({"lms_url": STORED_LMS})  # as an older server kept it
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
