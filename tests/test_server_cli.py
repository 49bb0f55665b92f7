"""Starting the server the ways the README and the original mockprock promise."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from tests.helpers import ServerProcess, mockprock_argv


@pytest.mark.live
def test_original_positional_arguments(start_mockprock):
    server = start_mockprock("lms-client", "lms-secret-value", "-l", "http://127.0.0.1:9/")
    output = server.output()
    assert "LMS at http://127.0.0.1:9" in output
    assert "No LMS credentials" not in output
    assert ProviderClient(server.url, "abcd", "abcdsecret").config()["name"] == "MockProck"
    server.stop()
    assert "lms-secret-value" not in server.output()


@pytest.mark.live
def test_without_lms_credentials_it_serves_and_says_where_to_get_them(start_mockprock):
    server = start_mockprock("-l", "http://lms.example:18000/oauth2")
    assert "http://lms.example:18000/admin/oauth2_provider/application/" in server.output()
    assert requests.get(server.url + "/api/v1/config/", timeout=10).status_code == 401


@pytest.mark.live
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


@pytest.mark.live
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


@pytest.mark.live
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


@pytest.mark.live
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


# -- what a new user meets: every start-up error names what to change, no traceback -----


def start_fails(*args: str, command: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", *command] if command else None
    result = subprocess.run(
        (argv + list(args)) if argv else mockprock_argv(*args),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "listening on" not in result.stdout
    return result


@pytest.mark.live
def test_a_taken_port_says_which_flag_picks_another(start_mockprock, tmp_path):
    port = start_mockprock().url.rsplit(":", 1)[1]
    result = start_fails(tmp_path / "other.sqlite", "--port", port)
    assert result.returncode == 1
    assert f"port {port} is in use" in result.stderr
    assert "--port" in result.stderr and 'make run ARGS="--port' in result.stderr
    assert "is in use by another program" not in result.stderr  # not Werkzeug's sentence too
    argv = ["mockprock.cli", "serve", "--host", "127.0.0.1", "--port", port]
    served = start_fails("--db", str(tmp_path / "o.sqlite"), command=tuple(argv))
    assert f"`mockprock serve --port {int(port) + 1}`" in served.stderr


def test_an_address_this_machine_does_not_have_is_refused(tmp_path):
    # 192.0.2.0/24 is reserved for documentation: no machine has it.
    result = start_fails(tmp_path / "db.sqlite", "--host", "192.0.2.1")
    assert "--host 192.0.2.1" in result.stderr and "127.0.0.1" in result.stderr
    assert "Cannot assign requested address" not in result.stderr


@pytest.mark.live
def test_a_state_file_in_a_missing_directory_names_the_path(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "x.sqlite"
    result = start_fails(missing)
    assert result.returncode == 1
    assert f"--db {missing}" in result.stderr
    assert f"{missing.parent} does not exist" in result.stderr
    assert "OperationalError" not in result.stderr
    assert not missing.parent.exists()


@pytest.mark.live
def test_a_state_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 100)
    result = start_fails(notes)
    assert result.returncode == 1
    assert f"--db {notes} is not a SQLite database" in result.stderr
    assert "another path with --db" in result.stderr
    assert notes.read_text() == "my notes, not a database\n" * 100


@pytest.mark.parametrize("url", ["not-a-url", "localhost:18000"])
def test_an_lms_url_without_a_scheme_is_refused(tmp_path, url):
    result = start_fails(tmp_path / "db.sqlite", "-l", url)
    assert result.returncode == 2
    assert f"not {url!r}" in result.stderr
    assert "--lms-url" in result.stderr and "http://" in result.stderr


@pytest.mark.live
def test_the_banner_names_the_address_bound_and_the_url_to_use(start_mockprock, tmp_path):
    loopback = start_mockprock()
    assert "(bound to 127.0.0.1, this address only)" in loopback.output()
    everywhere = start_mockprock("--host", "0.0.0.0", db=tmp_path / "everywhere.sqlite")
    line = next(x for x in everywhere.output().splitlines() if "listening on" in x)
    assert line.startswith("mockprock listening on http://127.0.0.1:")
    assert line.endswith("(bound to 0.0.0.0, every interface)")
    # Off the default port, it says how the commands find it.
    assert f"--url {everywhere.url}" in everywhere.output()
    assert f"MOCKPROCK_URL={everywhere.url}" in everywhere.output()


@pytest.mark.live
def test_the_banner_shows_the_lms_url_stored_at_run_time(start_mockprock, tmp_path):
    db = tmp_path / "kept.sqlite"
    first = start_mockprock(db=db)
    ControlClient(first.url, "abcd", "abcdsecret").change_settings(
        lms_url="http://lms.stored.example:18000"
    )
    first.stop()
    second = start_mockprock(db=db)
    assert "LMS at http://lms.stored.example:18000" in second.output()
    assert "http://lms.stored.example:18000/admin/oauth2_provider/application/" in (second.output())
    assert "host.docker.internal" not in second.output()


@pytest.mark.live
def test_mockprock_serve_takes_the_lms_credentials_as_arguments(tmp_path):
    argv = [sys.executable, "-m", "mockprock.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    with_them = ServerProcess([*argv, "--db", str(tmp_path / "a.sqlite"), "lms-id", "lms-secret"])
    try:
        assert "No LMS credentials" not in with_them.start().output()
    finally:
        with_them.stop()
    without = ServerProcess([*argv, "--db", str(tmp_path / "b.sqlite")])
    try:
        output = without.start().output()
    finally:
        without.stop()
    assert "restart with\n  `mockprock serve CLIENT_ID CLIENT_SECRET`" in output
    assert "python -m mockprock.server" not in output


@pytest.mark.live
def test_log_lines_have_one_timestamp_and_no_colour_off_a_terminal(start_mockprock):
    server = start_mockprock()
    requests.get(server.url + "/no-such-page", timeout=10)  # Werkzeug colours a 404
    requests.get(server.url + "/api/v1/config/", timeout=10)  # and a 401
    server.stop()
    log = server.output()
    assert "\x1b[" not in log
    request_lines = [line for line in log.splitlines() if '"GET /' in line]
    assert len(request_lines) == 2
    for line in request_lines:
        assert len(re.findall(r"\d\d:\d\d:\d\d", line)) == 1, line
        assert "/Nov/" not in line and "[" not in line


def test_help_is_plain_text():
    result = subprocess.run(
        [sys.executable, "-m", "mockprock.server", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert "``" not in result.stdout
    assert "    python -m mockprock.server CLIENT_ID CLIENT_SECRET" in result.stdout
