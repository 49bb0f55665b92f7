"""The plugin as an LMS's test run meets it: loaded by pytest wherever mockprock is
installed, it imports nothing beyond the standard library and pytest, adds no fixture to a
test that does not ask for one, and without the testing extra a test fails only when it
uses a fixture, with the command that installs the extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mockprock.testing import INSTALL_HINT

pytest_plugins = ["pytester"]

# What the server and testing extras bring (setup.cfg); none of it may load with the plugin.
EXTRAS = ("flask", "werkzeug", "requests", "responses", "jwt", "click", "waitress")


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_plugin_imports_only_the_standard_library_and_pytest() -> None:
    result = run_python(
        """
        import json, sys
        import pytest
        before = set(sys.modules)
        import mockprock.testing
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "mockprock.testing" in loaded
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names
        and name not in ("mockprock", "mockprock.testing", "mockprock.testing.handle")
    ]
    assert foreign == []


def test_pytest_loads_the_plugin_by_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_the_plugin_is_loaded(request):
            assert "mockprock.testing" in [
                getattr(p, "__name__", "") for p in request.config.pluginmanager.get_plugins()
            ]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_test_gets_no_fixture_of_the_plugin_it_did_not_ask_for(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import json, pathlib

        def test_record(request):
            pathlib.Path("fixtures.json").write_text(json.dumps(sorted(request.fixturenames)))
        """
    )
    pytester.runpytest("-p", "no:mockprock").assert_outcomes(passed=1)
    without = json.loads(Path(pytester.path / "fixtures.json").read_text())
    pytester.runpytest().assert_outcomes(passed=1)
    with_plugin = json.loads(Path(pytester.path / "fixtures.json").read_text())
    assert with_plugin == without
    # ...though the plugin's fixtures are there for the asking.
    listed = pytester.runpytest("--fixtures").stdout.str()
    assert "mockprock_server -- " in listed and "mockprock_shared_server -- " in listed


# Run first in the interpreter (sitecustomize): the extras' packages cannot be imported,
# as in an LMS's environment that installed mockprock alone.
WITHOUT_EXTRAS = f"""
import importlib.abc, sys

class NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NoExtras())
"""


def test_without_the_extra_only_a_test_using_a_fixture_fails_and_says_how_to_install(
    tmp_path: Path,
) -> None:
    (tmp_path / "sitecustomize.py").write_text(WITHOUT_EXTRAS)
    (tmp_path / "test_lms.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_the_lms_own():
                assert 1 + 1 == 2

            def test_with_the_fixture(mockprock_server):
                pass

            def test_in_process():
                from mockprock.testing import mock_proctoring
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "mockprock.testing", "-q", "-rA", "test_lms.py"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        # Only this plugin: other installed ones (schemathesis) need requests themselves.
        env={
            "PYTHONPATH": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
    )
    out = result.stdout
    assert "1 passed" in out and "1 failed" in out and "1 error" in out, out
    assert "PASSED test_lms.py::test_the_lms_own" in out
    # The fixture's test errors in setup with the hint (no traceback into the plugin)...
    assert "ERROR test_lms.py::test_with_the_fixture - Failed: mockprock" in out
    assert "During handling" not in out
    assert out.count(INSTALL_HINT) == 2, out
    # ...and the import of the in-process mode says the same.
    assert "FAILED test_lms.py::test_in_process - mockprock.testing.handle.MissingExtra" in out
