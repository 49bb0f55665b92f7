"""Starting the server the ways the README and the original mockprock promise."""

from __future__ import annotations

import subprocess
import sys

import requests

from mockprock.client import ProviderClient
from tests.helpers import ServerProcess, mockprock_argv


def test_original_positional_arguments(start_mockprock):
    server = start_mockprock("lms-client", "lms-secret-value", "-l", "http://127.0.0.1:9/")
    output = server.output()
    assert "LMS at http://127.0.0.1:9" in output
    assert "No LMS credentials" not in output
    assert ProviderClient(server.url, "abcd", "abcdsecret").config()["name"] == "MockProck"
    server.stop()
    assert "lms-secret-value" not in server.output()


def test_without_lms_credentials_it_serves_and_says_where_to_get_them(start_mockprock):
    server = start_mockprock("-l", "http://lms.example:18000/oauth2")
    assert "http://lms.example:18000/admin/oauth2_provider/application/" in server.output()
    assert requests.get(server.url + "/api/v1/config/", timeout=10).status_code == 401


def test_credentials_from_the_environment(start_mockprock):
    env = {"MOCKPROCK_LMS_CLIENT_ID": "id-from-env", "MOCKPROCK_LMS_CLIENT_SECRET": "s-from-env"}
    server = start_mockprock(env=env)
    assert "No LMS credentials" not in server.output()


def test_client_id_without_secret_is_a_usage_error(tmp_path):
    result = subprocess.run(
        mockprock_argv(tmp_path / "db.sqlite", "only-an-id"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "give both CLIENT_ID and CLIENT_SECRET" in result.stderr


def test_bad_setting_is_a_usage_error(tmp_path):
    result = subprocess.run(
        mockprock_argv(tmp_path / "db.sqlite", "--client", "nocolon"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "ID:SECRET" in result.stderr


def test_mockprock_serve_with_a_configured_client(tmp_path):
    argv = [sys.executable, "-m", "mockprock.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--db", str(tmp_path / "db.sqlite"), "--client", "lms:topsecret"]
    server = ServerProcess(argv).start()
    try:
        assert ProviderClient(server.url, "lms", "topsecret").config()
        refused = requests.post(
            server.url + "/oauth2/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": "abcd",
                "client_secret": "abcdsecret",
            },
            timeout=10,
        )
        assert refused.status_code == 401
    finally:
        assert server.stop() == 0
    assert "mockprock stopped" in server.output()


def test_secrets_stay_out_of_the_request_log(start_mockprock):
    server = start_mockprock()
    token = ProviderClient(server.url, "abcd", "abcdsecret").token()
    requests.get(f"{server.url}/api/v1/instructor/abcd/?jwt=sentinel-jwt-value", timeout=10)
    requests.get(
        f"{server.url}/api/v1/config/", headers={"Authorization": f"JWT {token}"}, timeout=10
    )
    server.stop()
    log = server.output()
    assert "GET /api/v1/instructor/abcd/?jwt=<redacted>" in log
    assert "sentinel-jwt-value" not in log
    assert token not in log
    assert "abcdsecret" not in log


def test_state_survives_a_restart(start_mockprock, tmp_path):
    db = tmp_path / "kept.sqlite"
    first = start_mockprock(db=db)
    from tests.helpers import EXAM

    exam_id = ProviderClient(first.url, "abcd", "abcdsecret").save_exam(EXAM)
    first.stop()
    second = start_mockprock(db=db)
    assert (
        ProviderClient(second.url, "abcd", "abcdsecret").get_exam(exam_id)["exam_name"]
        == EXAM["exam_name"]
    )
