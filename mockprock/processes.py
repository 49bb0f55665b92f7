"""Servers as processes: serving until told to stop, and starting one from outside.

A mockprock server and the LMS stand-in both print ``listening on http://...`` once they
serve; :class:`ServerProcess` starts either as a user would and waits for that line
(``mockprock demo``, the tests and the benchmarks use it). :func:`wait_for` polls a
condition instead of sleeping for a fixed time.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

LISTENING = re.compile(r"listening on (http://\S+)")


class ServerStartError(RuntimeError):
    """The process ended or said nothing before serving; the message holds its output."""


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds serve_until_stopped so its cleanup runs


def serve_until_stopped(
    server: Any, banner: str, on_stop: Callable[[], None] = lambda: None
) -> None:
    """Print ``banner`` (it ends with the ``listening on`` line) and serve ``server``
    (``serve_forever``/``server_close``: mockprock's waitress server, or Werkzeug's for
    the LMS stand-in) until Ctrl-C or SIGTERM; then close it and run ``on_stop``."""
    signal.signal(signal.SIGTERM, _terminate)
    click.echo(banner)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        on_stop()


def wait_until_stopped(process: subprocess.Popen | None) -> None:
    """Wait for ``process`` to end, or for Ctrl-C or SIGTERM to this process."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if process is not None:
            process.wait()
    except KeyboardInterrupt:
        pass
    # A second signal must not cut short the caller's clean-up (stopping its servers).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for(
    condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns something truthy, and return that; TimeoutError
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what or condition}")
        time.sleep(interval)


class ServerProcess:
    """A server process started on a free port; its output kept for inspection."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = cwd
        self.lines: list[str] = []
        self.url = ""
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        found: queue.Queue[str | None] = queue.Queue()

        def read(stream: Any) -> None:
            for line in stream:
                self.lines.append(line)
                match = LISTENING.search(line)
                if match:
                    found.put(match.group(1))
            found.put(None)  # the process ended

        threading.Thread(target=read, args=(self.proc.stdout,), daemon=True).start()
        try:
            url = found.get(timeout=timeout)
        except queue.Empty:
            url = None
        if not url:
            self.stop()
            raise ServerStartError(f"{' '.join(self.argv[:3])} did not start:\n{self.output()}")
        self.url = url
        return self

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int | None:
        """SIGTERM, then the exit code (killed after 15 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def command_help(doc: str) -> str:
    """A module docstring (reStructuredText) as a command's ``--help``: plain text, its
    indented lines (usage examples) kept as they are."""
    text = re.sub(r"``([^`]+)``", r"\1", doc)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    # \b tells click not to rewrap the paragraph that follows.
    return re.sub(r"\n\n(?=    \S)", "\n\n\b\n", text)


def mockprock_argv(db: str | Path, *args: str) -> list[str]:
    """``python -m mockprock.server`` on a free loopback port with its own store."""
    return [
        sys.executable,
        "-m",
        "mockprock.server",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--db",
        str(db),
        *args,
    ]
