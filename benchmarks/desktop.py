"""Latency of the desktop application's routes, with many attempts pinging at once.

    python benchmarks/desktop.py [--attempts 50] [--pings 10] [--workers 8]

Starts the real mockprock server (upload delay 600 s) on loopback, registers and
starts ``--attempts`` applications, then sends every attempt ``--pings`` heartbeats
from ``--workers`` threads at once, and stops every application. Prints the median and
95th-percentile latency of start, ping and stop, and the pings per second. A stop that
waited for the upload would show here as 600 s. Figures vary with the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockprock.client import ProviderClient
from tests.conftest import ATTEMPT, EXAM
from tests.helpers import ServerProcess, mockprock_argv


def timed(session: requests.Session, method: str, url: str) -> float:
    began = time.perf_counter()
    response = session.request(method, url, timeout=30)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"{method} {url}: HTTP {response.status_code} {response.text}")
    return elapsed


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:6} n={len(ms):5}  median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=50)
    parser.add_argument("--pings", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            mockprock_argv(Path(tmp) / "bench.sqlite", "--upload-delay", "600")
        ).start()
        try:
            provider = ProviderClient(server.url, "abcd", "abcdsecret")
            exam_id = provider.save_exam(EXAM)
            attempts = [
                provider.register_attempt(exam_id, ATTEMPT)["id"] for _ in range(args.attempts)
            ]
            desktop = f"{server.url}/desktop"
            session = requests.Session()
            starts = [timed(session, "POST", f"{desktop}/start?attempt={a}") for a in attempts]

            def beat(attempt_id: str) -> list[float]:
                with requests.Session() as own:
                    return [
                        timed(own, "GET", f"{desktop}/ping?attempt={attempt_id}")
                        for _ in range(args.pings)
                    ]

            began = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                pings = [s for per_attempt in pool.map(beat, attempts) for s in per_attempt]
            wall = time.perf_counter() - began
            stops = [timed(session, "POST", f"{desktop}/stop?attempt={a}") for a in attempts]
        finally:
            server.stop()

    print(f"{args.attempts} attempts, {args.pings} pings each from {args.workers} threads")
    print(summary("start", starts))
    print(summary("ping", pings))
    print(summary("stop", stops))
    print(f"pings per second: {len(pings) / wall:.0f}")


if __name__ == "__main__":
    main()
