"""The HTTP server under the app: waitress, with read timeouts and a request log.

waitress reads every request (headers and body) on its one I/O thread and hands only
complete requests to a fixed pool of ``THREADS`` worker threads, so a slow or half-open
connection holds a socket, never a thread. On top of waitress's own idle timeout a
request's headers and body must all arrive within ``read_timeout_seconds`` of its first
byte (a client trickling a byte at a time is closed too), and an idle keep-alive
connection is closed after the same time. Measured against Werkzeug's development
server and gunicorn in ``docs/performance.rst``.

An answer the app asks to send late (the desktop application's injected latency) is
written by its worker thread at once and held back on its connection by the I/O thread
until it is due: a slow simulated application holds a socket, never a worker thread
another tenant needs. A body larger than the app accepts is refused from its
Content-Length, before it is read.
"""

from __future__ import annotations

import heapq
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask

from mockprock.config import Settings
from mockprock.redaction import redact_url
from mockprock.web.views.common import HOLD_ANSWER

# Worker threads running the app. SQLite takes one writer at a time and the GIL one
# thread of Python: more threads only queue inside the process, and starve the
# callback senders (measured: with 16, ``ready`` reached the LMS 2-4 s late under load;
# with 6, within 0.3 s at the same throughput; docs/performance.rst).
THREADS = 6
# Open connections accepted at once (an LMS keeps a pool per worker, browsers more);
# past it waitress stops accepting until some close.
CONNECTION_LIMIT = 1000

access_log = logging.getLogger("mockprock.requests")


class JsonErrorTask(ErrorTask):
    """The server's own refusals (a header too large, a malformed request) as the JSON
    error every route answers, not waitress's text page."""

    def execute(self) -> None:
        error = self.request.error
        detail = str(error.body)
        if error.code == 413:  # said as the app says it
            limit = self.channel.adj.max_request_body_size - 1
            detail = f"the request body is larger than {limit} bytes"
        body = json.dumps(
            {"error": error.reason.lower().replace(" ", "_"), "detail": detail}
        ).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class HoldingTask(WSGITask):
    """A request whose app may ask for its answer to be sent late (``HOLD_ANSWER``)."""

    def get_environment(self) -> dict[str, Any]:
        environ = super().get_environment()
        environ[HOLD_ANSWER] = self.channel.hold_answer
        return environ


class TimedChannel(HTTPChannel):
    """A connection that knows when the request it is reading began to arrive, and
    holds an answer back until it is due."""

    error_task_class = JsonErrorTask
    task_class = HoldingTask
    request_began = 0.0
    held_until = 0.0  # time.monotonic(): nothing is sent before

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_began = time.time()
        return super().received(data)

    def hold_answer(self, seconds: float) -> None:
        """Send what is written from now on no sooner than ``seconds`` from now."""
        self.held_until = max(self.held_until, time.monotonic() + seconds)
        self.server.wake_at(self.held_until)

    def _held(self) -> bool:
        # The I/O loop asks every connection on every turn: the usual answer (never
        # held) costs an attribute read, not a clock read.
        return self.held_until != 0.0 and time.monotonic() < self.held_until

    def writable(self) -> bool:
        return not self._held() and super().writable()

    def _flush_some(self, do_close: bool = True) -> bool:
        # The worker thread writes and leaves; the I/O thread sends once it is due.
        if self._held():
            return False
        return super()._flush_some(do_close)


class Waker:
    """One thread waking the server's I/O loop when a held answer falls due (its loop
    otherwise sleeps until a socket is ready)."""

    def __init__(self, pull: Callable[[], None]) -> None:
        self._pull = pull
        self._due: list[float] = []
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="mockprock-waker", daemon=True)
        self._thread.start()

    def at(self, when: float) -> None:
        with self._changed:
            heapq.heappush(self._due, when)
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._due or self._due[0] > time.monotonic()):
                    wait = self._due[0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                if self._stopped:
                    return
                while self._due and self._due[0] <= time.monotonic():
                    heapq.heappop(self._due)
            self._pull()


class Server(TcpWSGIServer):
    """waitress's server on a socket already listening, closing slow requests."""

    channel_class = TimedChannel

    def __init__(
        self, app: Callable, sock: socket.socket, read_timeout: float, max_body_bytes: int
    ) -> None:
        self.read_timeout = read_timeout
        adj = Adjustments(
            sockets=[sock],
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            # waitress closes a connection idle this long (no bytes, no request running)...
            channel_timeout=max(1, round(read_timeout)),
            # ...and looks every this many seconds.
            cleanup_interval=max(1, min(30, round(read_timeout / 2))),
            ident="mockprock",
            # A body the app would refuse is refused from its Content-Length, unread
            # (waitress refuses at this size or more; the app accepts up to its limit).
            max_request_body_size=max_body_bytes + 1,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        super().__init__(
            app,
            {},
            True,
            sock,
            dispatcher=dispatcher,
            adj=adj,
            bind_socket=False,
            sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
        )
        # waitress gives the port as text; the banner compares it with DEFAULT_PORT.
        self.port: int = int(self.effective_port)
        self.waker = Waker(self.pull_trigger)

    def wake_at(self, when: float) -> None:
        """Run the I/O loop at ``when`` (time.monotonic()): a held answer is due."""
        self.waker.at(when)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections
        cutoff = now - self.read_timeout
        for channel in list(self.active_channels.values()):
            # A request still arriving (nothing of it handed to the app yet) for too long.
            arriving = channel.request is not None and not channel.requests
            if arriving and channel.request_began < cutoff:
                channel.will_close = True

    # The interface ``processes.serve_until_stopped`` serves through.
    def serve_forever(self) -> None:
        self.run()  # returns after Ctrl-C, its workers stopped

    def server_close(self) -> None:
        self.waker.stop()
        self.close()


def with_request_log(app: Callable) -> Callable:
    """``app`` logging one line per request, as Werkzeug's server did: client, request
    line (secret query values redacted), status and size."""

    def logged(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        answer: list[str] = ["-", "-"]

        def starting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[0] = status.split(" ", 1)[0]
            answer[1] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        result = app(environ, starting)
        if access_log.isEnabledFor(logging.INFO):
            uri = environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", ""))
            access_log.info(
                '%s "%s %s %s" %s %s',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD"),
                redact_url(uri),
                environ.get("SERVER_PROTOCOL"),
                *answer,
            )
        return result

    return logged


def make_server(app: Callable, sock: socket.socket, settings: Settings) -> Server:
    """The server for ``app`` on ``sock`` (listening already; the server owns it now)."""
    # A queue of requests waiting for a thread is what load looks like, not a fault.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return Server(
        with_request_log(app), sock, settings.read_timeout_seconds, settings.max_body_bytes
    )
