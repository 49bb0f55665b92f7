"""The sdist and the wheel carry the templates and static files, and the wheel works alone."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE_DATA = sorted(
    str(path.relative_to(REPO))
    for folder in ("templates", "static")
    for path in (REPO / "mockprock" / folder).rglob("*")
    if path.is_file()
)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {"sdist": next(out.glob("*.tar.gz")), "wheel": next(out.glob("*.whl"))}


def test_package_data_exists():
    assert any(p.endswith(".html") for p in PACKAGE_DATA)
    assert any(p.endswith(".css") for p in PACKAGE_DATA)


def test_sdist_has_templates_and_static(artefacts):
    with tarfile.open(artefacts["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert set(PACKAGE_DATA) <= names


def test_wheel_has_templates_static_and_entry_points(artefacts):
    wheel = zipfile.ZipFile(artefacts["wheel"])
    assert set(PACKAGE_DATA) <= set(wheel.namelist())
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "mockprock = mockprock.cli:main" in wheel.read(entry_points).decode()


def test_unpacked_wheel_serves_its_pages(artefacts, tmp_path):
    """Imported from the unpacked wheel (not this checkout), the app renders its templates."""
    site = tmp_path / "site"
    db = str(tmp_path / "db.sqlite")
    zipfile.ZipFile(artefacts["wheel"]).extractall(site)
    script = (
        "import mockprock, sys\n"
        f"assert mockprock.__file__.startswith({str(site)!r}), mockprock.__file__\n"
        "from mockprock.app import create_app\n"
        "from mockprock.config import Settings\n"
        f"app = create_app(Settings.load({{'db': {db!r}}}, environ={{}}))\n"
        "client = app.test_client()\n"
        "page = client.get('/api/v1/instructor/abcd/')\n"
        "assert page.status_code == 403 and b'<html' in page.data, page.data\n"
        "assert client.get('/static/mockprock.css').status_code == 200\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_wheel_has_the_tutor_plugin_and_the_worker_package(artefacts):
    """A released install has what the Tutor plugin renders and the image build installs."""
    wheel = zipfile.ZipFile(artefacts["wheel"])
    names = set(wheel.namelist())
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mockprock = mockprock.tutor.plugin" in wheel.read(entry_points).decode()
    plugin_files = {
        str(path.relative_to(REPO))
        for folder in ("patches", "templates")
        for path in (REPO / "mockprock" / "tutor" / folder).rglob("*")
        if path.is_file()
    }
    assert plugin_files and plugin_files <= names
    for name in ("package.json", "worker/index.js", "worker/desktop-url.js", "worker/configure.js"):
        assert wheel.read(f"mockprock/tutor/npm/{name}") == (REPO / name).read_bytes()
