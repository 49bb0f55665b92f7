"""Each server of the load benchmarks, as a process of its own (the load driver's threads
must not share a GIL with the server they measure); ``harness.python_argv`` starts them:

    python benchmarks/servers.py sink                      # the LMS side of callbacks
    python benchmarks/servers.py --server waitress bare    # the ceiling: constant answers
    python benchmarks/servers.py --server waitress --processes 2 bare  # on both cores
    python benchmarks/servers.py --server waitress [--profile OUT] mockprock -- SERVE_ARGS
    python benchmarks/servers.py --server waitress --threads 16 mockprock -- SERVE_ARGS
    python benchmarks/servers.py --server waitress --cpu-split OUT mockprock -- SERVE_ARGS

``mockprock`` runs ``mockprock serve`` in this process (the same command, same code
path), on another WSGI server, with another number of waitress threads, under the
sampling profiler or with its CPU split by part (``cpu_split.py``) when asked.
``--processes`` serves the bare app from that many processes sharing one listening
socket (each its own waitress).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
from collections.abc import Callable, Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness import SERVERS, SinkHandler, bare_app, clean_up_on_sigterm

WAITRESS_THREADS = 16


def run_sink() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
    server.daemon_threads = True
    print(f"sink listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


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
    clean_up_on_sigterm()  # SIGTERM unwinds like Ctrl-C: the children are stopped
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
