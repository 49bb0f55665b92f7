"""The README's "Using mockprock in your tests" examples, run as they are written: each
``code-block`` is written under its caption's name and the Python ones run with pytest.

The in-process example is an LMS test: the LMS's test settings the README names (SITE_NAME,
PROCTORING_BACKENDS) and its ``reviewer``, ``learner`` and ``content_id`` fixtures are the
suite's Django LMS (``tests.lms_django``), given in a conftest here.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import REPO

pytest_plugins = ["pytester"]

SECTION = "Using mockprock in your tests"
BLOCK = re.compile(
    r"^\.\. code-block:: (?P<language>\w+)\n   :caption: (?P<name>\S+)\n\n"
    r"(?P<body>(?:(?:   .*)?\n)+)",
    re.MULTILINE,
)

LMS_CONFTEST = """
import pytest
from django.test.utils import override_settings

from mockprock.testing.handle import TEST_CLIENT
from tests.lms_django import load_backend
from tests.testing import edx_lms

@pytest.fixture(autouse=True)
def lms_test_settings():
    edx_lms.migrate()
    with override_settings(SITE_NAME="lms.test", HTTPS="off", ALLOWED_HOSTS=["testserver"]):
        client_id, client_secret = TEST_CLIENT
        load_backend(
            base_url="http://mockprock.test", client_id=client_id, client_secret=client_secret
        )
        yield
    load_backend()


@pytest.fixture
def reviewer():
    return edx_lms.user("reviewer", reviewer=True)


@pytest.fixture
def learner():
    return edx_lms.user("learner")


@pytest.fixture
def content_id():
    return f"block-v1:edX+Demo+2026+type@sequential+block@{edx_lms.unique('readme')}"
"""


def examples() -> dict[str, tuple[str, str]]:
    """The section's code blocks: name -> (language, text)."""
    readme = (REPO / "README.rst").read_text()
    start = readme.index(f"{SECTION}\n{'-' * len(SECTION)}\n")
    end = re.compile(r"^\S.*\n-{4,}\n", re.MULTILINE).search(readme, start + len(SECTION) * 2)
    section = readme[start : end.start() if end else len(readme)]
    return {
        m["name"]: (m["language"], re.sub(r"^   ", "", m["body"], flags=re.MULTILINE))
        for m in BLOCK.finditer(section)
    }


def test_the_section_has_an_example_of_each_kind() -> None:
    assert sorted(examples()) == [
        "scenario.json",
        "test_fixture.py",
        "test_in_process.py",
        "test_scenario.py",
        "test_snapshot.py",
    ]
    for name, (language, text) in examples().items():
        assert language == ("json" if name.endswith(".json") else "python")
        assert len(text.strip().splitlines()) <= 20, f"{name} is an example, not a suite"


def run_example(pytester: pytest.Pytester, name: str) -> pytest.RunResult:
    for file_name, (_, text) in examples().items():
        (pytester.path / file_name).write_text(text)
    return pytester.runpytest(name)


@pytest.mark.live
def test_the_fixture_example(pytester: pytest.Pytester) -> None:
    """Waits for the clock branch (``advance``)."""
    run_example(pytester, "test_fixture.py").assert_outcomes(passed=1)


def test_the_in_process_example(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(LMS_CONFTEST)
    run_example(pytester, "test_in_process.py").assert_outcomes(passed=1)


def test_the_scenario_example(pytester: pytest.Pytester) -> None:
    """Waits for the scenario and clock branches."""
    run_example(pytester, "test_scenario.py").assert_outcomes(passed=1)


@pytest.mark.live
def test_the_snapshot_example(pytester: pytest.Pytester) -> None:
    """Waits for the snapshot branch."""
    run_example(pytester, "test_snapshot.py").assert_outcomes(passed=1)
