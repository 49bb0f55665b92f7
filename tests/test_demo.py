"""`mockprock demo` runs the whole flow against a real server and the LMS stand-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from mockprock.client import ControlClient
from tests.helpers import REPO, ServerProcess

pytestmark = pytest.mark.live

STEPS = (
    "config",
    "exam",
    "onboarding exam",
    "onboarding review",
    "proctored attempt",
    "download page",
    "ready",
    "start",
    "submit",
    "review",
    "forced violation",
    "onboarding gate",
)


def run_demo(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mockprock.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **env},
    )


def test_the_demo_walks_the_whole_flow_and_exits_zero() -> None:
    result = run_demo()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    passed = [re.match(r"\s*(\d+\.\d+)s  ok   (.+?)\s{2,}", line) for line in lines]
    steps = [m.group(2).strip() for m in passed if m]
    assert tuple(steps) == STEPS
    times = [float(m.group(1)) for m in passed if m]
    assert times == sorted(times)
    assert "verdict queued: violation -> LMS 'second_review_required'" in result.stdout
    assert "Carol onboarding_missing" in result.stdout
    assert lines[-1].startswith(f"demo passed: {len(STEPS)} steps")


def test_the_demo_exits_non_zero_when_a_step_fails() -> None:
    # Links handed to the learner point nowhere: the download page step cannot work.
    result = run_demo(MOCKPROCK_PUBLIC_URL="http://127.0.0.1:9")
    assert result.returncode == 1
    assert "FAIL download page" in result.stdout
    assert "demo failed" in result.stdout
    assert "demo passed" not in result.stdout
    assert "ok   ready" not in result.stdout  # it stops at the first failure


def test_keep_leaves_a_server_with_sample_data_until_stopped() -> None:
    """`make try`: the demo's server stays up with attempts in several states."""
    demo = ServerProcess([sys.executable, "-m", "mockprock.cli", "demo", "--keep"], cwd=REPO)
    demo.start(timeout=120)
    try:
        control = ControlClient(demo.url, "abcd", "abcdsecret")
        statuses = [attempt["status"] for attempt in control.attempts()]
        assert {"created", "started", "submitted"} <= set(statuses), statuses
        assert len(control.callbacks(kind="reviewed", state="delivered")) >= 2
        link = re.search(r"dashboard:\s+(\S+)", demo.output()).group(1)
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "Final Exam" in page.text
        assert f"mockprock status --url {demo.url}" in demo.output()
    finally:
        assert demo.stop() == 0
    with pytest.raises(requests.ConnectionError):  # it stopped its servers
        requests.get(demo.url, timeout=5)
