"""What the load benchmarks share: servers as processes, an LMS sink, a bare Flask app,
/proc sampling, a stack-sampling profiler and percentiles.

Also a command, so each server is a process of its own (the load driver's threads must
not share a GIL with the server they measure):

    python benchmarks/harness.py sink                      # the LMS side of callbacks
    python benchmarks/harness.py --server waitress bare    # the ceiling: constant answers
    python benchmarks/harness.py --server waitress --processes 2 bare  # on both cores
    python benchmarks/harness.py --server waitress [--profile OUT] mockprock -- SERVE_ARGS
    python benchmarks/harness.py --server waitress --threads 16 mockprock -- SERVE_ARGS
    python benchmarks/harness.py --server waitress --cpu-split OUT mockprock -- SERVE_ARGS

``mockprock`` runs ``mockprock serve`` in this process (the same command, same code
path), on another WSGI server, with another number of waitress threads, under the
sampling profiler or with its CPU split by part (``cpu_split.py``) when asked.
``--processes`` serves the bare app from that many processes sharing one listening
socket (each its own waitress).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mockprock.processes import ServerProcess  # noqa: E402

SERVERS = ("werkzeug", "waitress", "gunicorn")
WAITRESS_THREADS = 16
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
    return [sys.executable, str(HERE / "harness.py"), *args]


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


def run_sink() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
    server.daemon_threads = True
    print(f"sink listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


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


def serve_wsgi(app: Any, server: str, host: str = "127.0.0.1", port: int = 0) -> Any:
    """A server object with Werkzeug's ``serve_forever``/``server_close``/``server_port``."""
    if server == "werkzeug":
        from werkzeug.serving import make_server

        return make_server(host, port, app, threaded=True)
    if server == "waitress":
        return WaitressServer(app, host, port)
    raise SystemExit(f"{server} cannot run in-process here; use werkzeug or waitress")


class WaitressServer:
    """waitress behind the interface ``mockprock.processes.serve_until_stopped`` uses."""

    def __init__(
        self, app: Any, host: str, port: int, sock: socket.socket | None = None, **_: Any
    ) -> None:
        import waitress

        # Each LMS worker keeps two connections open (its API session, its learners'
        # browser): past waitress's default limit of 100 it stops accepting and they stall.
        where: dict[str, Any] = {"sockets": [sock]} if sock else {"host": host, "port": port}
        self._server = waitress.create_server(
            app, threads=WAITRESS_THREADS, connection_limit=1000, **where
        )
        self.server_port = self.port = self._server.effective_port

    def serve_forever(self) -> None:
        self._server.run()

    def server_close(self) -> None:
        self._server.close()


def run_gunicorn(app: Any, workers: int = 1) -> None:
    """gunicorn with gthread workers (one by default: one process, like the other two
    servers)."""
    from gunicorn.app.base import BaseApplication

    def when_ready(arbiter: Any) -> None:
        port = arbiter.LISTENERS[0].sock.getsockname()[1]
        print(f"bare app listening on http://127.0.0.1:{port}", flush=True)

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": "127.0.0.1:0",
                "workers": workers,
                "worker_class": "gthread",
                "threads": WAITRESS_THREADS,
                "when_ready": when_ready,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Gunicorn().run()


def run_bare(server: str, processes: int = 1) -> None:
    from mockprock.processes import serve_until_stopped

    if server == "gunicorn":
        run_gunicorn(bare_app(), processes)
        return
    if processes > 1:
        if server != "waitress":
            raise SystemExit("--processes: waitress or gunicorn")
        run_forked(bare_app(), processes)
        return
    httpd = serve_wsgi(bare_app(), server)
    serve_until_stopped(httpd, f"bare app listening on http://127.0.0.1:{httpd.server_port}")


def run_forked(app: Any, processes: int) -> None:
    """``app`` on waitress in ``processes`` forked processes accepting on one listening
    socket (the kernel hands each connection to one of them); this process waits and
    stops them on SIGTERM."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a server: SIGTERM ends it (the default action)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            WaitressServer(app, "", 0, sock=sock).serve_forever()
            os._exit(0)
        children.append(pid)
    port = sock.getsockname()[1]
    print(f"bare app ({processes} processes) listening on http://127.0.0.1:{port}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)


# -- mockprock serve, in this process: another server, the profiler -----------------


def run_mockprock(
    server: str,
    profile: str | None,
    serve_args: list[str],
    threads: int | None = None,
    cpu_split: str | None = None,
) -> None:
    from cpu_split import CpuSplit
    from sampler import StackSampler

    import mockprock.server
    import mockprock.web.serving
    from mockprock.cli import main

    if threads:
        mockprock.web.serving.THREADS = threads

    if server == "werkzeug":
        # 2.0's server: ``serve`` builds its server with make_server(app, sock, settings).
        def werkzeug_server(app: Any, sock: Any, settings: Any) -> Any:
            from werkzeug.serving import make_server

            host, port = sock.getsockname()[:2]
            httpd = make_server(host, port, app, threaded=True, fd=sock.fileno())
            sock.close()  # Werkzeug took a duplicate (and has .port, as serve() needs)
            return httpd

        mockprock.server.make_server = werkzeug_server
    elif server != "waitress":
        raise SystemExit("mockprock runs on waitress (its own) or werkzeug here")
    split = CpuSplit() if cpu_split else None
    if split:
        split.install()
    sampler = StackSampler().start() if profile else None
    try:
        main(["serve", *serve_args], standalone_mode=False)
    finally:
        if sampler:
            sampler.stop()
            Path(profile).write_text(sampler.report())
        if split:
            split.write(cpu_split)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("sink", "bare", "mockprock"))
    parser.add_argument("--server", choices=SERVERS, default="werkzeug")
    parser.add_argument("--profile", help="write a stack-sampling profile to this file")
    parser.add_argument("--threads", type=int, help="waitress's worker threads")
    parser.add_argument("--cpu-split", help="write mockprock's CPU by part to this file")
    parser.add_argument("--processes", type=int, default=1, help="the bare app's processes")
    parser.add_argument("serve_args", nargs=argparse.REMAINDER, help="-- mockprock serve options")
    args = parser.parse_args(argv)
    args.serve_args = [a for a in args.serve_args if a != "--"]
    runners: dict[str, Callable[[], None]] = {
        "sink": run_sink,
        "bare": lambda: run_bare(args.server, args.processes),
        "mockprock": lambda: run_mockprock(
            args.server, args.profile, args.serve_args, args.threads, args.cpu_split
        ),
    }
    if args.threads:
        global WAITRESS_THREADS
        WAITRESS_THREADS = args.threads
    runners[args.what]()


if __name__ == "__main__":
    main()
