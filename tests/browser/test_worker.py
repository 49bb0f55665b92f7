"""The browser worker in a real browser: ``worker/index.js`` bundled with its real
``@edx/edx-proctoring`` (esbuild, into a temporary directory), served from a page on
another loopback origin, run in a Web Worker made from a Blob with ``importScripts`` as
the LMS's ``exam_action_handler.js`` does, talking to a live server across origins (so
Chromium enforces CORS)."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import Lms
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
    replies.push(await send({type, timeout: 10000, attemptExternalId: attempt}));
  }
  worker.terminate();
  return replies;
}
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def lms_page_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled worker and an empty page, served on a loopback port of their own."""
    if not ESBUILD.exists():
        pytest.skip("esbuild is not installed: run `make install-node` (npm ci)")
    folder = tmp_path_factory.mktemp("lms-page")
    subprocess.run(
        [
            str(ESBUILD),
            "worker/index.js",
            "--bundle",
            "--format=iife",
            f"--outfile={folder}/worker.js",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (folder / "lms.html").write_text("<!doctype html><title>LMS</title><p>exam</p>")
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def drive(page: Any, origin: str, base_url: str, attempt_id: str, *messages: str) -> list[dict]:
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


def test_the_bundled_worker_starts_pings_and_stops_across_origins(
    page, lms_side: Lms, lms_page_origin: str
) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    replies = drive(
        page,
        lms_page_origin,
        lms_side.server_url,
        attempt_id,
        "startExamAttempt",
        "ping",
        "ping",
        "endExamAttempt",
    )
    assert [r["type"] for r in replies] == [
        "examAttemptStarted",
        "echo",
        "echo",
        "examAttemptEnded",
    ]
    desktop = lms_side.control.call("GET", f"/attempts/{attempt_id}/desktop")
    assert len(desktop["heartbeats"]) == 2
    assert desktop["status"] in ("uploading", "uploaded")
    # The start queued the ready callback, and the stand-in took it.
    wait_for(
        lambda: [
            c for c in lms_side.stub.callbacks("ready", attempt_id) if c["answer_status"] == 200
        ],
        what="the ready callback",
    )


def test_the_browser_refuses_an_answer_without_cors(
    page, lms_side: Lms, lms_page_origin: str
) -> None:
    """Pointed at a server that sends no CORS headers (the LMS stand-in), the same worker
    cannot read the answer: the browser, not the worker, blocks it."""
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    (reply,) = drive(page, lms_page_origin, lms_side.lms_url, attempt_id, "startExamAttempt")
    assert reply["type"] == "examAttemptStartFailed"
    assert reply["error"]["reason"] == "unreachable"
    assert lms_side.control.call("GET", f"/attempts/{attempt_id}/desktop")["heartbeats"] == []
