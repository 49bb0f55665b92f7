"""No secret reaches the log, the journal, the store's records or the control API's answers.

One whole flow on real servers, with every kind of secret in play: the provider client's
secret and tokens, the LMS application's secret (given at start, then changed at run
time), a signed dashboard link, and wrong secrets sent on purpose.
"""

from __future__ import annotations

import sqlite3

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url
from mockprock.lms_stub import LmsStubClient
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, wait_for

pytestmark = pytest.mark.live

PROVIDER_SECRET = "provider-secret-3f9a"
NEW_LMS_SECRET = "changed-lms-secret-77c1"
WRONG_SECRET = "wrong-secret-e41b-wrong-secret"
# Records that may hold what was sent; the run-time settings table keeps the LMS secret
# on purpose (documented), so it is not among them.
RECORD_TABLES = ("journal", "attempt_events", "callbacks", "review_decisions")


def test_a_whole_flow_leaves_no_secret_behind(start_mockprock, start_lms_stub, tmp_path):
    lms = start_lms_stub()
    db = tmp_path / "secrets.sqlite"
    server = start_mockprock(
        *LMS_CLIENT,
        "-l",
        lms.url,
        "--client",
        f"prov:{PROVIDER_SECRET}",
        "--review-delay",
        "0",
        "--ready-delay",
        "0",
        db=db,
    )
    provider = ProviderClient(server.url, "prov", PROVIDER_SECRET)
    control = ControlClient(server.url, "prov", PROVIDER_SECRET)
    token = provider.token()

    exam_id = provider.save_exam(EXAM)
    attempt_id = provider.register_attempt(exam_id, {**ATTEMPT, "lms_host": lms.url})["id"]
    LmsStubClient(lms.url).add_attempt(attempt_id)
    download = provider.get_attempt(exam_id, attempt_id)["download_url"]
    assert requests.get(download, timeout=10).status_code == 200
    for status in ("started", "submitted"):
        provider.set_attempt_status(exam_id, attempt_id, status)
    wait_for(
        lambda: (
            [c["state"] for c in control.attempt(attempt_id)["callbacks"]]
            == ["delivered", "delivered"]
        ),
        what="ready and reviewed delivered",
    )

    claims = dashboard_claims("prov", EXAM["course_id"], DEFAULT_INSTRUCTOR, exam_id)
    link = dashboard_url(server.url, "prov", PROVIDER_SECRET, claims)
    signed = link.split("jwt=", 1)[1]
    assert requests.get(link, timeout=10).status_code == 200
    forged = dashboard_url(server.url, "prov", WRONG_SECRET, claims)
    assert requests.get(forged, timeout=10).status_code == 403

    settings = server.url + "/mockprock/api/settings"
    basic = ("prov", PROVIDER_SECRET)
    changed = requests.patch(settings, json={"lms_client_secret": NEW_LMS_SECRET}, auth=basic)
    assert changed.status_code == 200
    refused = requests.patch(settings, json={"lms_client_secret": 5}, auth=basic, timeout=10)
    assert refused.status_code == 400
    assert requests.get(settings, auth=("prov", WRONG_SECRET), timeout=10).status_code == 401
    wrong_token = requests.post(
        server.url + "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "prov",
            "client_secret": WRONG_SECRET,
        },
        timeout=10,
    )
    assert wrong_token.status_code == 401

    shown = "".join(
        requests.get(server.url + path, auth=basic, timeout=10).text
        for path in (
            "/mockprock/api/requests",
            "/mockprock/api/callbacks",
            "/mockprock/api/settings",
            f"/mockprock/api/attempts/{attempt_id}",
        )
    )
    server.stop()
    with sqlite3.connect(db) as conn:
        records = "\n".join(
            str(row) for table in RECORD_TABLES for row in conn.execute(f"SELECT * FROM {table}")
        )
    assert "/oauth2/access_token" in records  # the journal did keep the token requests

    secrets = {
        "provider secret": PROVIDER_SECRET,
        "LMS secret given at start": LMS_CLIENT[1],
        "LMS secret set at run time": NEW_LMS_SECRET,
        "wrong secret": WRONG_SECRET,
        "provider token": token,
        "signed dashboard link": signed,
    }
    for where, text in (
        ("server log", server.output()),
        ("store", records),
        ("control API", shown),
    ):
        leaked = [name for name, secret in secrets.items() if secret in text]
        assert not leaked, f"{', '.join(leaked)} in the {where}"
