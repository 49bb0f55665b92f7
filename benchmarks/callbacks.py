"""How fast callbacks reach the LMS, and what queueing them costs a request.

    python benchmarks/callbacks.py [--attempts 200]

Starts the real server and the LMS stand-in on loopback, with zero delays, and prints:

* the time from ``PATCH submitted`` (answered) until the stand-in has recorded the
  ``reviewed`` callback, attempt after attempt (median, 95th percentile);
* the latency of ``PATCH submitted`` (which queues a review) next to ``PATCH started``
  (which queues nothing): queueing must not make the LMS wait;
* the drain rate of a backlog: that many reviews held without LMS credentials, then
  released at once by setting them through the control API.

Figures vary with the machine; compare within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.conftest import ATTEMPT, EXAM, LMS_CLIENT, lms_stub_argv
from tests.helpers import ServerProcess, mockprock_argv, wait_for

ZERO = ("--review-delay", "0", "--ready-delay", "0")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def delivery_latency(server_url: str, lms: LmsStubClient, lms_url: str, count: int) -> None:
    provider = ProviderClient(server_url, "abcd", "abcdsecret")
    exam_id = provider.save_exam(EXAM)
    delivery, started, submitted = [], [], []
    for n in range(count):
        attempt = {**ATTEMPT, "lms_host": lms_url, "user_id": f"bench-{n}"}
        attempt_id = provider.register_attempt(exam_id, attempt)["id"]
        lms.add_attempt(attempt_id)
        t0 = time.perf_counter()
        provider.set_attempt_status(exam_id, attempt_id, "started")
        t1 = time.perf_counter()
        lms.set_status(attempt_id, "submitted")
        t2 = time.perf_counter()
        provider.set_attempt_status(exam_id, attempt_id, "submitted")
        t3 = time.perf_counter()
        wait_for(lambda a=attempt_id: lms.callbacks("reviewed", a), interval=0.001)
        delivery.append(time.perf_counter() - t3)
        started.append(t1 - t0)
        submitted.append(t3 - t2)
    print(f"{count} attempts, one after the other:")
    print(
        f"  submitted -> review at the LMS   median {ms(statistics.median(delivery))}"
        f"   p95 {ms(percentile(delivery, 0.95))}   (includes the stand-in's polling)"
    )
    print(
        f"  PATCH started   (queues nothing) median {ms(statistics.median(started))}"
        f"   p95 {ms(percentile(started, 0.95))}"
    )
    print(
        f"  PATCH submitted (queues review)  median {ms(statistics.median(submitted))}"
        f"   p95 {ms(percentile(submitted, 0.95))}"
    )


def backlog_drain(server_url: str, lms: LmsStubClient, lms_url: str, count: int) -> None:
    provider = ProviderClient(server_url, "abcd", "abcdsecret")
    control = ControlClient(server_url, "abcd", "abcdsecret")
    exam_id = provider.save_exam({**EXAM, "id": 99, "content_id": "block-v1:backlog"})
    ids = set()
    for n in range(count):
        attempt = {**ATTEMPT, "lms_host": lms_url, "user_id": f"backlog-{n}"}
        attempt_id = provider.register_attempt(exam_id, attempt)["id"]
        ids.add(attempt_id)
        lms.add_attempt(attempt_id, status="submitted")
        provider.set_attempt_status(exam_id, attempt_id, "submitted")
    held = control.callbacks(state="held")
    assert len(held) == count, len(held)
    start = time.perf_counter()
    control.change_settings(lms_client_id=LMS_CLIENT[0], lms_client_secret=LMS_CLIENT[1])
    wait_for(lambda: len(control.callbacks(state="delivered")) == count, timeout=300, interval=0.05)
    elapsed = time.perf_counter() - start
    reviews = [
        c for c in lms.callbacks("reviewed") if c["answer_status"] == 200 and c["attempt_id"] in ids
    ]
    print(f"backlog of {count} held reviews, released at once:")
    print(
        f"  all delivered in {elapsed:.2f} s ({count / elapsed:.0f} callbacks/s); "
        f"at the LMS: {len(reviews)} (each once: {len({c['attempt_id'] for c in reviews})})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stub = ServerProcess(lms_stub_argv()).start()
        try:
            lms = LmsStubClient(stub.url)
            server = ServerProcess(
                mockprock_argv(Path(tmp) / "a.sqlite", *LMS_CLIENT, "-l", stub.url, *ZERO)
            ).start()
            try:
                delivery_latency(server.url, lms, stub.url, args.attempts)
            finally:
                server.stop()
            held = ServerProcess(
                mockprock_argv(Path(tmp) / "b.sqlite", "-l", stub.url, *ZERO)
            ).start()
            try:
                backlog_drain(held.url, lms, stub.url, args.attempts)
            finally:
                held.stop()
        finally:
            stub.stop()


if __name__ == "__main__":
    main()
