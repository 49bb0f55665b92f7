"""How many learners one server carries during an exam start: N ramped until it is full.

    python benchmarks/capacity.py [--window 60] [--first 250] [--max 32000]
                                  [--app mockprock|bare|both] [--threads 6]
                                  [--server-processes 1] [-p 2] [--client-threads 64]
    python benchmarks/capacity.py --sizes 1000,2000 --threads 6,16,32   # fixed N, threads

N learners register and start within one window (60 s: "within a minute"), spread
evenly over it, not all at once. Each start is what the LMS and the browser do:
register, GET attempt, the download page, PATCH ``started``, desktop start. Then the
learner's browser pings the desktop application as edx-proctoring's worker does: the
first ping half a ping interval after the exam page renders, then one every interval
(``proctored_exam_view.js``: ``timerTick % pingInterval === pingInterval / 2``; the
interval is the backend's ``ping_interval``, by default
``DEFAULT_DESKTOP_APPLICATION_PING_INTERVAL_SECONDS`` = 60 in ``edx_proctoring/
constants.py``). One window after its start the learner stops the application and
submits, so submissions come as spread as the starts. ``ready`` and ``reviewed`` reach
an LMS sink (``servers.py sink``), each counted once, with its delay after the answer
that triggered it.

A shorter ``--window`` W scales time by W/60: the ping interval becomes 60 x W/60 s,
and N x W/60 learners starting in W seconds send the requests per second that N
learners starting in a minute send. Every figure is printed for N, learners per minute
(the full-scale figure); the learners actually run are N x W/60 (``run``). So
``--window 15`` answers the same question four times faster, less smoothly.

Each N runs on a fresh server, store and sink. The ramp doubles N from ``--first`` until
a step is full, then bisects between the last N that passed and the first that did not
(to ``--resolution``). A step is full when the p99 of any LMS-facing call (register, GET
attempt, PATCH started, PATCH submitted) passes 1 s, a request failed, or a callback was
lost or doubled. ``--app bare`` ramps the bare Flask app (constant answers, no
callbacks) for the ceiling; ``--server-processes`` serves it from that many processes.

Per N: requests/s, p50/p99 per call, errors, callbacks' p99, the server's and the
client's CPU (% of one core: 200 % is both cores), the machine's idle CPU (% of all its
cores: is there a core to spare?), peak threads and RSS, and how late the client sent
(``lag``, p99: requests wait in the client when every client thread waits for an
answer, so past a second the step counts as full; the client's CPU says whether it
was the client).
"""

from __future__ import annotations

import argparse
import collections
import heapq
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from lifecycle import CLIENT, EXAM, LmsWorker, Run, bench_serve_args, wait_for_callbacks
from lifecycle_report import ENDPOINTS, CallbackTally, callback_tally

from mockprock.client import ProviderClient

# edx-proctoring's default ping interval (constants.py, DESKTOP_APPLICATION_PING_INTERVAL_SECONDS).
PING_INTERVAL = 60.0
FULL_WINDOW = 60.0  # "within a minute"
LMS_CALLS = ("register", "get attempt", "PATCH started", "PATCH submitted")
P99_LIMIT = 1.0  # seconds: past it, the LMS's users wait visibly
CALLS = tuple(name for name in ENDPOINTS if name != "token")


# -- the plan: when each learner does what ------------------------------------------


@dataclass(frozen=True)
class Plan:
    """``per_minute`` learners' exam start, run in ``window`` seconds."""

    per_minute: int
    window: float = FULL_WINDOW

    @property
    def scale(self) -> float:
        return self.window / FULL_WINDOW

    @property
    def learners(self) -> int:
        return max(1, round(self.per_minute * self.scale))

    @property
    def ping_interval(self) -> float:
        return PING_INTERVAL * self.scale

    def start_at(self, n: int) -> float:
        """Learner ``n``'s start, seconds into the window (evenly spread over it)."""
        return (n + 0.5) * self.window / self.learners

    def after(self, n: int, kind: str, due: float) -> tuple[str, float]:
        """What learner ``n`` does next after ``kind`` (due at ``due``), and when: pings
        at half an interval after the start and every interval, until one window after
        the start, then ``finish``."""
        end = self.start_at(n) + self.window
        following = due + (self.ping_interval / 2 if kind == "start" else self.ping_interval)
        return ("ping", following) if following < end else ("finish", end)


# -- the stop rule and the ramp -----------------------------------------------------


@dataclass
class Step:
    """What one N measured."""

    app: str
    plan: Plan
    threads: int | None = None
    processes: int = 1
    wall: float = 0.0  # from the first scheduled start to the last answer
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    callbacks: dict[str, CallbackTally] = field(default_factory=dict)
    cpu_percent: float = 0.0
    client_cpu_percent: float = 0.0
    machine_idle_percent: float = 0.0  # of all cores: 50 % is one core idle of two
    peak_threads: int = 0
    peak_rss_kib: int = 0

    def p(self, name: str, fraction: float) -> float:
        return harness.percentile(self.latencies.get(name, []), fraction)

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


def full_because(step: Step, limit: float = P99_LIMIT) -> list[str]:
    """Why ``step``'s server is full (nothing: it carried the load): an LMS-facing
    call's p99 past ``limit`` seconds, a failed request, a callback lost or doubled; or
    requests sent more than ``limit`` late at p99: every client thread was waiting for
    an answer, so requests queued in the client, where no latency sees them (answers
    came slower than requests fell due; or the client lacked CPU: see its CPU %)."""
    reasons = [
        f"{name} p99 {step.p(name, 0.99) * 1000:.0f} ms"
        for name in LMS_CALLS
        if step.p(name, 0.99) > limit
    ]
    lag = harness.percentile(step.lags, 0.99)
    if lag > limit:
        reasons.append(f"behind schedule, lag p99 {lag * 1000:.0f} ms")
    if step.errors:
        reasons.append(f"{len(step.errors)} errors")
    for kind, tally in step.callbacks.items():
        if tally.missing:
            reasons.append(f"{tally.missing} {kind} lost")
        if tally.doubled:
            reasons.append(f"{tally.doubled} {kind} doubled")
    return reasons


def next_size(
    results: dict[int, bool], first: int, maximum: int, resolution: float = 0.25, grain: int = 50
) -> int | None:
    """The next N to try, given each N tried and whether it passed; None when done.

    Doubles from ``first`` while every N passed (up to ``maximum``); then bisects
    between the largest N that passed below the smallest that failed, until they are
    within ``resolution`` of the failing one, on multiples of ``grain``."""
    if not results:
        return first
    failed = [n for n, ok in results.items() if not ok]
    if not failed:
        n = 2 * max(results)
        return n if n <= maximum else None
    high = min(failed)
    low = max((n for n, ok in results.items() if ok and n < high), default=0)
    if high - low <= max(grain, resolution * high):
        return None
    middle = round((low + high) / 2 / grain) * grain
    if middle <= low or middle >= high or middle in results:
        return None
    return middle


def capacity(results: dict[int, bool]) -> int:
    """The largest N that passed below every N that failed (0 if none passed)."""
    high = min((n for n, ok in results.items() if not ok), default=None)
    return max((n for n, ok in results.items() if ok and (high is None or n < high)), default=0)


def machine_times() -> tuple[float, float]:
    """The whole machine's (idle, total) CPU time so far, from /proc/stat's cpu line."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks[:8])  # idle + iowait; all but guest time


# -- the load: client processes, each a timetable and a pool of threads -------------


class Timetable:
    """Events ``(due, kind, learner, attempt id)`` handed to threads when due; a
    learner's next event is queued when its last one is done."""

    def __init__(self, plan: Plan, learners: Iterable[int], t0: float) -> None:
        self.plan, self.t0 = plan, t0
        self.events = [(t0 + plan.start_at(n), "start", n, "") for n in learners]
        heapq.heapify(self.events)
        self.learning = len(self.events)  # learners not finished
        self.cond = threading.Condition()

    def take(self) -> tuple[float, str, int, str] | None:
        with self.cond:
            while self.learning:
                now = time.time()
                if self.events and self.events[0][0] <= now:
                    return heapq.heappop(self.events)
                wait = self.events[0][0] - now if self.events else None
                self.cond.wait(wait)
            return None

    def done(self, kind: str, due: float, n: int, attempt_id: str | None) -> None:
        """``kind`` of learner ``n`` ran; ``attempt_id`` None: the learner stops here."""
        with self.cond:
            if attempt_id is None or kind == "finish":
                self.learning -= 1
            else:
                following, at = self.plan.after(n, kind, due - self.t0)
                heapq.heappush(self.events, (self.t0 + at, following, n, attempt_id))
            self.cond.notify_all()


def drive(
    plan: Plan,
    part: int,
    parts: int,
    threads: int,
    base_url: str,
    exam_id: str,
    lms_url: str,
    ready: Any,
    go: Any,
    t0: Any,
    results: Any,
) -> None:
    """One client process: learners ``part``, ``part + parts``, ... on ``threads`` threads."""
    run = Run("part", plan.learners)
    lags: list[float] = []
    workers = [LmsWorker(base_url, exam_id, lms_url, run) for _ in range(threads)]
    for worker in workers:
        worker.token()
    cpu_before = sum(os.times()[:2])
    ready.wait()
    go.wait()
    table = Timetable(plan, range(part, plan.learners, parts), t0.value)

    def work(worker: LmsWorker) -> None:
        while (event := table.take()) is not None:
            due, kind, n, attempt_id = event
            lags.append(time.time() - due)
            if kind == "start":
                done_id = worker.start(n)
            elif kind == "ping":
                worker.ping(attempt_id)
                done_id = attempt_id
            else:
                worker.finish(attempt_id)
                done_id = attempt_id
            table.done(kind, due, n, done_id)

    pool = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies = {k: v for k, v in run.latencies.items() if k != "token"}
    cpu = sum(os.times()[:2]) - cpu_before
    results.put(
        (time.time(), latencies, run.errors, run.ready_after, run.reviewed_after, lags, cpu)
    )


def measure(
    step: Step, server: harness.ServerProcess, lms_url: str, client_processes: int, threads: int
) -> None:
    """Run ``step.plan`` against ``server``; fill ``step`` in."""
    exam_id = ProviderClient(server.url, *CLIENT).save_exam(EXAM)
    context = multiprocessing.get_context("spawn")
    ready, go = context.Barrier(client_processes + 1), context.Event()
    t0, results = context.Value("d", 0.0), context.Queue()
    shared = (server.url, exam_id, lms_url, ready, go, t0, results)
    clients = [
        # Daemons: an interrupted run (Ctrl-C, SIGTERM) does not wait for their schedule.
        context.Process(
            target=drive, args=(step.plan, part, client_processes, threads, *shared), daemon=True
        )
        for part in range(client_processes)
    ]
    for client in clients:
        client.start()
    proc = harness.ProcSample(harness.server_pid(server), tree=step.processes > 1).start()
    ready.wait()  # every client has its sessions and tokens
    cpu_before, machine_before = proc.cpu_seconds(), machine_times()
    t0.value = began = time.time() + 0.2
    go.set()
    run = Run(step.app, step.plan.learners)
    ended, client_cpu = [], 0.0
    for _ in clients:
        end, latencies, errors, ready_after, reviewed_after, lags, cpu = results.get()
        ended.append(end)
        client_cpu += cpu
        for name, values in latencies.items():
            run.latencies[name].extend(values)
        run.errors.extend(errors)
        run.ready_after.update(ready_after)
        run.reviewed_after.update(reviewed_after)
        step.lags.extend(lags)
    for client in clients:
        client.join()
    step.wall = max(ended) - began
    if lms_url:
        expected = len(run.ready_after) + len(run.reviewed_after)
        run.callbacks = wait_for_callbacks(lms_url, expected)
        step.callbacks = {
            kind: callback_tally(kind, triggers, run.callbacks)
            for kind, triggers in (("ready", run.ready_after), ("reviewed", run.reviewed_after))
        }
    elapsed = time.time() - began
    step.cpu_percent = 100 * (proc.cpu_seconds() - cpu_before) / elapsed
    (idle, total), (idle_before, total_before) = machine_times(), machine_before
    idle, total = idle - idle_before, total - total_before
    step.machine_idle_percent = 100 * idle / total if total else 0.0
    step.client_cpu_percent = 100 * client_cpu / step.wall if step.wall else 0.0
    proc.stop()
    step.peak_threads, step.peak_rss_kib = proc.peak_threads, proc.peak_rss_kib
    step.latencies = dict(run.latencies)
    step.requests = sum(len(v) for v in run.latencies.values())  # answered
    step.errors = run.errors


def run_step(step: Step, client_processes: int, client_threads: int) -> Step:
    """``step`` on a fresh server (and, for mockprock, a fresh store and sink)."""
    with tempfile.TemporaryDirectory() as tmp:
        sink = harness.start(harness.python_argv("sink")) if step.app == "mockprock" else None
        try:
            if sink:
                args = bench_serve_args(Path(tmp) / "capacity.sqlite", sink.url)
                args += ["--ping-interval", str(max(1, round(step.plan.ping_interval)))]
                argv = harness.mockprock_serve_argv("waitress", None, *args, threads=step.threads)
            else:
                argv = harness.bare_argv("waitress", step.threads, step.processes)
            server = harness.start(argv)
            try:
                measure(step, server, sink.url if sink else "", client_processes, client_threads)
            finally:
                server.stop()
        finally:
            if sink:
                sink.stop()
    return step


# -- what it prints -----------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def summary_line(step: Step) -> str:
    worst = max(LMS_CALLS, key=lambda name: step.p(name, 0.99))
    cb = step.callbacks
    callbacks = (
        f"{ms(harness.percentile(cb['ready'].delays, 0.99)):>6}"
        f"{ms(harness.percentile(cb['reviewed'].delays, 0.99)):>7}"
        f"{sum(t.missing for t in cb.values()):>5}{sum(t.doubled for t in cb.values()):>5}"
        if cb
        else f"{'-':>6}{'-':>7}{'-':>5}{'-':>5}"
    )
    reasons = full_because(step)
    return (
        f"{step.plan.per_minute:>7}{step.plan.learners:>7}{step.rate:>8.1f}"
        f"{ms(step.p(worst, 0.99)):>8} {worst:<16}{len(step.errors):>5}"
        + callbacks
        + f"{step.cpu_percent:>6.0f}{step.client_cpu_percent:>7.0f}{step.peak_threads:>5}"
        f"{step.peak_rss_kib / 1024:>6.0f}{ms(harness.percentile(step.lags, 0.99)):>6}"
        f"{step.machine_idle_percent:>5.0f}  "
        + ("full: " + "; ".join(reasons) if reasons else "carried")
    )


SUMMARY_HEADER = (
    f"{'N/min':>7}{'run':>7}{'req/s':>8}{'LMS p99':>8} {'(worst call)':<16}{'err':>5}"
    f"{'ready':>6}{'review':>7}{'lost':>5}{'dup':>5}{'CPU%':>6}{'client':>7}{'thr':>5}"
    f"{'RSS':>6}{'lag':>6}{'idle':>5}  verdict"
)


def calls_table(steps: list[Step]) -> str:
    lines = ["p50 / p99 per call, ms", f"{'N/min':>7}" + "".join(f"{c[:15]:>16}" for c in CALLS)]
    for step in steps:
        cells = "".join(f"{ms(step.p(c, 0.5)) + ' / ' + ms(step.p(c, 0.99)):>16}" for c in CALLS)
        lines.append(f"{step.plan.per_minute:>7}{cells}")
    return "\n".join(lines)


def describe(step: Step) -> str:
    threads = step.threads or ("6 (mockprock's)" if step.app == "mockprock" else "16")
    procs = f", {step.processes} server processes" if step.processes > 1 else ""
    return f"{step.app}, waitress threads {threads}{procs}"


def ramp(
    app: str,
    args: argparse.Namespace,
    threads: int | None,
    sizes: list[int] | None = None,
) -> list[Step]:
    """Steps of one ramp (or of the fixed ``sizes``), each printed as it ends."""
    results: dict[int, bool] = {}
    steps: list[Step] = []
    print(f"\n{describe(Step(app, Plan(0), threads, args.server_processes))}", flush=True)
    print(SUMMARY_HEADER, flush=True)
    fixed = iter(sizes or ())
    while True:
        n = (
            next(fixed, None)
            if sizes
            else next_size(results, args.first, args.max, args.resolution)
        )
        if n is None:
            break
        step = Step(app, Plan(n, args.window), threads, args.server_processes)
        run_step(step, args.client_processes, args.client_threads)
        steps.append(step)
        results[n] = not full_because(step)
        print(summary_line(step), flush=True)
    steps.sort(key=lambda s: s.plan.per_minute)
    print(calls_table(steps))
    if sizes is None:
        print(f"=> {describe(steps[0])}: carries {capacity(results)} learners starting per minute")
    errors = collections.Counter(e[:100] for step in steps for e in step.errors)
    for line, count in errors.most_common(5):
        print(f"  error x{count}: {line}")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=FULL_WINDOW, help="seconds (60: full)")
    parser.add_argument("--first", type=int, default=250, help="first N (learners/minute)")
    parser.add_argument("--max", type=int, default=32000, help="largest N the ramp tries")
    parser.add_argument("--resolution", type=float, default=0.25, help="bisect to this share")
    parser.add_argument("--sizes", help="fixed Ns instead of a ramp, e.g. 1000,2000")
    parser.add_argument("--app", choices=("mockprock", "bare", "both"), default="mockprock")
    parser.add_argument("--threads", help="waitress threads, or several: 6,16,32")
    parser.add_argument("--server-processes", type=int, default=1, help="bare app only")
    parser.add_argument("-p", "--client-processes", type=int, default=2)
    parser.add_argument("--client-threads", type=int, default=64, help="per client process")
    args = parser.parse_args()
    if args.server_processes > 1 and args.app != "bare":
        parser.error("--server-processes: mockprock serves from one process (docs/performance.rst)")
    if not 0 < args.window <= FULL_WINDOW:
        parser.error(f"--window: seconds, more than 0 and at most {FULL_WINDOW:g}")
    try:
        sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else None
        thread_counts = [int(t) for t in args.threads.split(",")] if args.threads else [None]
    except ValueError:
        parser.error("--sizes and --threads: whole numbers separated by commas")
    if any(n < 1 for n in [*(sizes or []), *(t for t in thread_counts if t is not None)]):
        parser.error("--sizes and --threads: 1 or more")
    harness.clean_up_on_sigterm()
    print(harness.machine(), "(at the start)", flush=True)
    scale = f"window {args.window:g} s: time x {args.window / FULL_WINDOW:g}"
    print(
        f"{scale}, ping every {PING_INTERVAL * args.window / FULL_WINDOW:g} s; N is learners/minute"
    )
    apps = ("mockprock", "bare") if args.app == "both" else (args.app,)
    for app in apps:
        for threads in thread_counts:
            ramp(app, args, threads, sizes)
    print(f"\n{harness.machine()} (at the end)")


if __name__ == "__main__":
    main()
