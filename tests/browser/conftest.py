"""Real-browser fixtures: Debian's Chromium driven by Playwright, one browser for the
package, one live mockprock server and the LMS stand-in on loopback. Package scope, not
session: Playwright's sync API runs an event loop in the main thread while the browser
is open, and Django (the real-LMS tests) refuses to run inside one.

Chromium comes from the distribution (``apt-get install chromium``; ``.ci/run`` does it
when it is missing); Playwright never downloads a browser here. Each test opens its own
browser context (cookies, storage) and uses its own course and exams, so tests share the
server without seeing each other's state.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mockprock.client import ControlClient, ProviderClient
from mockprock.dashboard_link import dashboard_claims, dashboard_url
from mockprock.lms_stub import LmsStubClient
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, ServerProcess, lms_stub_argv, mockprock_argv

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLIENT = ("abcd", "abcdsecret")
INSTRUCTOR = {"id": 7, "full_name": "Rita Reviewer", "email": "rita.reviewer@example.com"}
# Where ``make screenshots`` wants the README's pictures; unset in ordinary runs.
SCREENSHOTS = os.environ.get("MOCKPROCK_SCREENSHOTS")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium); the page tests never download a browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile for one test; any JavaScript dialog is recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.dialogs = []
    context.on("page", lambda page: page.on("dialog", _dismiss(context)))
    yield context
    context.close()


def _dismiss(context: Any) -> Any:
    def on_dialog(dialog: Any) -> None:
        context.dialogs.append(dialog.message)
        dialog.dismiss()

    return on_dialog


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="package")
def lms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    stub = ServerProcess(lms_stub_argv()).start()
    yield stub
    stub.stop()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """A plain HTTP server for ``folder`` on a free loopback port: its origin."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="package")
def lms_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the pages the LMS's origin serves (the worker test fills it)."""
    return tmp_path_factory.mktemp("lms-pages")


@pytest.fixture(scope="package")
def lms_page_origin(lms_pages: Path) -> Iterator[str]:
    """An origin the server allows to drive the desktop application (--allow-origin)."""
    with static_site(lms_pages) as origin:
        yield origin


@pytest.fixture(scope="package")
def server(
    tmp_path_factory: pytest.TempPathFactory, lms: ServerProcess, lms_page_origin: str
) -> Iterator[ServerProcess]:
    """mockprock with the stand-in's credentials; the ready callback goes at once, an
    automatic review waits long enough for a reviewer's verdict to replace it."""
    db = tmp_path_factory.mktemp("browser") / "mockprock.sqlite"
    args = ("-l", lms.url, "--ready-delay", "0", "--review-delay", "600")
    args += ("--allow-origin", lms_page_origin)
    process = ServerProcess(mockprock_argv(db, *LMS_CLIENT, *args)).start()
    yield process
    process.stop()


class Lms:
    """The LMS's side of a scenario: it saves exams, registers attempts (in mockprock and
    in the stand-in), moves them, and signs dashboard links."""

    def __init__(self, server: ServerProcess, lms: ServerProcess) -> None:
        self.server_url = server.url
        self.lms_url = lms.url
        self.provider = ProviderClient(server.url, *CLIENT)
        self.control = ControlClient(server.url, *CLIENT)
        self.stub = LmsStubClient(lms.url)
        self.course_id = f"course-v1:edX+Browser+{uuid.uuid4().hex[:8]}"

    def exam(self, name: str = "Final Exam", **fields: Any) -> str:
        content = f"block-v1:edX+Browser+type@sequential+block@{uuid.uuid4().hex[:8]}"
        return self.provider.save_exam(
            {**EXAM, "course_id": self.course_id, "content_id": content, "exam_name": name} | fields
        )

    def attempt(self, exam_id: str, in_lms: bool = True, **fields: Any) -> str:
        body = {**ATTEMPT, "lms_host": self.lms_url, **fields}
        attempt_id = self.provider.register_attempt(exam_id, body)["id"]
        if in_lms:
            self.stub.add_attempt(attempt_id)
        return attempt_id

    def take(self, exam_id: str, attempt_id: str) -> None:
        for status in ("started", "submitted"):
            self.stub.set_status(attempt_id, status)
            self.provider.set_attempt_status(exam_id, attempt_id, status)

    def download_url(self, exam_id: str, attempt_id: str) -> str:
        return self.provider.get_attempt(exam_id, attempt_id)["download_url"]

    def dashboard_url(self, **view: Any) -> str:
        claims = dashboard_claims(CLIENT[0], self.course_id, INSTRUCTOR, **view)
        return dashboard_url(self.server_url, *CLIENT, claims)


@pytest.fixture
def lms_side(server: ServerProcess, lms: ServerProcess) -> Lms:
    return Lms(server, lms)


SCREENSHOT_SIZE = {"width": 960, "height": 720}


def screenshot(page: Any, name: str) -> None:
    """Keep a small picture for the README when ``make screenshots`` asked for them."""
    if not SCREENSHOTS:
        return
    size = page.viewport_size
    page.set_viewport_size(SCREENSHOT_SIZE)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
    page.set_viewport_size(size)
