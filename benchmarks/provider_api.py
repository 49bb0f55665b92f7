"""Latency and memory of the provider API against a bare Flask app on the same server.

    python benchmarks/provider_api.py [--requests 500]

Starts the real mockprock server and a bare Flask app (same Werkzeug threaded
server, one JSON route) on loopback, sends the same number of sequential requests to
each over one keep-alive session, and prints the median and 95th-percentile latency,
the ratio to the bare app, and each server's resident memory afterwards. Figures
vary with the machine: compare ratios within one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockprock.client import ProviderClient
from tests.helpers import ServerProcess, mockprock_argv

BARE_APP = """
import sys
from flask import Flask, jsonify
from werkzeug.serving import make_server
app = Flask(__name__)
@app.get("/api/v1/config/")
def config():
    return jsonify({"name": "bare", "rules": {}, "instructions": [], "download_url": ""})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
"""

EXAM = {
    "id": 0,
    "course_id": "course-v1:Bench+B+1",
    "content_id": "block-v1:Bench",
    "exam_name": "Bench",
    "time_limit_mins": 30,
    "is_proctored": True,
    "is_practice_exam": False,
    "rules": {},
}


def rss_kib(server: ServerProcess) -> int:
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def timed(call, count: int) -> list[float]:
    times = []
    for n in range(count):
        start = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float], base: float | None = None) -> float:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    ratio = f"  x{median / base:.2f} of bare" if base else ""
    print(f"{name:<34} median {median:6.2f} ms   p95 {p95:6.2f} ms{ratio}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    count = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        bare = ServerProcess([sys.executable, "-c", BARE_APP]).start()
        mock = ServerProcess(mockprock_argv(Path(tmp) / "bench.sqlite")).start()
        try:
            session = requests.Session()
            provider = ProviderClient(mock.url, "abcd", "abcdsecret")
            provider.token()
            timed(lambda n: session.get(bare.url + "/api/v1/config/"), 50)  # warm up
            timed(lambda n: provider.config(), 50)

            print(f"{count} sequential requests each, one keep-alive session\n")
            base = summary(
                "bare Flask GET /api/v1/config/",
                timed(lambda n: session.get(bare.url + "/api/v1/config/"), count),
            )
            summary(
                "mockprock GET /api/v1/config/", timed(lambda n: provider.config(), count), base
            )
            exam_ids = []
            summary(
                "mockprock POST /api/v1/exam/ (new)",
                timed(
                    lambda n: exam_ids.append(
                        provider.call("POST", "/api/v1/exam/", json={**EXAM, "id": n})["id"]
                    ),
                    count,
                ),
                base,
            )
            attempt = {"lms_host": "http://127.0.0.1:9", "user_id": "u", "status": "created"}
            summary(
                "mockprock POST .../attempt/",
                timed(lambda n: provider.register_attempt(exam_ids[n], attempt), count),
                base,
            )
            bare_mib, mock_mib = rss_kib(bare) / 1024, rss_kib(mock) / 1024
            print(f"\nresident memory: bare {bare_mib:.1f} MiB, mockprock {mock_mib:.1f} MiB")
        finally:
            bare.stop()
            mock.stop()


if __name__ == "__main__":
    main()
