"""``mock_proctoring``: mockprock in process, no server and no socket (moto's ``mock_aws``).

Every ``requests`` call to ``base_url`` is served by the Flask app in this process through
``responses``; every other URL passes through. The app's store is a SQLite file in a
temporary folder, removed afterwards.

Callbacks are sent in the calling thread, never by the dispatcher's thread (which is not
started): after each request served and after each clock advance, every callback due is
attempted before the call returns. So a test can rely on "when this call returns, the
callbacks it made due have been attempted", and nothing races with it.
"""

from __future__ import annotations

import functools
import inspect
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import responses
from flask import Flask
from requests import PreparedRequest

from mockprock.config import Settings
from mockprock.testing.handle import TEST_LMS, Proctoring, client_of, settings_for_test
from mockprock.web.app import create_app

F = TypeVar("F", bound=Callable[..., Any])

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# The parameter through which a decorated function is handed the running mockprock.
PARAMETER = "proctoring"
# Rounds of sending per call: each round sends one due callback per attempt, in order. A
# callback the LMS keeps failing with no backoff goes again each round, so it stops here.
MAX_ROUNDS = 50
# What the test client sets itself, or what requests' cookie jar already put in a header.
NOT_FORWARDED = frozenset({"content-length", "host"})


class mock_proctoring:
    """mockprock in process while a block or a function runs::

        with mock_proctoring() as proctoring:
            ...  # requests to http://mockprock.test reach mockprock

        @mock_proctoring(review_delay_seconds=60)
        def test_exam(proctoring):  # the parameter is optional
            ...

    ``settings`` are the server's settings (``Settings`` field names). Each use starts from
    an empty store; one object is not entered twice at once."""

    def __init__(self, base_url: str = "http://mockprock.test", **settings: Any) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.proctoring: Proctoring | None = None
        self._app: Flask | None = None
        self._folder: str | None = None
        self._delivering = False

    # -- the context manager and the decorator ----------------------------------------

    def __enter__(self) -> Proctoring:
        if self.proctoring is not None:
            raise RuntimeError("this mock_proctoring is running already")
        self._folder = tempfile.mkdtemp(prefix="mockprock-")
        try:
            return self._start(Path(self._folder))
        except BaseException:
            self._stop()
            raise

    def __exit__(self, *exc_info: Any) -> None:
        self._stop()

    def __call__(self, func: F) -> F:
        """``func`` run inside this mock; handed the mockprock as ``proctoring=`` when it
        has that parameter (hidden from pytest, which would look for a fixture)."""
        if inspect.iscoroutinefunction(func):
            raise TypeError("mock_proctoring decorates plain (not async) functions")
        signature = inspect.signature(func)
        wants = PARAMETER in signature.parameters

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self as proctoring:
                if wants:
                    kwargs[PARAMETER] = proctoring
                return func(*args, **kwargs)

        if wants:
            others = [p for p in signature.parameters.values() if p.name != PARAMETER]
            run.__signature__ = signature.replace(parameters=others)  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    # -- serving ----------------------------------------------------------------------

    def _start(self, folder: Path) -> Proctoring:
        values = settings_for_test(self.settings)
        settings = Settings.load({**values, "db": str(folder / "mockprock.sqlite")}, environ={})
        self._app = create_app(settings)
        client = self._app.test_client(use_cookies=False)  # requests keeps the cookies
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        pattern = re.compile(re.escape(self.base_url) + r"(?=[/?#]|$)")
        for method in METHODS:
            mock.add_callback(
                method,
                pattern,
                callback=lambda request: self._serve(client, request),
                content_type=None,
            )
        # Every other URL goes to the real network, but for the test LMS (no machine has
        # that name): unless a test routes it, a callback there fails as to an LMS that is
        # down, and nothing is looked up.
        mock.add_passthru(re.compile(f"(?!{re.escape(TEST_LMS[0])}(?:[/:?#]|$))"))
        mock.start()
        self.proctoring = Proctoring(self.base_url, *client_of(values), requests_mock=mock)
        return self.proctoring

    def _stop(self) -> None:
        if self.proctoring is not None:
            self.proctoring.requests_mock.stop()
            self.proctoring.requests_mock.reset()
            self.proctoring = None
        if self._app is not None:
            self._app.extensions["mockprock"].close()
            self._app = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _serve(self, client: Any, request: PreparedRequest) -> tuple[int, list, bytes]:
        """One request through the app, then every callback it made due."""
        url = urlsplit(request.url or "")
        prefix = urlsplit(self.base_url)
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in NOT_FORWARDED
        ]
        answer = client.open(
            url.path[len(prefix.path) :] or "/",
            method=request.method,
            base_url=self.base_url,
            query_string=url.query,
            headers=headers,
            data=request.body or b"",
        )
        body = answer.get_data()
        status = answer.status_code
        out = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
        answer.close()
        self.deliver_callbacks()
        return status, out, body

    def deliver_callbacks(self) -> int:
        """Send every callback due now, in this thread (each attempt's in order); how many
        were attempted. A callback's own requests (the LMS's, routed back here) do not
        start another round inside this one."""
        if self._delivering or self._app is None:
            return 0
        services = self._app.extensions["mockprock"]
        self._delivering = True
        try:
            sent = 0
            for _ in range(MAX_ROUNDS):
                claimed = services.outbox.dispatcher.run_due()
                sent += claimed
                if not claimed:
                    break
            services.store.journal.flush_journal()
            return sent
        finally:
            self._delivering = False
