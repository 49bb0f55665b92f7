"""The sdist and the wheel carry the templates, static files and the store's SQL, and the
wheel works alone; the build prints no warnings; the sdist's tests run from the unpacked
archive."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE_DATA = sorted(
    str(path.relative_to(REPO))
    for folder, pattern in (("web/templates", "*"), ("web/static", "*"), ("store", "*.sql"))
    for path in (REPO / "mockprock" / folder).rglob(pattern)
    if path.is_file()
)
PACKAGE_DATA.append("mockprock/openapi.json")  # the OpenAPI description, served as is
PACKAGE_DATA.append("mockprock/scenario.schema.json")  # the scenario files' schema, too


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # As `make dist` runs it; without PYTHONDONTWRITEBYTECODE, which makes setuptools
    # warn that it does not byte-compile.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (out / "build.log").write_text(build.stdout + build.stderr)
    return {
        "sdist": next(out.glob("*.tar.gz")),
        "wheel": next(out.glob("*.whl")),
        "log": out / "build.log",
    }


def test_the_build_prints_no_warnings(artefacts):
    log = artefacts["log"].read_text()
    assert "Successfully built" in log
    warnings = [line for line in log.splitlines() if "warn" in line.lower()]
    assert warnings == []  # BuildBackendWarning about package data, "no files found", ...


def sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_the_sdist_ships_the_test_suite_license_and_changelog(artefacts):
    names = sdist_names(artefacts["sdist"])
    tests = {
        str(path.relative_to(REPO))
        for path in (REPO / "tests").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"tests/conftest.py", "tests/helpers.py", "tests/contract/conftest.py"} <= tests
    assert any(name.startswith("tests/real_lms/") for name in tests)
    assert any(name.startswith("tests/fixtures/") for name in tests)
    assert tests <= names
    assert {"LICENSE", "CHANGELOG.rst", "pytest.ini", "package.json", "worker/index.js"} <= names
    assert not any("__pycache__" in name or name.endswith(".sqlite") for name in names)


def test_the_sdist_tests_run_from_the_unpacked_archive(artefacts, tmp_path):
    with tarfile.open(artefacts["sdist"]) as archive:
        archive.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    imported = subprocess.run(
        [sys.executable, "-c", "import mockprock; print(mockprock.__file__)"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
    )
    assert imported.stdout.strip() == str(root / "mockprock" / "__init__.py")
    some = [
        "tests/test_config.py",
        "tests/test_journal.py",
        "tests/contract/test_backend_loading.py",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *some],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "error" not in result.stdout.lower()


def test_the_license_is_shipped_and_declared(artefacts):
    assert (REPO / "LICENSE").read_text().lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
    wheel = zipfile.ZipFile(artefacts["wheel"])
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    assert "License: AGPL-3.0-only" in metadata
    assert "License-File: LICENSE" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in wheel.namelist())


def test_the_changelog_says_what_2_0_changed():
    changelog = (REPO / "CHANGELOG.rst").read_text()
    assert "2.0.0" in changelog and "original mockprock" in changelog


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("mockprock", ["-c", "from mockprock.cli import main; main()", "status"]),
        ("get-dashboard", ["-c", "from mockprock.cli import get_dashboard; get_dashboard()"]),
        ("python -m mockprock.server", ["-m", "mockprock.server"]),
    ],
)
def test_the_wheel_alone_says_to_install_the_server_extra(artefacts, tmp_path, command, argv):
    """Installed without `[server]`, the commands name the fix instead of a traceback."""
    site = tmp_path / "site"
    zipfile.ZipFile(artefacts["wheel"]).extractall(site)
    # -S: no site-packages, so that only the standard library and the wheel are there.
    result = subprocess.run(
        [sys.executable, "-S", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "pip install 'mockprock[server]'" in result.stderr
    assert "is missing" in result.stderr


def test_package_data_exists():
    assert any(p.endswith(".html") for p in PACKAGE_DATA)
    assert any(p.endswith(".css") for p in PACKAGE_DATA)
    assert "mockprock/store/schema.sql" in PACKAGE_DATA


def test_sdist_has_templates_static_and_the_schema(artefacts):
    with tarfile.open(artefacts["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert set(PACKAGE_DATA) <= names


def test_wheel_has_templates_static_the_schema_and_entry_points(artefacts):
    wheel = zipfile.ZipFile(artefacts["wheel"])
    assert set(PACKAGE_DATA) <= set(wheel.namelist())
    assert "mockprock/store/schema.sql" in wheel.namelist()
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "mockprock = mockprock.cli:main" in wheel.read(entry_points).decode()


def test_unpacked_wheel_serves_its_pages(artefacts, tmp_path):
    """Imported from the unpacked wheel (not this checkout), the app renders its templates
    and builds its store from the wheel's schema.sql."""
    site = tmp_path / "site"
    db = str(tmp_path / "db.sqlite")
    zipfile.ZipFile(artefacts["wheel"]).extractall(site)
    script = (
        "import mockprock, sys\n"
        f"assert mockprock.__file__.startswith({str(site)!r}), mockprock.__file__\n"
        "from mockprock.web.app import create_app\n"
        "from mockprock.config import Settings\n"
        f"app = create_app(Settings.load({{'db': {db!r}}}, environ={{}}))\n"
        "client = app.test_client()\n"
        "page = client.get('/api/v1/instructor/abcd/')\n"
        "assert page.status_code == 403 and b'<html' in page.data, page.data\n"
        "assert client.get('/static/mockprock.css').status_code == 200\n"
        "from mockprock.store import Store\n"
        f"assert Store({db!r}).exams.list_exams() == []\n"
        "assert client.get('/openapi.json').get_json()['openapi'].startswith('3.1')\n"
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
        for folder in ("patches", "templates", "demo_course")
        for path in (REPO / "mockprock" / "tutor" / folder).rglob("*")
        if path.is_file()
    }
    assert plugin_files and plugin_files <= names
    for name in ("package.json", "worker/index.js", "worker/desktop-url.js", "worker/configure.js"):
        assert wheel.read(f"mockprock/tutor/npm/{name}") == (REPO / name).read_bytes()
