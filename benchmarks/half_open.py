"""Half-open connections against ``mockprock serve``: threads, a normal request meanwhile,
and when the server drops them (issue 10, read timeouts).

    python benchmarks/half_open.py [--connections 300] [--read-timeout 30] [--watch 60]

Starts ``mockprock serve`` (a temporary --db), opens N connections that each send half a
request (half of them the headers and half of the body they announce, half of them half
of the headers), then times a normal request, and samples the server's threads and RSS
from /proc every second for ``--watch`` seconds, printing how many of the N connections
the server has closed.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from pathlib import Path

import harness
import requests


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--read-timeout", type=float, default=30.0)
    parser.add_argument("--watch", type=float, default=60.0, help="seconds to sample after")
    args = parser.parse_args()
    print(harness.machine(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = harness.start(
            harness.mockprock_serve_argv(
                "waitress",
                None,
                *("--host", "127.0.0.1", "--port", "0", "--db", str(Path(tmp) / "h.sqlite")),
                *("--read-timeout", str(args.read_timeout)),
            )
        )
        proc = harness.ProcSample(harness.server_pid(server))
        sockets = []
        try:
            host, port = server.url.removeprefix("http://").split(":")
            before = proc.status()
            for i in range(args.connections):
                sock = socket.create_connection((host, int(port)), timeout=30)
                if i % 2:
                    sock.sendall(
                        b"POST /api/v1/exam/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
                    )
                else:
                    sock.sendall(b"GET /api/v1/config/ HTTP/1.1\r\nHost: x\r\nAccept: ")
                sockets.append(sock)
            began = time.monotonic()
            answer = requests.get(server.url + "/api/v1/config/", timeout=30)
            took = time.monotonic() - began
            print(
                f"server before: {before[0]} threads, {before[1] / 1024:.1f} MiB RSS; "
                f"{args.connections} half-open connections open"
            )
            print(f"a normal request meanwhile: HTTP {answer.status_code} in {took * 1000:.0f} ms")
            opened = time.monotonic()
            peak = 0
            while time.monotonic() - opened < args.watch:
                threads, rss = proc.status()
                peak = max(peak, threads)
                closed = sum(closed_by_server(s) for s in sockets)
                print(
                    f"  t+{time.monotonic() - opened:4.0f} s  threads {threads:3}  "
                    f"RSS {rss / 1024:5.1f} MiB  closed by the server {closed:4}/{len(sockets)}",
                    flush=True,
                )
                time.sleep(1.0)
            print(f"peak threads {peak}")
        finally:
            for sock in sockets:
                sock.close()
            server.stop()


if __name__ == "__main__":
    main()
