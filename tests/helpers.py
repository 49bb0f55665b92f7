"""Test helpers shared by every test module: live servers, waiting, wire fixtures."""

from __future__ import annotations

import json
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

REPO = Path(__file__).resolve().parent.parent
WIRE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "edx-proctoring-6.1.4-wire.jsonl"
LISTENING = re.compile(r"listening on (http://\S+)")


def wire_requests() -> list[dict[str, Any]]:
    """Every line of the recording of the real edx-proctoring 6.1.4."""
    return [json.loads(line) for line in WIRE_FIXTURE.read_text().splitlines() if line.strip()]


def wait_for(
    condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


class ServerProcess:
    """A process that prints ``listening on http://...`` once it serves (mockprock, the LMS
    stand-in): started on a free port, its output kept for inspection, stopped by the test."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
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
            cwd=REPO,
        )
        found: queue.Queue[str] = queue.Queue()

        def read(stream: Any) -> None:
            for line in stream:
                self.lines.append(line)
                match = LISTENING.search(line)
                if match:
                    found.put(match.group(1))

        threading.Thread(target=read, args=(self.proc.stdout,), daemon=True).start()
        try:
            self.url = found.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise AssertionError("server did not start:\n" + self.output()) from None
        return self

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def mockprock_argv(db: Path, *args: str) -> list[str]:
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
