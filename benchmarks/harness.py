"""What the load benchmarks share: servers started as processes (``servers.py``), an
LMS sink, a bare Flask app, /proc sampling and percentiles."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mockprock.processes import ServerProcess  # noqa: E402

SERVERS = ("werkzeug", "waitress", "gunicorn")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- figures ------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def machine() -> str:
    """nproc, CPU model, Python and the load average: figures mean little without them."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}, load average {load}"


# -- processes ----------------------------------------------------------------------


def python_argv(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "servers.py"), *args]


def mockprock_serve_argv(
    server: str,
    profile: str | None,
    *serve_args: str,
    threads: int | None = None,
    cpu_split: str | None = None,
) -> list[str]:
    """``mockprock serve`` as a user starts it (it serves on waitress); through this
    harness when another WSGI server, another thread count, the profiler or the CPU
    split is wanted."""
    script = Path(sys.executable).parent / "mockprock"
    plain = profile is None and threads is None and cpu_split is None
    if server == "waitress" and plain and script.exists():
        return [str(script), "serve", *serve_args]
    extra = ["--profile", profile] if profile else []
    extra += ["--threads", str(threads)] if threads else []
    extra += ["--cpu-split", cpu_split] if cpu_split else []
    return python_argv("--server", server, *extra, "mockprock", "--", *serve_args)


def bare_argv(server: str, threads: int | None = None, processes: int = 1) -> list[str]:
    extra = ["--threads", str(threads)] if threads else []
    extra += ["--processes", str(processes)] if processes > 1 else []
    return python_argv("--server", server, *extra, "bare")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def clean_up_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C: the servers started are stopped, temporaries removed."""
    signal.signal(signal.SIGTERM, _interrupt)


def start(argv: list[str]) -> ServerProcess:
    return ServerProcess(argv).start(timeout=60)


def stat_cpu_seconds(stat: str) -> float:
    """CPU seconds (user and system) a process or thread has used, from its /proc stat
    file (``/proc/PID/stat``, ``/proc/self/task/TID/stat``)."""
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@dataclass
class ProcSample:
    """CPU, threads and resident memory of one process (with ``tree``: of it and its
    children, summed), from /proc."""

    pid: int
    tree: bool = False
    peak_threads: int = 0
    peak_rss_kib: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def pids(self) -> list[int]:
        if not self.tree:
            return [self.pid]
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        kids = children.read_text().split() if children.exists() else []
        return [self.pid, *map(int, kids)]

    def cpu_seconds(self) -> float:
        return sum(stat_cpu_seconds(f"/proc/{pid}/stat") for pid in self.pids())

    def status(self) -> tuple[int, int]:
        threads = rss = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("Threads:"):
                    threads += int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        return threads, rss

    def sample(self) -> None:
        try:
            threads, rss = self.status()
        except OSError:
            return
        self.peak_threads = max(self.peak_threads, threads)
        self.peak_rss_kib = max(self.peak_rss_kib, rss)

    def start(self, interval: float = 0.05) -> ProcSample:
        def run() -> None:
            while not self._stop.wait(interval):
                self.sample()

        self.sample()
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()


def server_pid(server: ServerProcess) -> int:
    """The process that serves: gunicorn's one worker, else the process itself."""
    assert server.proc is not None
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    kids = children.read_text().split() if children.exists() else []
    return int(kids[0]) if "gunicorn" in server.argv and kids else server.proc.pid


# -- the LMS sink: tokens and callbacks, arrival times recorded ---------------------


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the LMS's gunicorn/nginx offer
    records: list[tuple[str, str, float]] = []
    lock = threading.Lock()

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        parts = self.path.rstrip("/").split("/")
        if self.path.startswith("/oauth2/access_token"):
            self._answer(200, {"access_token": "sink", "token_type": "JWT", "expires_in": 3600})
        elif parts[-1] in ("ready", "reviewed"):
            with self.lock:
                self.records.append((parts[-1], parts[-2], arrived))
            self._answer(200, "OK")
        else:
            self._answer(404, {"detail": "not here"})

    def do_GET(self) -> None:
        with self.lock:
            records = list(self.records)
        self._answer(200, records)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a log line per callback would cost the sink more than answering it


# -- the bare app: the same routes, constant answers of about mockprock's size -------

# Sizes follow mockprock 2.0's answers to the same requests (token ~310 bytes, attempt
# ~860, download page ~720, desktop ~60-120).
PAD = "x" * 780
ATTEMPT_ANSWER = {"id": "0" * 32, "status": "created", "instructions": [PAD], "rules": {}}
PAGE = "<!doctype html><html><body>" + "<p>download</p>" * 45 + "</body></html>"


def bare_app() -> Any:
    from flask import Flask, jsonify

    app = Flask("bare")
    app.url_map.strict_slashes = False

    @app.post("/oauth2/access_token")
    def token() -> Any:
        return jsonify(
            {"access_token": "t" * 240, "token_type": "JWT", "expires_in": 3600, "scope": "x"}
        )

    @app.post("/api/v1/exam/")
    @app.post("/api/v1/exam/<exam_id>/")
    def exam(exam_id: str = "e") -> Any:
        return jsonify({"id": "e" * 32})

    @app.post("/api/v1/exam/<exam_id>/attempt/")
    def register(exam_id: str) -> Any:
        return jsonify({"id": "a" * 32, "status": "created"})

    @app.get("/api/v1/exam/<exam_id>/attempt/<attempt_id>/")
    def attempt(exam_id: str, attempt_id: str) -> Any:
        return jsonify(ATTEMPT_ANSWER)

    @app.patch("/api/v1/exam/<exam_id>/attempt/<attempt_id>/")
    def patch(exam_id: str, attempt_id: str) -> Any:
        return jsonify({"id": attempt_id, "status": "started"})

    @app.get("/download")
    def download() -> str:
        return PAGE

    @app.post("/desktop/start")
    @app.get("/desktop/ping")
    @app.post("/desktop/stop")
    def desktop() -> Any:
        return jsonify({"status": "running", "attempt": "a" * 32, "ok": True})

    return app
