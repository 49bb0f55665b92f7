"""The worker build of the Tutor image, reproduced without Docker, then run in Chromium.

As the openedx image builds it: the worker's npm package installed in ``node_modules``
with the desktop address baked in (``worker/configure.js``); edx-proctoring's own app
start (``ready()`` → ``make_worker_config``) writing ``workers.json`` from the asset
build's settings that the plugin renders; webpack (from npm) bundling it as a web worker
with a config that mirrors edx-platform's worker logic, with ``JS_ENV_EXTRA_CONFIG`` as
the plugin's Dockerfile sets it. The bundle then answers the learning MFE's messages in
Chromium. The same build without the variable shows the silent skip, which the image's
check (``mockprock.tutor.worker_check``) turns into a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockprock.processes import ServerProcess
from mockprock.tutor import npm
from tests.browser.conftest import Lms
from tests.helpers import REPO, wait_for

WEBPACK = REPO / "node_modules" / ".bin" / "webpack"
WEBPACK_CONFIG = REPO / "tests" / "browser" / "webpack.worker.config.cjs"
PATCHES = REPO / "mockprock" / "tutor" / "patches"

# The LMS's app start in the asset build (`./manage.py lms --settings=tutor.assets shell`):
# the test LMS's settings with the plugin's asset settings, node_modules and ENV_ROOT.
READY = """
import json, sys
sys.path.insert(0, sys.argv[1])
import django
from django.conf import settings
from tests.lms_django import lms_settings
conf = lms_settings(sys.argv[2])
conf.update(json.loads(sys.argv[3]))
settings.configure(**conf)
django.setup()
"""

# The learning MFE: a Blob worker importing the bundle, no `config` message, each message
# naming the attempt.
DRIVE = """
async ({bundleUrl, attempt, messages}) => {
  const blob = new Blob([`importScripts('${bundleUrl}');`], {type: 'application/javascript'});
  const worker = new Worker(URL.createObjectURL(blob));
  const replies = [];
  for (const type of messages) {
    replies.push(await new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage({type, timeout: 10000, attemptExternalId: attempt});
    }));
  }
  worker.terminate();
  return replies;
}
"""


def plugin_asset_settings() -> dict[str, Any]:
    """The PROCTORING_BACKENDS the plugin puts in Tutor's asset-build settings."""
    scope: dict[str, Any] = {}
    exec((PATCHES / "openedx-common-assets-settings").read_text(), scope)
    return {"PROCTORING_BACKENDS": scope["PROCTORING_BACKENDS"]}


def plugin_js_env_extra_config() -> str:
    """The value the plugin's Dockerfile gives JS_ENV_EXTRA_CONFIG when none is set."""
    dockerfile = (PATCHES / "openedx-dockerfile-pre-assets").read_text()
    return re.search(r"^ARG JS_ENV_EXTRA_CONFIG=(.*)$", dockerfile, re.M).group(1)


def build(platform: Path, out: Path, **env: str) -> subprocess.CompletedProcess:
    """`npm run webpack` of the platform, with the worker part of its config."""
    environ = {k: v for k, v in os.environ.items() if k != "JS_ENV_EXTRA_CONFIG"}
    done = subprocess.run(
        [str(WEBPACK), "--config", str(WEBPACK_CONFIG)],
        cwd=REPO,
        env={
            **environ,
            "WORKERS_JSON": str(platform.parent / "workers.json"),
            "STATIC_ROOT_LMS": str(out / "staticfiles"),
            "BUNDLES_DIR": str(out / "bundles"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def check(out: Path, platform: Path, **env: str) -> subprocess.CompletedProcess:
    """The image's check, as its Dockerfile runs it after the assets build."""
    environ = {k: v for k, v in os.environ.items() if k != "JS_ENV_EXTRA_CONFIG"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mockprock.tutor.worker_check",
            str(platform.parent / "workers.json"),
            str(out / "staticfiles" / "webpack-worker-stats.json"),
        ],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory, server: ServerProcess) -> Path:
    """edx-platform's folder as the image has it before `npm run webpack`."""
    if not WEBPACK.exists():
        why = "webpack is not installed: run `make install-node` (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs it: missing there is a broken install
        pytest.skip(why)  # `make pytest` runs without npm
    env_root = tmp_path_factory.mktemp("openedx")
    platform = env_root / "edx-platform"
    package = platform / "node_modules" / "@edx" / "mockprock"
    for name in npm.FILES:  # what `npm install --install-links` copies
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(npm.package_dir() / name, package / name)
    # ...with its dependency, as npm puts it beside.
    (platform / "node_modules" / "@edx" / "edx-proctoring").symlink_to(
        REPO / "node_modules" / "@edx" / "edx-proctoring", target_is_directory=True
    )
    configured = subprocess.run(
        ["node", str(package / "worker" / "configure.js")],
        env={**os.environ, "MOCKPROCK_DESKTOP_URL": server.url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert configured.returncode == 0, configured.stderr
    overrides = {
        **plugin_asset_settings(),
        "NODE_MODULES_ROOT": str(platform / "node_modules"),
        "ENV_ROOT": str(env_root),
    }
    ready = subprocess.run(
        [sys.executable, "-c", READY, str(REPO), str(env_root), json.dumps(overrides)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ready.returncode == 0, ready.stderr
    return platform


def test_edx_proctoring_names_the_worker_for_webpack(platform: Path) -> None:
    workers = json.loads((platform.parent / "workers.json").read_text())
    main = platform / "node_modules" / "@edx" / "mockprock" / "worker" / "index.js"
    assert workers == {"@edx/mockprock": ["babel-polyfill", str(main)]}


def test_without_the_variable_webpack_skips_the_worker_and_the_check_says_why(
    platform: Path, tmp_path: Path
) -> None:
    for env in ({}, {"JS_ENV_EXTRA_CONFIG": "not json"}):
        out = tmp_path / str(len(env))
        build(platform, out, **env)  # succeeds: the silent skip
        assert (out / "bundles" / "page.js").is_file()
        assert (out / "staticfiles" / "webpack-stats.json").is_file()
        assert not (out / "staticfiles" / "webpack-worker-stats.json").exists()
        assert not (out / "bundles" / "@edx").exists()
        refused = check(out, platform, **env)
        assert refused.returncode == 1
        assert "webpack-worker-stats.json is missing" in refused.stderr
        state = "is not JSON here: 'not json'" if env else "is unset here"
        assert f"JS_ENV_EXTRA_CONFIG {state}" in refused.stderr


@pytest.fixture(scope="module")
def bundle(platform: Path, tmp_path_factory, lms_pages: Path) -> Path:
    """The worker bundle built with the variable as the plugin sets it, put where the
    LMS's origin serves it."""
    out = tmp_path_factory.mktemp("webpack")
    build(platform, out, JS_ENV_EXTRA_CONFIG=plugin_js_env_extra_config())
    stats = json.loads((out / "staticfiles" / "webpack-worker-stats.json").read_text())
    assert stats["status"] == "done"
    (chunk,) = stats["chunks"]["@edx/mockprock"]
    built = Path(chunk["path"])
    assert built == out / "bundles" / "@edx" / "mockprock.js" and built.is_file()
    checked = check(out, platform, JS_ENV_EXTRA_CONFIG=plugin_js_env_extra_config())
    assert checked.returncode == 0, checked.stderr
    assert "the LMS serves the @edx/mockprock worker" in checked.stdout
    served = lms_pages / "tutor-bundles" / "mockprock.js"
    served.parent.mkdir(exist_ok=True)
    shutil.copy(built, served)
    (lms_pages / "tutor-exam.html").write_text("<!doctype html><title>exam</title><p>exam</p>")
    return served


def test_the_bundle_starts_the_exam_in_chromium(
    page, lms_side: Lms, lms_page_origin: str, bundle: Path
) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    page.goto(f"{lms_page_origin}/tutor-exam.html")
    replies = page.evaluate(
        DRIVE,
        {
            "bundleUrl": f"{lms_page_origin}/tutor-bundles/mockprock.js",
            "attempt": attempt_id,
            "messages": ["startExamAttempt", "ping", "endExamAttempt"],
        },
    )
    assert [r["type"] for r in replies] == ["examAttemptStarted", "echo", "examAttemptEnded"]
    # The baked-in desktop address reached this server: it recorded the application.
    desktop = lms_side.control.call("GET", f"/attempts/{attempt_id}/desktop")
    assert len(desktop["heartbeats"]) == 1
    wait_for(
        lambda: [
            c for c in lms_side.stub.callbacks("ready", attempt_id) if c["answer_status"] == 200
        ],
        what="the ready callback",
    )
