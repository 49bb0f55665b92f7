"""What ``benchmarks/lifecycle.py`` prints: its two runs side by side."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import harness

# Endpoints in the order a learner meets them (the token: once per LMS worker).
ENDPOINTS = (
    "token",
    "register",
    "get attempt",
    "download page",
    "PATCH started",
    "desktop start",
    "desktop ping",
    "desktop stop",
    "PATCH submitted",
)


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.2f} x" if b else "     -"


def report(mock: Any, bare: Any, servers: str, workers: int, processes: int) -> None:
    print(
        f"\n{mock.learners} learners, {workers} LMS workers in {processes} client processes, "
        f"HTTP server {servers}"
    )
    print(f"{harness.machine()} (at the end)\n")
    print(f"{'':34}{'bare app':>12}{'mockprock':>12}{'ratio':>10}")
    print(f"{'lifecycles/s':34}{bare.rate:12.1f}{mock.rate:12.1f}  {ratio(mock.rate, bare.rate)}")
    print(f"{'wall time of the load (s)':34}{bare.wall:12.1f}{mock.wall:12.1f}")
    print(f"{'errors':34}{len(bare.errors):12}{len(mock.errors):12}")
    cpu_bare, cpu_mock = (r.cpu / r.learners * 1000 for r in (bare, mock))
    print(
        f"{'server CPU per lifecycle (ms)':34}{cpu_bare:12.1f}{cpu_mock:12.1f}  "
        f"{ratio(cpu_mock, cpu_bare)}"
    )
    print(f"{'peak server threads':34}{bare.peak_threads:12}{mock.peak_threads:12}")
    rss_bare, rss_mock = bare.peak_rss_kib / 1024, mock.peak_rss_kib / 1024
    print(f"{'peak server RSS (MiB)':34}{rss_bare:12.1f}{rss_mock:12.1f}")

    print("\nlatency at the LMS worker, ms (p99 ratio: mockprock / bare)")
    print(
        f"{'':18}{'n':>6}{'bare p50':>10}{'p95':>9}{'p99':>9}"
        f"{'mock p50':>10}{'p95':>9}{'p99':>9}{'p99 ratio':>11}"
    )
    for name in ENDPOINTS:
        b, m = bare.latencies.get(name, []), mock.latencies.get(name, [])
        bp = [harness.percentile(b, f) for f in (0.5, 0.95, 0.99)]
        mp = [harness.percentile(m, f) for f in (0.5, 0.95, 0.99)]
        print(
            f"{name:18}{len(m):6}"
            + "".join(f"{v * 1000:9.1f}" for v in bp)
            + " "
            + "".join(f"{v * 1000:9.1f}" for v in mp)
            + f"  {ratio(mp[2], bp[2])}"
        )

    print("\ncallbacks at the LMS (mockprock)")
    for kind, triggers, after in (
        ("ready", mock.ready_after, "download page"),
        ("reviewed", mock.reviewed_after, "PATCH submitted"),
    ):
        got = callback_tally(kind, triggers, mock.callbacks)
        delays = got.delays
        print(
            f"  {kind:9} expected {got.expected:6}  received {got.received:6}  duplicated "
            f"{got.doubled:4}  unknown {got.stray:3}   delay after {after}: "
            f"p50 {ms(harness.percentile(delays, 0.5))}  p99 {ms(harness.percentile(delays, 0.99))}"
            f"  max {ms(max(delays, default=0))}"
        )
    print(f"  all callbacks in {mock.drain:.1f} s after the last answer")
    for run in (mock, bare):
        for line in collections.Counter(
            e.split(":")[0] + ": " + e.split(":", 1)[1][:80] for e in run.errors
        ).most_common(5):
            print(f"  {run.label} error x{line[1]}: {line[0]}")


@dataclass
class CallbackTally:
    """One kind of callback at the LMS sink against the answers that triggered it."""

    expected: int
    received: int
    doubled: int  # arrivals past the first for one attempt
    stray: int  # attempts that got one and never triggered it
    delays: list[float]  # first arrival after the triggering answer, per attempt

    @property
    def missing(self) -> int:
        """Triggered and never received."""
        return self.expected - len(self.delays)


def callback_tally(
    kind: str, triggers: dict[str, float], callbacks: Iterable[tuple[str, str, float]]
) -> CallbackTally:
    """``kind``'s callbacks among the sink's ``(kind, attempt id, arrived at)`` records,
    against ``triggers`` (attempt id -> when the triggering answer was received)."""
    arrivals = collections.defaultdict(list)
    for got_kind, attempt_id, at in callbacks:
        if got_kind == kind:
            arrivals[attempt_id].append(at)
    return CallbackTally(
        expected=len(triggers),
        received=sum(len(v) for v in arrivals.values()),
        doubled=sum(len(v) - 1 for v in arrivals.values() if len(v) > 1),
        stray=len(set(arrivals) - set(triggers)),
        delays=[min(arrivals[a]) - t for a, t in triggers.items() if a in arrivals],
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"
