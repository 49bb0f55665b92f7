"""Fixtures of the conformance-kit tests: providers served on loopback, and the kit run
as the ``mockprock conformance`` command with its JSON report read back."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from mockprock.cli import main

PROVIDER_CLIENT = ("vendor-client", "vendor-client-secret-long-enough-for-hs256")
LMS_CLIENT = ("kit-lms-client", "kit-lms-secret")
# Callbacks of the test providers come at once; a missing one is known after this.
CALLBACK_WAIT = "4"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@dataclass
class Served:
    url: str
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """Serve Flask apps on free loopback ports; all stopped afterwards."""
    served: list[Served] = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        served.append(Served(f"http://127.0.0.1:{server.server_port}", server, thread))
        return served[-1].url

    yield start
    for item in served:
        item.stop()


@dataclass
class KitRun:
    exit_code: int
    output: str
    report: dict[str, Any]

    def outcome(self, name: str) -> str:
        return self.by_name()[name]["outcome"]

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.report["results"]}

    def named(self, outcome: str) -> list[str]:
        return [r["name"] for r in self.report["results"] if r["outcome"] == outcome]


@pytest.fixture
def run_kit(tmp_path: Path) -> Callable[..., KitRun]:
    """``run_kit(url, "--only", "attempts")``: the command, exit code, output and report."""
    counter = iter(range(1000))

    def run(url: str, *args: str, client: tuple[str, str] = PROVIDER_CLIENT) -> KitRun:
        report = tmp_path / f"report-{next(counter)}.json"
        result = CliRunner().invoke(
            main,
            [
                "conformance",
                "--url",
                url,
                "--client-id",
                client[0],
                "--client-secret",
                client[1],
                "--lms-client-id",
                LMS_CLIENT[0],
                "--lms-client-secret",
                LMS_CLIENT[1],
                "--callback-wait",
                CALLBACK_WAIT,
                "--json",
                str(report),
                *args,
            ],
            catch_exceptions=False,
        )
        return KitRun(result.exit_code, result.output, json.loads(report.read_text()))

    return run
