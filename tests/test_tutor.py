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
from xml.etree import ElementTree

import pytest
import yaml

from mockprock import __version__
from mockprock.processes import ServerProcess
from mockprock.tutor import demo, npm
from mockprock.tutor.pip_spec import with_extra
from tests.helpers import REPO

# `make install-test` puts Tutor 21 in an environment of its own (.venv/tutor21), beside
# the test extra's Tutor 22: one Tutor per environment.
TUTOR_BINS = {
    "22": Path(sys.executable).parent,
    "21": Path(sys.executable).parent.parent / "tutor21" / "bin",
}
CADDY_HOST = "mockprock.example.com"
OPENEDX_IMAGE = f"openedx-mockprock:{{tutor}}-{__version__}"


class TutorRoot:
    """A TUTOR_ROOT of its own, and the ``tutor`` command line run in it."""

    def __init__(self, root: Path, bin_dir: Path = TUTOR_BINS["22"]) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.env = {
            **os.environ,
            "TUTOR_ROOT": str(root),
            "TUTOR_PLUGINS_ROOT": str(root / "plugins"),
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.bin_dir / "tutor"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
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
    assert settings["ENABLE_PROCTORED_EXAMS"] is True
    assert settings["FEATURES"]["ENABLE_PROCTORED_EXAMS"] is True
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
        "python -m mockprock.tutor.worker_check ../workers.json",
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


@pytest.mark.live
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


def run_task(script: str, workdir: Path, **env: str) -> tuple[subprocess.CompletedProcess, list]:
    """Run a task's script as Tutor does (sh -e -c SCRIPT, in edx-platform's folder) with
    a ``manage.py`` there that records its calls: the process, and the calls made."""
    calls = workdir / "calls.jsonl"
    calls.unlink(missing_ok=True)
    manage = workdir / "manage.py"
    manage.write_text(MANAGE_PY.format(python=sys.executable))
    manage.chmod(0o755)
    done = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=workdir,
        env={
            **os.environ,
            # `python` is the image's Python, where mockprock is installed.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "CALLS": str(calls),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done, [json.loads(line) for line in lines]


def run_init_task(script: str, workdir: Path, **env: str) -> tuple[int, list[list[str]]]:
    done, calls = run_task(script, workdir, **env)
    return done.returncode, calls


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


# -- the launch: what it builds, under which tag (Tutor 21 and 22) -------------------------

# What the plugin registers with Tutor, as Tutor itself loads it for a root: run with that
# Tutor's Python, in a process of its own (hooks are global).
HOOKS_REPORT = """
import json, sys
import tutor.commands.cli  # Tutor's own images and commands, as the `tutor` command has them
from tutor import __about__, config, env, hooks
from mockprock.tutor import plugin
root = sys.argv[1]
hooks.Actions.CORE_READY.do()
hooks.Actions.PROJECT_ROOT_READY.do(root)
conf = config.load(root)
commands = {command.name: command for command in hooks.Filters.CLI_DO_COMMANDS.iterate()}
render = lambda text: env.render_str(conf, text).strip()
print(json.dumps({
    "tutor": __about__.__version__,
    "required": {c: hooks.Filters.IMAGES_BUILD_REQUIRED.apply([], c) for c in ("local", "dev")},
    "build": {
        name: [env.render_str(conf, tag), list(args)]
        for name, _path, tag, args in hooks.Filters.IMAGES_BUILD.iterate(conf)
    },
    "pull": [list(item) for item in hooks.Filters.IMAGES_PULL.iterate(conf)],
    # Tutor wraps the command's callback to run what it yields; the plugin's function is it.
    "commands": sorted(commands),
    "demo": [[s, render(script)] for s, script in plugin.demo_tasks()],
    "init": [
        [s, render(t)] for s, t in hooks.Filters.CLI_DO_INIT_TASKS.iterate() if "mockprock" in t
    ],
}))
"""


@pytest.fixture(scope="module", params=sorted(TUTOR_BINS), ids=lambda v: f"tutor{v}")
def versioned(request, tmp_path_factory) -> TutorRoot:
    bin_dir = TUTOR_BINS[request.param]
    if not (bin_dir / "tutor").exists():
        why = f"Tutor {request.param} is not installed: run `make install-test`"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs it: missing there is a broken install
        pytest.skip(why)  # `pytest` alone, before `make install-test` made it
    root = TutorRoot(tmp_path_factory.mktemp(f"tutor{request.param}"), bin_dir)
    root.run("plugins", "enable", "mockprock")
    root.run("config", "save")
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", HOOKS_REPORT, str(root.root)],
        env=root.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    root.hooks = json.loads(done.stdout)
    assert root.hooks["tutor"].startswith(f"{request.param}.")
    return root


def test_launch_builds_the_openedx_image_and_the_server(versioned):
    required = versioned.hooks["required"]
    assert {"openedx", "mockprock"} <= set(required["local"])
    # In dev every openedx service runs openedx-dev, which Tutor builds from the same
    # Dockerfile (its development stage starts from production, mockprock's steps in).
    assert {"openedx-dev", "mockprock"} <= set(required["dev"])
    for context, names in required.items():
        assert len(names) == len(set(names)), context
    dev = {
        **versioned.yaml("local/docker-compose.yml")["services"],
        **versioned.yaml("dev/docker-compose.yml")["services"],
    }
    dev_jobs = versioned.yaml("dev/docker-compose.jobs.yml")["services"]
    openedx_dev = f"openedx-dev:{versioned.hooks['tutor']}"
    for service in ("lms", "cms"):
        assert dev[service]["image"] == dev_jobs[f"{service}-job"]["image"] == openedx_dev
    assert not {"lms-worker", "cms-worker"} & set(dev)  # no worker services in dev


def test_the_openedx_image_has_a_tag_of_its_own_that_no_pull_replaces(versioned):
    tag = OPENEDX_IMAGE.format(tutor=versioned.hooks["tutor"])
    built_tag, args = versioned.hooks["build"]["openedx"]
    assert built_tag == tag
    # Built from Tutor's own registry cache, which its tag does not have.
    stock = f"docker.io/overhangio/openedx:{versioned.hooks['tutor']}"
    assert f"--cache-from=type=registry,ref={stock}-cache" in args
    local = {
        **versioned.yaml("local/docker-compose.yml")["services"],
        **versioned.yaml("local/docker-compose.prod.yml")["services"],
        **versioned.yaml("local/docker-compose.jobs.yml")["services"],
    }
    for service in ("lms", "cms", "lms-worker", "cms-worker", "lms-job", "cms-job"):
        assert local[service]["image"] == tag, service
    # `tutor images pull all` leaves it alone (it pulls the others).
    pulled = dict(versioned.hooks["pull"])
    assert "openedx" not in pulled and tag not in pulled.values()
    assert "permissions" in pulled


def test_the_assets_build_defines_the_variable_and_checks_the_worker(versioned):
    dockerfile = versioned.text("build/openedx/Dockerfile")
    webpack = dockerfile.index("\nRUN npm run webpack")
    development = dockerfile.index("\nFROM production AS development")
    build_dev = dockerfile.index("npm run build-dev")
    stage = dockerfile.rindex("\nFROM ", 0, webpack)
    # Declared in the production stage before webpack runs: a value set earlier (an ENV
    # or --build-arg) is kept, else JSON that webpack.common.config.js parses.
    arg = dockerfile.index("\nARG JS_ENV_EXTRA_CONFIG={}\n", stage)
    env = dockerfile.index('\nENV JS_ENV_EXTRA_CONFIG="${JS_ENV_EXTRA_CONFIG}"\n', stage)
    assert stage < arg < env < webpack
    assert json.loads("{}") == {}
    check = (
        "RUN python -m mockprock.tutor.worker_check ../workers.json"
        ' "$STATIC_ROOT_LMS/webpack-worker-stats.json"'
    )
    production_check = dockerfile.index(check, webpack)
    assert production_check < development
    assert dockerfile.index(check, build_dev) > build_dev
    # ...and workers.json is checked before the long webpack run.
    assert dockerfile.index("python -m mockprock.tutor.worker_check ../workers.json\n") < arg


def test_the_registered_commands_run_the_scripts_tested_here(versioned):
    assert "mockprock-demo" in versioned.hooks["commands"]
    tasks = "plugins/mockprock/tasks"
    assert versioned.hooks["demo"] == [
        ["cms", versioned.text(f"{tasks}/cms/demo.sh").strip()],
        ["lms", versioned.text(f"{tasks}/lms/demo.sh").strip()],
    ]
    assert versioned.hooks["init"] == [["lms", versioned.text(f"{tasks}/lms/init.sh").strip()]]


# -- what pip installs in the images --------------------------------------------------------

GIT_SPEC = "mockprock @ git+https://github.com/example/mockprock@v2.0.0"


@pytest.fixture(scope="module")
def pinned(tmp_path_factory) -> TutorRoot:
    root = TutorRoot(tmp_path_factory.mktemp("tutor-pinned"))
    root.run("plugins", "enable", "mockprock")
    image = "registry.example.com/openedx-mockprock:mine"
    root.run(
        "config",
        "save",
        "--set",
        f"MOCKPROCK_PIP_SPEC={GIT_SPEC}",
        "--set",
        f"MOCKPROCK_DOCKER_IMAGE_OPENEDX={image}",
    )
    root.image = image
    return root


def test_both_images_install_what_the_pip_spec_names(plain, pinned):
    released = plain.text("build/openedx/Dockerfile")
    assert f'install "mockprock=={__version__}"' in released
    assert f'install "{GIT_SPEC}"' in pinned.text("build/openedx/Dockerfile")
    server = pinned.text("plugins/mockprock/build/mockprock/Dockerfile")
    assert (
        'pip install "mockprock[server] @ git+https://github.com/example/mockprock@v2.0.0"'
        in server
    )
    assert "mockprock==" not in server
    services = pinned.yaml("local/docker-compose.yml")["services"]
    assert services["lms"]["image"] == services["cms"]["image"] == pinned.image


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("mockprock==2.0.0", "mockprock[server]==2.0.0"),
        ("mockprock", "mockprock[server]"),
        ("mockprock[tutor]>=2", "mockprock[tutor,server]>=2"),
        ("mockprock[server]==2", "mockprock[server]==2"),
        (
            "mockprock @ https://h/mockprock-2.0.0-py3-none-any.whl",
            "mockprock[server] @ https://h/mockprock-2.0.0-py3-none-any.whl",
        ),
        ("git+https://h/mockprock@v2", "mockprock[server] @ git+https://h/mockprock@v2"),
        (
            "https://h/mockprock-2.0.0.tar.gz",
            "mockprock[server] @ https://h/mockprock-2.0.0.tar.gz",
        ),
    ],
)
def test_the_server_image_adds_its_extra_to_any_spec(spec, expected):
    assert with_extra(spec, "server") == expected


# -- the check the image build runs -----------------------------------------------------------


def check_worker(*paths: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "JS_ENV_EXTRA_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "mockprock.tutor.worker_check", *map(str, paths)],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_check_names_a_missing_or_foreign_workers_json(tmp_path):
    workers = tmp_path / "workers.json"
    missing = check_worker(workers)
    assert missing.returncode == 1
    assert "workers.json is missing" in missing.stderr and "PROCTORING_BACKENDS" in missing.stderr
    workers.write_text(json.dumps({"edx-proctoring-proctortrack": ["babel-polyfill", "x.js"]}))
    foreign = check_worker(workers)
    assert foreign.returncode == 1
    assert "names no @edx/mockprock worker" in foreign.stderr
    assert "edx-proctoring-proctortrack" in foreign.stderr
    workers.write_text(json.dumps({"@edx/mockprock": ["babel-polyfill", "index.js"]}))
    named = check_worker(workers)
    assert named.returncode == 0, named.stderr
    assert check_worker().returncode == 2


def test_the_check_says_why_webpack_skipped_the_worker(tmp_path):
    workers = tmp_path / "workers.json"
    workers.write_text(json.dumps({"@edx/mockprock": ["babel-polyfill", "index.js"]}))
    stats = tmp_path / "webpack-worker-stats.json"
    unset = check_worker(workers, stats)
    assert unset.returncode == 1
    assert "JS_ENV_EXTRA_CONFIG is unset here" in unset.stderr
    not_json = check_worker(workers, stats, JS_ENV_EXTRA_CONFIG="{oops")
    assert "JS_ENV_EXTRA_CONFIG is not JSON here: '{oops'" in not_json.stderr
    stats.write_text(json.dumps({"status": "error", "error": "ModuleNotFoundError"}))
    failed = check_worker(workers, stats, JS_ENV_EXTRA_CONFIG="{}")
    assert failed.returncode == 1 and "status 'error'" in failed.stderr
    bundle = tmp_path / "bundle.js"
    chunk = {"@edx/mockprock": [{"name": "@edx/mockprock.js", "path": str(bundle)}]}
    stats.write_text(json.dumps({"status": "done", "chunks": chunk}))
    gone = check_worker(workers, stats, JS_ENV_EXTRA_CONFIG="{}")
    assert gone.returncode == 1 and "do not exist" in gone.stderr
    bundle.write_text("// the worker")
    served = check_worker(workers, stats, JS_ENV_EXTRA_CONFIG="{}")
    assert served.returncode == 0, served.stderr
    assert "@edx/mockprock.js" in served.stdout


# -- the demo command ---------------------------------------------------------------------------


def test_the_demo_imports_its_course_with_studios_command(plain, tmp_path):
    script = plain.text("plugins/mockprock/tasks/cms/demo.sh")
    for _ in range(2):  # importing again replaces the course
        done, calls = run_task(script, tmp_path)
        assert done.returncode == 0, done.stderr
        assert calls == [["cms", "import", "../data", str(demo.COURSE_DIR)]]


def demo_shell_code(call: list[str]) -> str:
    assert call[:3] == ["lms", "shell", "-c"]
    return call[3]


def test_the_demo_sets_up_a_verified_learner_and_a_reviewer_again_and_again(plain, tmp_path):
    config = plain.config()
    password = config["MOCKPROCK_DEMO_PASSWORD"]
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password)
    script = plain.text("plugins/mockprock/tasks/lms/demo.sh")
    runs = [run_task(script, tmp_path) for _ in range(2)]
    for done, _calls in runs:
        assert done.returncode == 0, done.stderr
    assert runs[0][1] == runs[1][1]  # the same create-or-update calls each time
    calls = runs[0][1]
    assert calls[:3] == [
        ["lms", "manage_group", "mockprock_review"],
        ["lms", "manage_user", "mockprock_learner", "mockprock_learner@example.com"],
        [
            "lms",
            "manage_user",
            "mockprock_reviewer",
            "mockprock_reviewer@example.com",
            "--groups",
            "mockprock_review",
        ],
    ]
    assert len(calls) == 4
    code = demo_shell_code(calls[3])
    compile(code, "demo-shell", "exec")  # what the LMS's shell runs is Python
    assert f"CourseKey.from_string('{demo.COURSE_ID}')" in code
    assert "CourseEnrollment.enroll(learner, course, mode='verified')" in code
    assert "('verified', 'Verified'" in code
    assert "CourseStaffRole(course).add_users(reviewer)" in code
    assert code.count(f"set_password('{password}')") == 1
    # What the command prints: where to go and who to be.
    printed = runs[1][0].stdout
    course_url = f"http://local.openedx.io/courses/{demo.COURSE_ID}"
    assert f"{course_url}/about" in printed
    assert f"{course_url}/instructor#view-special_exams" in printed
    assert f"http://studio.local.openedx.io/course/{demo.COURSE_ID}" in printed
    assert "http://localhost:11136/mockprock/" in printed
    assert f"mockprock_learner@example.com / {password}" in printed
    assert f"mockprock_reviewer@example.com / {password}" in printed
    assert config["MOCKPROCK_LMS_CLIENT_SECRET"] not in printed


def test_a_failed_step_stops_the_demo(plain, tmp_path):
    script = plain.text("plugins/mockprock/tasks/lms/demo.sh")
    done, calls = run_task(script, tmp_path, FAIL_ON="manage_user")
    assert done.returncode != 0
    assert [call[1] for call in calls] == ["manage_group", "manage_user"]
    assert "mockprock demo course" not in done.stdout


def test_the_demo_course_is_clean_olx_with_the_exams_it_promises():
    from olxcleaner import validate

    course, errors, _url_names = validate(str(demo.COURSE_DIR), steps=8)
    assert course is not None
    assert [(e.level, e.name) for e in errors.errors] == []
    pointer = ElementTree.parse(demo.COURSE_DIR / "course.xml").getroot()
    run = pointer.get("url_name")
    key = f"course-v1:{pointer.get('org')}+{pointer.get('course')}+{run}"
    assert key == demo.COURSE_ID
    policy = json.loads((demo.COURSE_DIR / "policies" / run / "policy.json").read_text())
    settings = policy[f"course/{run}"]
    assert settings["enable_proctored_exams"] is True
    assert settings["proctoring_provider"] == "mockprock"
    exams = {
        path.stem: ElementTree.parse(path).getroot().attrib
        for path in (demo.COURSE_DIR / "sequential").glob("*.xml")
    }
    proctored = {name for name, a in exams.items() if a.get("is_proctored_enabled") == "true"}
    assert proctored == set(exams) == {"onboarding", "final"}
    for attributes in exams.values():
        assert attributes["is_time_limited"] == "true"
        assert int(attributes["default_time_limit_minutes"]) > 0
    assert exams["onboarding"]["is_onboarding_exam"] == "true"
    assert exams["final"].get("is_onboarding_exam", "false") == "false"
    assert exams["final"]["is_practice_exam"] == "false"
    # The LMS script enrolls into this course.
    assert (
        demo.COURSE_ID
        in (REPO / "mockprock/tutor/templates/mockprock/tasks/lms/demo.sh").read_text()
    )


def test_the_demo_course_folder_is_printed_for_the_import():
    done = subprocess.run(
        [sys.executable, "-m", "mockprock.tutor.demo"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and Path(done.stdout.strip()) == demo.COURSE_DIR
    assert (demo.COURSE_DIR / "course.xml").is_file()
