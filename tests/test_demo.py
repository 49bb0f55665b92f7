"""`mockprock demo` runs the whole flow against a real server and the LMS stand-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import REPO

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
