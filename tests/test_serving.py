"""The HTTP server under load it must shrug off: 300 half-open connections hold no thread,
are dropped after --read-timeout, and a normal request is served meanwhile; an idle
keep-alive connection and a trickling request are closed; a body past the limit is
refused before it is read."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import requests

from mockprock.client import ProviderClient
from tests.helpers import wait_for

pytestmark = pytest.mark.live

HALF_OPEN = 300
MAX_THREADS = 64


def server_threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no thread count")


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed ``sock`` (EOF or reset), without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_half_open_connections_hold_no_thread_and_are_dropped(start_mockprock) -> None:
    server = start_mockprock("--read-timeout", "3")
    pid = server.proc.pid
    sockets = []
    try:
        for i in range(HALF_OPEN):
            sock = connect(server.url)
            if i % 2:  # headers, then half of the body they announce
                sock.sendall(
                    b"POST /api/v1/exam/ HTTP/1.1\r\nHost: x\r\n"
                    b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":'
                )
            else:  # half of the headers
                sock.sendall(b"GET /api/v1/config/ HTTP/1.1\r\nHost: x\r\nAccept: ")
            sockets.append(sock)
        # A normal request is served meanwhile, and the server's threads stay bounded.
        assert ProviderClient(server.url, "abcd", "abcdsecret").config()["name"] == "MockProck"
        assert server_threads(pid) <= MAX_THREADS
        # Each is dropped once its request has not arrived within the read timeout.
        wait_for(
            lambda: all(closed_by_server(s) for s in sockets),
            timeout=60,
            interval=0.5,
            what="the server to drop every half-open connection",
        )
        assert server_threads(pid) <= MAX_THREADS
        assert requests.get(server.url + "/api/v1/config/", timeout=10).status_code == 401
    finally:
        for sock in sockets:
            sock.close()


def test_a_trickling_request_and_an_idle_connection_are_closed(start_mockprock) -> None:
    server = start_mockprock("--read-timeout", "2")
    trickling, idle = connect(server.url), connect(server.url)
    try:
        idle.sendall(b"GET /api/v1/config/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(65536).startswith(b"HTTP/1.1 401")  # answered, kept alive
        began = time.monotonic()
        trickling.sendall(b"GET /api/v1/config/ HTTP/1.1\r\n")

        def trickle_until_closed() -> bool:
            # A byte every 0.2 s: never idle, yet the request never completes.
            try:
                trickling.sendall(b"X-Slow: y\r\n")
            except OSError:
                return True
            return closed_by_server(trickling)

        wait_for(trickle_until_closed, timeout=60, interval=0.2, what="trickler dropped")
        wait_for(lambda: closed_by_server(idle), timeout=60, interval=0.2, what="idle closed")
        assert time.monotonic() - began >= 2  # not before the read timeout
    finally:
        trickling.close()
        idle.close()


def test_a_body_past_the_limit_is_refused_before_it_is_read(start_mockprock) -> None:
    server = start_mockprock("--max-body-bytes", "1000", "--read-timeout", "5")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /api/v1/exam/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n" + b"x" * 1000
        )
        # The answer comes with 49,999,000 bytes of the body never sent.
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.decode(errors="replace").partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413"), head
    assert json.loads(body) == {
        "error": "request_entity_too_large",
        "detail": "the request body is larger than 1000 bytes",
    }
