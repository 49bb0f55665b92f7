"""The browser worker in a real browser: ``worker/index.js`` bundled with its real
``@edx/edx-proctoring`` (esbuild, into a temporary directory), served from a page on an
origin the server allows, run in a Web Worker made from a Blob with ``importScripts`` as
the LMS's ``exam_action_handler.js`` does, talking to a live server across origins (so
Chromium enforces CORS). The same page on a foreign origin may drive only an attempt it
names, as the learning MFE does."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Lms, static_site
from tests.helpers import REPO, wait_for

ESBUILD = REPO / "node_modules" / ".bin" / "esbuild"

# What the LMS page does: a Blob worker importing the bundle, then one message at a time.
DRIVE_WORKER = """
async ({bundleUrl, baseUrl, attempt, messages}) => {
  const blob = new Blob([`importScripts('${bundleUrl}');`], {type: 'application/javascript'});
  const worker = new Worker(URL.createObjectURL(blob));
  const send = (message) => new Promise((resolve) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.postMessage(message);
  });
  worker.postMessage({type: 'config', options: {baseUrl}});
  const replies = [];
  for (const type of messages) {
    const message = {type, timeout: 10000};
    if (attempt) message.attemptExternalId = attempt;
    replies.push(await send(message));
  }
  worker.terminate();
  return replies;
}
"""
LIFE = ("startExamAttempt", "ping", "ping", "endExamAttempt")
LIFE_REPLIES = ["examAttemptStarted", "echo", "echo", "examAttemptEnded"]


@pytest.fixture(scope="module")
def bundle(lms_pages: Path) -> Path:
    """The worker bundled as the LMS's webpack would, in the LMS origin's folder."""
    if not ESBUILD.exists():
        why = "esbuild is not installed: run `make install-node` (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs it: missing there is a broken install, not a skip
        pytest.skip(why)  # `make pytest` runs without npm
    out = lms_pages / "worker.js"
    command = [str(ESBUILD), "worker/index.js", "--bundle", "--format=iife", f"--outfile={out}"]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)
    (lms_pages / "lms.html").write_text("<!doctype html><title>LMS</title><p>exam</p>")
    return out


@pytest.fixture(scope="module")
def foreign_origin(bundle: Path, lms_pages: Path) -> Iterator[str]:
    """The same page and bundle on an origin the server does not allow."""
    with static_site(lms_pages) as origin:
        yield origin


def drive(page: Any, origin: str, base_url: str, attempt_id: str | None, *messages: str) -> list:
    page.goto(f"{origin}/lms.html")
    return page.evaluate(
        DRIVE_WORKER,
        {
            "bundleUrl": f"{origin}/worker.js",
            "baseUrl": base_url,
            "attempt": attempt_id,
            "messages": list(messages),
        },
    )


def desktop(lms: Lms, attempt_id: str) -> dict[str, Any]:
    return lms.control.call("GET", f"/attempts/{attempt_id}/desktop")


def ready_delivered(lms: Lms, attempt_id: str) -> list[dict[str, Any]]:
    return [c for c in lms.stub.callbacks("ready", attempt_id) if c["answer_status"] == 200]


@pytest.mark.parametrize("named", [True, False], ids=["named attempt", "legacy, unnamed"])
def test_the_bundled_worker_starts_pings_and_stops_from_an_allowed_origin(
    page, lms_side: Lms, lms_page_origin: str, bundle: Path, named: bool
) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    replies = drive(
        page, lms_page_origin, lms_side.server_url, attempt_id if named else None, *LIFE
    )
    assert [r["type"] for r in replies] == LIFE_REPLIES
    assert len(desktop(lms_side, attempt_id)["heartbeats"]) == 2
    assert desktop(lms_side, attempt_id)["status"] in ("uploading", "uploaded")
    # The start queued the ready callback, and the stand-in took it.
    wait_for(lambda: ready_delivered(lms_side, attempt_id), what="the ready callback")


def test_a_foreign_page_drives_only_the_attempt_it_names(
    page, lms_side: Lms, foreign_origin: str
) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    (refused,) = drive(page, foreign_origin, lms_side.server_url, None, "startExamAttempt")
    assert refused["type"] == "examAttemptStartFailed"
    assert refused["error"]["httpStatus"] == 403
    assert desktop(lms_side, attempt_id)["status"] == "not_started"
    assert lms_side.control.callbacks(attempt=attempt_id) == []
    # As the learning MFE does (its origin is not the LMS's): naming the attempt works.
    replies = drive(page, foreign_origin, lms_side.server_url, attempt_id, *LIFE)
    assert [r["type"] for r in replies] == LIFE_REPLIES


def test_the_browser_refuses_an_answer_without_cors(
    page, lms_side: Lms, lms_page_origin: str, bundle: Path
) -> None:
    """Pointed at a server that sends no CORS headers (the LMS stand-in), the same worker
    cannot read the answer: the browser, not the worker, blocks it."""
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    (reply,) = drive(page, lms_page_origin, lms_side.lms_url, attempt_id, "startExamAttempt")
    assert reply["type"] == "examAttemptStartFailed"
    assert reply["error"]["reason"] == "unreachable"
    assert desktop(lms_side, attempt_id)["heartbeats"] == []
