"""The LMS bundles the browser worker the backend names (``npm_module``)."""

from __future__ import annotations

import json
from pathlib import Path

from django.test.utils import override_settings

from mockprock.backend import MockProckBackend
from tests.helpers import REPO
from tests.lms_django import load_backend


def test_the_lms_bundles_the_worker_the_backend_names(tmp_path: Path) -> None:
    """edx_proctoring's ready() writes workers.json for the LMS's webpack from npm_module."""
    package = json.loads((REPO / "package.json").read_text())
    assert package["name"] == MockProckBackend.npm_module
    node_modules = tmp_path / "node_modules"
    (node_modules / "@edx").mkdir(parents=True)
    (node_modules / "@edx" / "mockprock").symlink_to(REPO, target_is_directory=True)
    with override_settings(NODE_MODULES_ROOT=str(node_modules), ENV_ROOT=str(tmp_path)):
        load_backend(client_id="abcd", client_secret="abcdsecret")
    workers = json.loads((tmp_path / "workers.json").read_text())
    entry = Path(workers["@edx/mockprock"][-1])
    assert entry.is_file(), f"the worker's main file {entry} does not exist"
