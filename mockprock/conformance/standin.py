"""The LMS stand-in (:mod:`mockprock.lms_stub`) served on a thread of the kit's process.

The provider sends its callbacks there. Requests the stand-in has no route for (a
callback at a wrong path, say) are kept as *stray*, so a check can say where a callback
went instead of only that it did not arrive.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from flask import Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

from mockprock.lms_stub import LmsStubClient, create_stub_app


class _QuietHandler(WSGIRequestHandler):
    """No access log: the kit's report says what arrived."""

    def log_request(self, *args: Any) -> None:
        pass


class StandIn:
    def __init__(
        self,
        listen: str = "127.0.0.1:0",
        client_id: str | None = None,
        client_secret: str | None = None,
        public_url: str | None = None,
    ) -> None:
        host, _, port = listen.rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = int(port or 0)
        self.client_id = client_id or "conformance-lms-" + secrets.token_hex(4)
        self.client_secret = client_secret or secrets.token_urlsafe(18)
        self.public_url = public_url
        self.stray: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.client: LmsStubClient

    def start(self) -> StandIn:
        app = create_stub_app(self.client_id, self.client_secret)
        app.after_request(self._keep_stray)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=_QuietHandler
        )
        port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        shown_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        local_url = f"http://{shown_host}:{port}"
        self.url = (self.public_url or local_url).rstrip("/")
        self.client = LmsStubClient(local_url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _keep_stray(self, response: Response) -> Response:
        if request.url_rule is None and not request.path.startswith("/stub/"):
            with self._lock:
                self.stray.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "json": request.get_json(silent=True),
                    }
                )
        return response

    def stray_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.stray)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
