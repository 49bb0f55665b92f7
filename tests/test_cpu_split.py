"""``benchmarks/cpu_split.py``'s rules in plain Python: which part a call's CPU goes to,
and the report per lifecycle. Its figures are printed by the benchmark, never asserted
here."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import cpu_split


def test_a_request_is_split_by_method_and_route_with_its_ids_replaced() -> None:
    kind = cpu_split.request_kind
    attempt = "a" * 32
    path = f"/api/v1/exam/12/attempt/{attempt}/"
    assert kind({"REQUEST_METHOD": "GET", "PATH_INFO": path}) == (
        "app GET /api/v1/exam/<id>/attempt/<id>/"
    )
    assert kind({"REQUEST_METHOD": "GET", "PATH_INFO": "/desktop/ping"}) == "app GET /desktop/ping"
    # Only whole path segments of a store id or an external id are ids.
    assert kind({"REQUEST_METHOD": "POST", "PATH_INFO": "/v2/exam"}) == "app POST /v2/exam"


def test_each_call_adds_its_own_threads_cpu_to_its_part(tmp_path) -> None:
    split = cpu_split.CpuSplit()

    def busy(environ: dict, start_response: object) -> str:
        end = time.thread_time() + 0.02
        while time.thread_time() < end:
            pass
        return "answered"

    def idle() -> None:
        time.sleep(0.05)  # waiting costs no CPU

    timed = split.timed(cpu_split.request_kind, busy)
    assert timed({"REQUEST_METHOD": "GET", "PATH_INFO": "/desktop/ping"}, None) == "answered"
    split.timed("idle", idle)()
    assert split.calls == {"app GET /desktop/ping": 1, "idle": 1}
    assert split.seconds["app GET /desktop/ping"] >= 0.02
    assert split.seconds["idle"] < 0.01

    out = tmp_path / "split.json"
    split.write(str(out))
    lines = cpu_split.report(str(out), lifecycles=2).splitlines()
    assert lines[1].startswith("app GET /desktop/ping")  # the largest first
    assert float(lines[1].split()[-3]) >= 10.0  # 20 ms of CPU over 2 lifecycles
    assert lines[2].startswith("idle")
