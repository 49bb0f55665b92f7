"""The seed's command on a devstack host: ``python -m mockprock.server ID SECRET`` and
nothing else delivers ``ready`` and ``reviewed`` to the LMS at ``http://localhost:18000``,
the address devstack registers attempts with (``lms_host``) and the host reaches the LMS
at (tokens). The stand-in LMS takes devstack's port when it is free; when another program
holds it, the same settings with the port swapped (``MOCKPROCK_LMS_URL``) are used."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mockprock.client import ProviderClient
from mockprock.config import DEFAULT_LMS_URL, Settings
from mockprock.lms_stub import LmsStubClient, create_stub_app
from mockprock.statuses import READY, REVIEWED
from tests.helpers import EXAM, LMS_CLIENT, ServerProcess, serving, wait_for

DEVSTACK_LMS = "http://localhost:18000"


def test_the_default_lms_is_devstacks_as_the_host_sees_it():
    settings = Settings.load(environ={})
    assert DEFAULT_LMS_URL == DEVSTACK_LMS
    assert settings.lms_root == DEVSTACK_LMS
    # Attempts registered by devstack name that origin: their callbacks are allowed.
    assert settings.lms_origins == (DEVSTACK_LMS,)
    # A browser on the devstack host opens the admin page the no-credentials hint names.
    assert settings.lms_admin_url == DEVSTACK_LMS + "/admin/oauth2_provider/application/add/"


@pytest.fixture
def devstack_lms() -> Iterator[tuple[str, LmsStubClient, dict[str, str]]]:
    """The LMS stand-in on 127.0.0.1:18000 (devstack's port) when free, else on a free
    port; its URL as the server sees it (``localhost``), and the environment the server
    needs for it (nothing on devstack's port)."""
    app = create_stub_app(*LMS_CLIENT)
    try:
        server = make_server("127.0.0.1", 18000, app, threaded=True)
        env: dict[str, str] = {}
    except OSError:  # another program holds devstack's port: swap the port only
        server = make_server("127.0.0.1", 0, app, threaded=True)
        env = {"MOCKPROCK_LMS_URL": f"http://localhost:{server.server_port}"}
    with serving(server):
        url = f"http://localhost:{server.server_port}"
        yield url, LmsStubClient(f"http://127.0.0.1:{server.server_port}"), env


@pytest.mark.live
def test_the_seed_command_delivers_ready_and_reviewed_to_devstacks_lms(devstack_lms, tmp_path):
    lms_url, lms, env = devstack_lms
    # The environment holds no mockprock setting but the LMS port swap, if any; the
    # server listens on loopback (tests never bind every interface) on a free port.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOCKPROCK_")}
    env = {**clean, **env, "MOCKPROCK_HOST": "127.0.0.1", "MOCKPROCK_PORT": "0"}
    argv = [sys.executable, "-m", "mockprock.server", *LMS_CLIENT]
    server = ServerProcess(argv, cwd=tmp_path)
    server.env = {**env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": _pythonpath()}
    server.start()
    try:
        assert f"LMS at {lms_url}" in server.output()
        assert "No LMS credentials" not in server.output()
        provider = ProviderClient(server.url, "abcd", "abcdsecret")
        exam_id = provider.save_exam(EXAM)
        attempt_id = provider.register_attempt(
            exam_id,
            {
                "lms_host": lms_url,  # what devstack registers (its SITE_NAME)
                "time_limit_mins": 30,
                "is_sample_attempt": False,
                "user_id": "devstack-learner",
                "full_name": "Ada Learner",
                "email": "ada@example.com",
            },
        )["id"]
        lms.add_attempt(attempt_id)
        # The learner opens the download page: the vendor's software is up.
        page = provider.session.get(
            f"{server.url}/download", params={"attempt": attempt_id, "exam": exam_id}, timeout=10
        )
        assert page.status_code == 200
        ready = wait_for(lambda: lms.callbacks(READY, attempt_id), timeout=30, what="ready")
        assert ready[0]["answer_status"] == 200
        for status in ("started", "submitted"):
            lms.set_status(attempt_id, status)
            provider.set_attempt_status(exam_id, attempt_id, status)
        reviewed = wait_for(lambda: lms.callbacks(REVIEWED, attempt_id), timeout=30, what="review")
        assert reviewed[0]["answer_status"] == 200
        assert lms.attempt(attempt_id)["status"] == "verified"
        assert "not an allowed LMS origin" not in server.output()
    finally:
        server.stop()


def _pythonpath() -> str:
    """The checkout first, so the subprocess runs this code from its own directory."""
    repo = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
