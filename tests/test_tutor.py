"""The Tutor plugin, rendered by the real ``tutor`` (no Docker engine needed).

Two Tutor roots, each made once per module (Tutor's command line is slow to start): one
as ``tutor plugins enable mockprock`` leaves it, one with the checkout mounted, a Caddy
host for the server and HTTPS. The tests read what Tutor wrote, run the init task's
script against a ``manage.py`` that records its calls, and start the server image's
command line outside Docker.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockprock import __version__
from mockprock.processes import ServerProcess
from mockprock.tutor import npm
from tests.helpers import REPO

TUTOR = str(Path(sys.executable).with_name("tutor"))
CADDY_HOST = "mockprock.example.com"


class TutorRoot:
    """A TUTOR_ROOT of its own, and the ``tutor`` command line run in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "TUTOR_ROOT": str(root),
            "TUTOR_PLUGINS_ROOT": str(root / "plugins"),
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [TUTOR, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"tutor {shlex.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def config(self) -> dict[str, Any]:
        return yaml.safe_load((self.root / "config.yml").read_text())

    def text(self, path: str) -> str:
        return (self.root / "env" / path).read_text()

    def yaml(self, path: str) -> dict[str, Any]:
        return yaml.safe_load(self.text(path))


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> TutorRoot:
    root = TutorRoot(tmp_path_factory.mktemp("tutor-plain"))
    root.run("plugins", "enable", "mockprock")
    root.listed_enabled = root.run("plugins", "list")
    root.run("config", "save")  # as `tutor local launch` does first
    return root


@pytest.fixture(scope="module")
def mounted(tmp_path_factory) -> TutorRoot:
    root = TutorRoot(tmp_path_factory.mktemp("tutor-mounted"))
    checkout = tmp_path_factory.mktemp("src") / "mockprock"
    checkout.mkdir()
    root.checkout = checkout
    root.run("plugins", "enable", "mockprock")
    root.run("mounts", "add", str(checkout))  # saves the config
    root.first_config = root.config()
    root.run(
        "config", "save", "--set", f"MOCKPROCK_HOST={CADDY_HOST}", "--set", "ENABLE_HTTPS=true"
    )
    return root


def proctoring_settings(settings_file: str) -> dict[str, Any]:
    """What the plugin's block in a rendered settings file sets, run as Python."""
    block = re.search(
        r"^# mockprock: proctored exams.*?^MOCKPROCK_PUBLIC_URL = .*?\n", settings_file, re.M | re.S
    )
    assert block, "no mockprock block in the settings"
    scope: dict[str, Any] = {"FEATURES": {}}
    exec(block.group(0), scope)
    return scope


def server_service(root: TutorRoot, context: str = "local") -> dict[str, Any]:
    return root.yaml(f"{context}/docker-compose.yml")["services"]["mockprock"]


# -- the plugin and its settings --------------------------------------------------------


def test_tutor_lists_the_plugin(plain):
    assert re.search(
        rf"^mockprock\s+\W*\s*enabled\s+{re.escape(__version__)}$", plain.listed_enabled, re.M
    )


def test_secrets_are_generated_once_and_kept(mounted):
    first, now = mounted.first_config, mounted.config()
    for key in ("MOCKPROCK_CLIENT_SECRET", "MOCKPROCK_LMS_CLIENT_SECRET"):
        assert re.fullmatch(r"[A-Za-z0-9]{32}", first[key]), key
        assert now[key] == first[key], f"{key} changed on a later config save"
    assert first["MOCKPROCK_CLIENT_SECRET"] != first["MOCKPROCK_LMS_CLIENT_SECRET"]
    assert now["MOCKPROCK_HOST"] == CADDY_HOST  # --set is kept


@pytest.mark.parametrize("service", ["lms", "cms"])
@pytest.mark.parametrize("flavour", ["production", "development"])
def test_lms_and_studio_use_the_server_by_its_service_name(plain, service, flavour):
    config = plain.config()
    settings = proctoring_settings(plain.text(f"apps/openedx/settings/{service}/{flavour}.py"))
    assert settings["ENABLE_SPECIAL_EXAMS"] is True
    assert settings["FEATURES"]["ENABLE_SPECIAL_EXAMS"] is True
    backends = settings["PROCTORING_BACKENDS"]
    assert backends["DEFAULT"] == "mockprock"
    assert backends["null"] == {}
    assert backends["mockprock"] == {
        "client_id": "openedx",
        "client_secret": config["MOCKPROCK_CLIENT_SECRET"],
        "base_url": "http://mockprock:11136",
    }
    # The LMS calls the service; the instructor's browser goes to the published port.
    assert settings["MOCKPROCK_PUBLIC_URL"] == "http://localhost:11136"
    # The client the LMS calls with is the one the server accepts.
    environment = server_service(plain)["environment"]
    assert environment["MOCKPROCK_CLIENTS"] == f"openedx:{config['MOCKPROCK_CLIENT_SECRET']}"


def test_the_asset_build_configures_the_backend(plain):
    # edx-proctoring writes workers.json (webpack's list of workers) only for a backend
    # that PROCTORING_BACKENDS configures: the asset build's settings must name it.
    assets = plain.text("build/openedx/settings/lms/assets.py")
    block = re.search(r"^PROCTORING_BACKENDS = .*$", assets, re.M)
    assert block
    scope: dict[str, Any] = {}
    exec(block.group(0), scope)
    assert scope["PROCTORING_BACKENDS"]["DEFAULT"] == "mockprock"
    assert "mockprock" in scope["PROCTORING_BACKENDS"]


# -- the openedx image ------------------------------------------------------------------


def test_the_image_installs_the_released_backend(plain):
    dockerfile = plain.text("build/openedx/Dockerfile")
    install = dockerfile.index(f'install "mockprock=={__version__}"')
    # Into the virtualenv the production image copies.
    stage = dockerfile.rindex("\nFROM ", 0, install)
    assert dockerfile.startswith("\nFROM python AS python-requirements", stage)
    assert "mnt-mockprock" not in dockerfile


def test_the_image_installs_a_mounted_checkout_instead(mounted):
    dockerfile = mounted.text("build/openedx/Dockerfile")
    assert "mockprock==" not in dockerfile
    assert "FROM scratch AS mnt-mockprock" in dockerfile
    assert 'install -e "/mnt/mockprock"' in dockerfile
    # ...and the containers see the checkout itself.
    lms = mounted.yaml("local/docker-compose.yml")["services"]["lms"]
    assert f"{mounted.checkout}:/mnt/mockprock:z" in lms["volumes"]


@pytest.mark.parametrize(
    ("fixture", "desktop_url"),
    [("plain", "http://localhost:11136"), ("mounted", f"https://{CADDY_HOST}")],
)
def test_the_worker_is_installed_before_webpack_with_the_desktop_url(request, fixture, desktop_url):
    dockerfile = request.getfixturevalue(fixture).text("build/openedx/Dockerfile")
    step = re.search(r"^RUN npm install .*?(?=\n\n)", dockerfile, re.M | re.S)
    assert step, "no worker install step"
    assert step.start() < dockerfile.index("RUN npm run webpack")
    commands = [line.strip(" \\&") for line in step.group(0).splitlines()]
    assert commands == [
        "RUN npm install --no-save --no-audit --no-fund --install-links"
        ' "$(python -m mockprock.tutor.npm)"',
        f'MOCKPROCK_DESKTOP_URL="{desktop_url}"'
        " node node_modules/@edx/mockprock/worker/configure.js",
        './manage.py lms --settings=tutor.assets shell -c "pass"',
        "grep -q '@edx/mockprock' ../workers.json",
    ]


def test_the_npm_package_is_found_in_the_checkout():
    folder = npm.package_dir()
    assert folder == REPO
    assert json.loads((folder / "package.json").read_text())["name"] == "@edx/mockprock"
    done = subprocess.run(
        [sys.executable, "-m", "mockprock.tutor.npm"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and Path(done.stdout.strip()) == REPO


# -- the server as a compose service ----------------------------------------------------


def test_the_server_is_a_local_service_with_its_store_under_the_tutor_root(plain):
    config = plain.config()
    service = server_service(plain)
    assert service["image"] == f"mockprock:{__version__}"
    assert service["volumes"] == ["../../data/mockprock:/data:z"]
    assert service["ports"] == ["11136:11136"]
    assert service["environment"] == {
        "MOCKPROCK_CLIENTS": f"openedx:{config['MOCKPROCK_CLIENT_SECRET']}",
        "MOCKPROCK_LMS_URL": "http://local.openedx.io",
        "MOCKPROCK_LMS_CLIENT_ID": "mockprock",
        "MOCKPROCK_LMS_CLIENT_SECRET": config["MOCKPROCK_LMS_CLIENT_SECRET"],
        "MOCKPROCK_PUBLIC_URL": "http://localhost:11136",
    }
    assert service["command"] == [
        "mockprock",
        "serve",
        "--allow-lms-origin",
        "http://local.openedx.io",
    ]
    permissions = plain.yaml("local/docker-compose.yml")["services"]["permissions"]
    assert "../../data/mockprock:/mounts/mockprock:z" in permissions["volumes"]
    assert "setowner 1000 /mounts/mockprock" in plain.text("apps/permissions/setowners.sh")


def test_the_lms_host_reaches_the_lms_inside_the_network(plain):
    # The origin the server calls back (and gets tokens from) is LMS_HOST, a network
    # alias: of Caddy in local, of the lms service (port 8000) in dev.
    caddy = plain.yaml("local/docker-compose.prod.yml")["services"]["caddy"]
    assert "local.openedx.io" in caddy["networks"]["default"]["aliases"]
    dev = plain.yaml("dev/docker-compose.yml")["services"]
    assert "local.openedx.io" in dev["lms"]["networks"]["default"]["aliases"]
    assert dev["lms"]["ports"] == ["8000:8000"]
    assert dev["mockprock"]["environment"] == {"MOCKPROCK_LMS_URL": "http://local.openedx.io:8000"}
    assert dev["mockprock"]["command"][-2:] == [
        "--allow-lms-origin",
        "http://local.openedx.io:8000",
    ]


def test_a_caddy_host_serves_the_server_over_https(plain, mounted):
    assert "mockprock:11136" not in plain.text("apps/caddy/Caddyfile")
    caddyfile = mounted.text("apps/caddy/Caddyfile")
    site = re.search(
        rf"^{re.escape(CADDY_HOST)}\{{\$default_site_port\}} \{{\n(.*?)^\}}", caddyfile, re.M | re.S
    )
    assert site and site.group(1).strip() == 'import proxy "mockprock:11136"'
    service = server_service(mounted)
    assert service["environment"]["MOCKPROCK_PUBLIC_URL"] == f"https://{CADDY_HOST}"
    lms = proctoring_settings(mounted.text("apps/openedx/settings/lms/production.py"))
    assert lms["MOCKPROCK_PUBLIC_URL"] == f"https://{CADDY_HOST}"
    assert service["environment"]["MOCKPROCK_LMS_URL"] == "https://local.openedx.io"
    assert f"{mounted.checkout}:/mnt/mockprock" in service["volumes"]


# -- the server image ---------------------------------------------------------------------


def dockerfile_runtime(text: str) -> dict[str, Any]:
    """The CMD, HEALTHCHECK command and ENV of a Dockerfile (continuation lines joined)."""
    lines = re.sub(r"\\\n\s*", " ", text).splitlines()
    env: dict[str, str] = {}
    for line in lines:
        if line.startswith("ENV "):
            env.update(dict(pair.split("=", 1) for pair in shlex.split(line[4:])))
    (cmd,) = [json.loads(line[4:]) for line in lines if line.startswith("CMD ")]
    (health,) = [line for line in lines if line.startswith("HEALTHCHECK ")]
    return {"cmd": cmd, "env": env, "healthcheck": json.loads(health.split(" CMD ", 1)[1])}


def test_the_plugin_builds_the_image_the_repository_describes(plain, mounted):
    ours = dockerfile_runtime((REPO / "Dockerfile").read_text())
    for root in (plain, mounted):
        assert dockerfile_runtime(root.text("plugins/mockprock/build/mockprock/Dockerfile")) == ours
    released = plain.text("plugins/mockprock/build/mockprock/Dockerfile")
    assert f'pip install "mockprock[server]=={__version__}"' in released
    checkout = mounted.text("plugins/mockprock/build/mockprock/Dockerfile")
    assert "FROM scratch AS mnt-mockprock" in checkout
    assert 'pip install -e "/mnt/mockprock[server]"' in checkout


def test_the_image_command_serves_and_its_healthcheck_says_so(tmp_path):
    image = dockerfile_runtime((REPO / "Dockerfile").read_text())
    assert image["env"]["MOCKPROCK_DB"].startswith("/data/")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **image["env"],
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        # Outside Docker: loopback, a free port, a store of the test's own.
        "MOCKPROCK_HOST": "127.0.0.1",
        "MOCKPROCK_PORT": "0",
        "MOCKPROCK_DB": str(tmp_path / "mockprock.sqlite"),
        "MOCKPROCK_CLIENTS": "openedx:s3cret-for-the-test",
    }
    server = ServerProcess(image["cmd"], env=env, cwd=tmp_path).start()
    try:
        port = server.url.rsplit(":", 1)[1]

        def healthcheck(**changes: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                image["healthcheck"],
                env={**server.env, "MOCKPROCK_PORT": port, **changes},
                capture_output=True,
                text=True,
                timeout=60,
            )

        healthy = healthcheck()
        assert healthy.returncode == 0, healthy.stderr
        assert healthy.stdout.strip() == "mockprock healthy: MockProck"
        refused = healthcheck(MOCKPROCK_CLIENTS="openedx:wrong")
        assert refused.returncode == 1
        assert "401" in refused.stderr and "wrong" not in refused.stderr
    finally:
        server.stop()
    gone = subprocess.run(
        image["healthcheck"],
        env={**server.env, "MOCKPROCK_PORT": port},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gone.returncode == 1 and "ConnectionError" in gone.stderr


# -- the init task ----------------------------------------------------------------------

# A manage.py that records each call (one JSON line) and fails when told to.
MANAGE_PY = """#!{python}
import json, os, sys
with open(os.environ["CALLS"], "a") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit(1 if os.environ.get("FAIL_ON") in sys.argv else 0)
"""


def run_init_task(script: str, workdir: Path, **env: str) -> tuple[int, list[list[str]]]:
    calls = workdir / "calls.jsonl"
    calls.unlink(missing_ok=True)
    manage = workdir / "manage.py"
    manage.write_text(MANAGE_PY.format(python=sys.executable))
    manage.chmod(0o755)
    # As Tutor runs an init task: sh -e -c SCRIPT, in edx-platform's folder.
    done = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=workdir,
        env={**os.environ, "CALLS": str(calls), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, [json.loads(line) for line in lines]


def test_the_init_task_creates_the_callback_account_idempotently(plain, tmp_path):
    config = plain.config()
    script = plain.text("plugins/mockprock/tasks/lms/init.sh")
    expected = [
        ["lms", "manage_group", "mockprock_review"],
        [
            "lms",
            "manage_user",
            "mockprock",
            "mockprock@example.com",
            "--unusable-password",
            "--groups",
            "mockprock_review",
        ],
        [
            "lms",
            "create_dot_application",
            "mockprock",
            "mockprock",
            "--grant-type",
            "client-credentials",
            "--client-id",
            "mockprock",
            "--client-secret",
            config["MOCKPROCK_LMS_CLIENT_SECRET"],
            "--update",
        ],
    ]
    for _ in range(2):  # every launch runs it again: the same calls, each create-or-update
        assert run_init_task(script, tmp_path) == (0, expected)
    # The server is given the same application.
    environment = server_service(plain)["environment"]
    assert environment["MOCKPROCK_LMS_CLIENT_ID"] == expected[2][7]
    assert environment["MOCKPROCK_LMS_CLIENT_SECRET"] == expected[2][9]


def test_launch_runs_the_script_tested_here(plain):
    """The init task the plugin registers, rendered as `tutor local do init` renders it,
    is the script the tests above run (in a process of its own: hooks are global)."""
    script = (
        "import sys\n"
        "from tutor import config, env, hooks\n"
        "import mockprock.tutor.plugin\n"
        "tasks = [t for t in hooks.Filters.CLI_DO_INIT_TASKS.iterate() if 'mockprock' in t[1]]\n"
        "[(service, task)] = tasks\n"
        "print(service)\n"
        "print(env.render_str(config.load(sys.argv[1]), task).strip())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(plain.root)],
        env=plain.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    service, rendered = done.stdout.split("\n", 1)
    assert service == "lms"
    assert rendered.strip() == plain.text("plugins/mockprock/tasks/lms/init.sh").strip()


def test_a_failed_step_stops_the_init_task(plain, tmp_path):
    script = plain.text("plugins/mockprock/tasks/lms/init.sh")
    status, calls = run_init_task(script, tmp_path, FAIL_ON="manage_user")
    assert status != 0
    assert [call[1] for call in calls] == ["manage_group", "manage_user"]
