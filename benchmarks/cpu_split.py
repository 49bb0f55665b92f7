"""Where the server's CPU goes, by part, from each thread's own CPU time (not samples).

``servers.py --cpu-split OUT mockprock -- SERVE_ARGS`` (``lifecycle.py --cpu-split``)
wraps, in the server's process, each request in the app (by method and route, ids
replaced), waitress's task around it (the app, the request log, reading the request and
writing the answer), each turn of waitress's I/O loop, each callback a sender sends and
each round of the dispatcher: ``time.thread_time()`` before and after, summed per part,
written to OUT as JSON when the server stops. Unlike a sampler it counts CPU only, and
only the calling thread's (a thread waiting for the GIL or a lock costs nothing); the
wrapping costs about a microsecond per call.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Parts of the server, in the order a request meets them.
TASK = "waitress task (the app and the request log included)"
LOOP = "waitress I/O loop, per turn"
SENT = "a callback sent (a sender)"
ROUND = "a dispatcher round"
_ID = re.compile(r"/(?:[0-9a-f]{32}|\d+)(?=/|$)")


class CpuSplit:
    """CPU seconds and calls per part, from every thread of the process."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def add(self, part: str, seconds: float) -> None:
        with self._lock:
            self.seconds[part] += seconds
            self.calls[part] += 1

    def timed(self, part: str | Callable[..., str], func: Callable[..., Any]) -> Callable:
        """``func``, its calls' CPU added to ``part`` (or to ``part(*args)``)."""

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(part(*args) if callable(part) else part, time.thread_time() - began)

        return timed

    def install(self) -> None:
        """Wrap the server's parts; before the server starts."""
        from waitress import task, wasyncore

        import mockprock.web.serving
        from mockprock.callbacks.dispatcher import Dispatcher

        task.WSGITask.execute = self.timed(TASK, task.WSGITask.execute)
        wasyncore.poll = self.timed(LOOP, wasyncore.poll)  # looked up on every turn
        Dispatcher._send_and_release = self.timed(SENT, Dispatcher._send_and_release)
        Dispatcher.run_due = self.timed(ROUND, Dispatcher.run_due)
        with_request_log = mockprock.web.serving.with_request_log

        def split_requests(app: Callable) -> Callable:
            return with_request_log(self.timed(request_kind, app))

        mockprock.web.serving.with_request_log = split_requests

    def write(self, path: str) -> None:
        parts = {part: [self.seconds[part], self.calls[part]] for part in self.seconds}
        Path(path).write_text(json.dumps(parts))


def request_kind(environ: dict[str, Any], start_response: Any = None) -> str:
    """``app GET /api/v1/exam/<id>/attempt/<id>/``: a request's part."""
    path = _ID.sub("/<id>", environ.get("PATH_INFO", ""))
    return f"app {environ.get('REQUEST_METHOD')} {path}"


def report(path: str, lifecycles: int) -> str:
    """The parts OUT holds, per lifecycle and per call, the largest first."""
    parts = json.loads(Path(path).read_text())
    lines = [f"{'part':58}{'ms/lifecycle':>13}{'calls':>8}{'µs/call':>9}"]
    for part, (seconds, calls) in sorted(parts.items(), key=lambda item: -item[1][0]):
        per_lifecycle = 1000 * seconds / lifecycles
        lines.append(f"{part[:57]:58}{per_lifecycle:13.2f}{calls:8}{1e6 * seconds / calls:9.0f}")
    return "\n".join(lines)
