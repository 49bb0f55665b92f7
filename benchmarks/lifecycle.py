"""A class taking a proctored exam at once: mockprock under LMS load, against a bare app.

    python benchmarks/lifecycle.py [-n 1000] [-c 50] [-p 2] [--server waitress|werkzeug]
                                   [--bare-server gunicorn] [--profile] [--skip-bare]
                                   [--cpu-split]

Starts ``mockprock serve`` (a temporary --db, zero ready and review delays, LMS
credentials pointing at a sink on loopback) and that sink, which answers the OAuth
token and the ``ready``/``reviewed`` callbacks and records when each arrived. Then
``--workers`` LMS workers (threads spread over ``--client-processes`` processes, each
with keep-alive sessions and a cached token, as ``requests`` and edx-proctoring have
them) run ``--learners`` learners through what the
LMS and the browser worker do: register, GET attempt, GET the download page, PATCH
started, desktop start, 3 pings, desktop stop, PATCH submitted. Then the same request
mix against a bare Flask app (constant JSON of about the same size) on the same Python
and HTTP server, in the same run.

Prints lifecycles/s and the ratio; p50/p95/p99 per endpoint and the ratio of p99s;
callbacks expected/received/duplicated and their delay at the LMS after the answer that
triggered them (``ready`` after the download page, ``reviewed`` after PATCH submitted);
server CPU per lifecycle (utime+stime from /proc); peak threads and RSS of the server.
``--profile`` also samples mockprock's stacks while it serves and prints where the time
went; ``--cpu-split`` prints its CPU by part (``cpu_split.py``: each request kind,
waitress's task and I/O loop, the callbacks' threads), from each thread's CPU time. The
machine is shared and noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import multiprocessing
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cpu_split
import harness
import requests
from lifecycle_report import report

from mockprock.client import ProviderClient
from mockprock.conformance import shapes

CLIENT = ("abcd", "abcdsecret")
LMS_CLIENT = ("bench-lms", "bench-lms-secret")
EXAM = shapes.exam(
    1,
    "Load test",
    course_id="course-v1:Bench+Load+2026",
    content_id="block-v1:Bench+Load+2026+type@sequential+block@final",
    time_limit_mins=60,
)


def learner_attempt(n: int, lms_url: str) -> dict[str, Any]:
    """Learner ``n``'s attempt as the LMS registers it."""
    return {
        "lms_host": lms_url,
        "time_limit_mins": 60,
        "is_sample_attempt": False,
        "user_id": f"learner-{n:07d}",
        "full_name": f"Learner {n}",
        "email": f"learner{n}@example.com",
        "status": "created",
    }


@dataclass
class Run:
    """What one load run against one server measured."""

    label: str
    learners: int
    wall: float = 0.0
    cpu: float = 0.0
    peak_threads: int = 0
    peak_rss_kib: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    # attempt id -> when the answer that triggers its callback was received
    ready_after: dict[str, float] = field(default_factory=dict)
    reviewed_after: dict[str, float] = field(default_factory=dict)
    callbacks: list[tuple[str, str, float]] = field(default_factory=list)
    drain: float = 0.0

    @property
    def rate(self) -> float:
        return self.learners / self.wall if self.wall else 0.0


class LmsWorker:
    """One LMS worker (provider API, cached token) and the browser of its learners."""

    def __init__(self, base_url: str, exam_id: str, lms_url: str, run: Run) -> None:
        self.base = base_url
        self.exam_id = exam_id
        self.lms_url = lms_url
        self.run = run
        self.lms = ProviderClient(base_url, *CLIENT)
        self.browser = requests.Session()

    def timed(self, name: str, call: Any) -> requests.Response | None:
        began = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as exc:
            self.run.errors.append(f"{name}: {exc}")
            return None
        self.run.latencies[name].append(time.perf_counter() - began)
        if response.status_code != 200:
            self.run.errors.append(f"{name}: HTTP {response.status_code} {response.text[:200]}")
            return None
        return response

    def token(self) -> None:
        self.timed("token", lambda: _token_response(self.lms))

    def api(self, name: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        return self.timed(name, lambda: self.lms.request(method, path, **kwargs))

    def page(self, name: str, method: str, path: str) -> requests.Response | None:
        return self.timed(name, lambda: self.browser.request(method, self.base + path, timeout=30))

    def lifecycle(self, n: int) -> None:
        attempt_id = self.start(n)
        if attempt_id is None:
            return
        for _ in range(3):
            self.ping(attempt_id)
        self.finish(attempt_id)

    def start(self, n: int) -> str | None:
        """Learner ``n`` registers and starts: register, GET attempt, the download page,
        PATCH started, desktop start. The attempt's id, or None if it was not registered."""
        exam = f"/api/v1/exam/{self.exam_id}/attempt/"
        attempt = learner_attempt(n, self.lms_url)
        answer = self.api("register", "POST", exam, json=attempt)
        if answer is None:
            return None
        attempt_id = answer.json()["id"]
        if self.api("get attempt", "GET", f"{exam}{attempt_id}/") is None:
            return None
        query = f"attempt={attempt_id}&exam={self.exam_id}"
        if self.page("download page", "GET", f"/download?{query}") is not None:
            self.run.ready_after[attempt_id] = time.time()
        self.api("PATCH started", "PATCH", f"{exam}{attempt_id}/", json={"status": "started"})
        self.page("desktop start", "POST", f"/desktop/start?attempt={attempt_id}")
        return attempt_id

    def ping(self, attempt_id: str) -> None:
        """The learner's browser pings the desktop application (a heartbeat)."""
        self.page("desktop ping", "GET", f"/desktop/ping?attempt={attempt_id}")

    def finish(self, attempt_id: str) -> None:
        """The learner stops the desktop application and submits."""
        self.page("desktop stop", "POST", f"/desktop/stop?attempt={attempt_id}")
        path = f"/api/v1/exam/{self.exam_id}/attempt/{attempt_id}/"
        if self.api("PATCH submitted", "PATCH", path, json={"status": "submitted"}) is not None:
            self.run.reviewed_after[attempt_id] = time.time()


def _token_response(client: ProviderClient) -> requests.Response:
    """The token request edx-proctoring makes (its answer is then cached by ``client``)."""
    response = client.session.post(
        f"{client.base_url}/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "token_type": "jwt",
        },
        timeout=30,
    )
    if response.status_code == 200:
        answer = response.json()
        client._token = answer["access_token"]
        client._token_expires = time.time() + answer["expires_in"]
    return response


def drive(
    base_url: str,
    exam_id: str,
    lms_url: str,
    workers: int,
    learners: int,
    counter: Any,
    ready: Any,
    results: Any,
) -> None:
    """One client process: ``workers`` threads taking learner numbers from ``counter``."""
    run = Run("part", learners)
    pool = [LmsWorker(base_url, exam_id, lms_url, run) for _ in range(workers)]

    def take() -> int:
        with counter.get_lock():
            counter.value += 1
            return counter.value - 1

    def work(worker: LmsWorker) -> None:
        worker.token()
        while (n := take()) < learners:
            worker.lifecycle(n)

    threads = [threading.Thread(target=work, args=(w,)) for w in pool]
    ready.wait()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((time.time(), dict(run.latencies), run.errors, run.ready_after, run.reviewed_after))


def load(
    run: Run, server: harness.ServerProcess, lms_url: str, workers: int, processes: int
) -> None:
    """Run ``run.learners`` lifecycles through ``workers`` threads spread over
    ``processes`` client processes (one Python process's GIL caps what it can send);
    measure the server meanwhile."""
    setup = ProviderClient(server.url, *CLIENT)
    exam_id = setup.save_exam(EXAM)
    context = multiprocessing.get_context("spawn")
    counter, ready, results = context.Value("q", 0), context.Barrier(processes + 1), context.Queue()
    clients = [
        context.Process(
            target=drive,
            args=(server.url, exam_id, lms_url, share, run.learners, counter, ready, results),
        )
        for share in (workers // processes + (i < workers % processes) for i in range(processes))
    ]
    for client in clients:
        client.start()
    proc = harness.ProcSample(harness.server_pid(server)).start()
    cpu_before = proc.cpu_seconds()
    ready.wait()  # every client has its sessions: go
    began = time.time()
    finished = []
    for _ in clients:
        ended, latencies, errors, ready_after, reviewed_after = results.get()
        finished.append(ended)
        for name, values in latencies.items():
            run.latencies[name].extend(values)
        run.errors.extend(errors)
        run.ready_after.update(ready_after)
        run.reviewed_after.update(reviewed_after)
    for client in clients:
        client.join()
    run.wall = max(finished) - began
    if lms_url:
        run.callbacks = wait_for_callbacks(lms_url, 2 * len(run.reviewed_after))
        run.drain = time.time() - began - run.wall
    run.cpu = proc.cpu_seconds() - cpu_before
    proc.stop()
    run.peak_threads, run.peak_rss_kib = proc.peak_threads, proc.peak_rss_kib


def wait_for_callbacks(lms_url: str, expected: int, patience: float = 30.0) -> list:
    """The sink's records once ``expected`` arrived, or once none came for ``patience`` s."""
    session = requests.Session()
    last_count, last_change = -1, time.monotonic()
    while True:
        records = session.get(f"{lms_url}/records", timeout=30).json()
        if len(records) >= expected:
            return records
        if len(records) != last_count:
            last_count, last_change = len(records), time.monotonic()
        elif time.monotonic() - last_change > patience:
            return records
        time.sleep(0.1)


def bench_serve_args(db: Path, lms_url: str) -> list[str]:
    """``mockprock serve``'s flags for a load run: a loopback port, its own store, no
    ready or review delay, callbacks to the sink at ``lms_url``."""
    return [
        "--host", "127.0.0.1", "--port", "0", "--db", str(db),
        "--ready-delay", "0", "--review-delay", "0",
        "--lms-url", lms_url,
        "--lms-client-id", LMS_CLIENT[0], "--lms-client-secret", LMS_CLIENT[1],
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--learners", type=int, default=1000)
    parser.add_argument("-c", "--workers", type=int, default=50, help="concurrent LMS workers")
    parser.add_argument(
        "--server",
        choices=("werkzeug", "waitress"),
        default="waitress",
        help="HTTP server of both apps (mockprock serve has waitress; werkzeug runs "
        "the same command in-process on Werkzeug's development server, as 2.0 did)",
    )
    parser.add_argument(
        "--bare-server",
        choices=harness.SERVERS,
        help="another server for the bare app only (default: --server)",
    )
    parser.add_argument(
        "-p",
        "--client-processes",
        type=int,
        default=2,
        help="processes the workers are spread over (one process's GIL caps the load)",
    )
    parser.add_argument("--profile", action="store_true", help="sample mockprock's stacks")
    parser.add_argument(
        "--cpu-split", action="store_true", help="mockprock's CPU by part, per lifecycle"
    )
    parser.add_argument("--skip-bare", action="store_true", help="measure mockprock only")
    args = parser.parse_args()
    harness.clean_up_on_sigterm()
    for server in {args.server, args.bare_server or args.server} - {"werkzeug"}:
        if importlib.util.find_spec(server) is None:
            parser.error(f"{server} is not installed: .venv/bin/pip install -e '.[server,bench]'")

    print(harness.machine(), "(at the start)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        sink = harness.start(harness.python_argv("sink"))
        profile = str(Path(tmp) / "profile.txt") if args.profile else None
        split = str(Path(tmp) / "cpu_split.json") if args.cpu_split else None
        serve_args = bench_serve_args(Path(tmp) / "bench.sqlite", sink.url)
        mock = Run("mockprock", args.learners)
        bare = Run("bare", args.learners)
        try:
            server = harness.start(
                harness.mockprock_serve_argv(args.server, profile, *serve_args, cpu_split=split)
            )
            try:
                print(f"mockprock: {' '.join(server.argv[:3])} ... at {server.url}", flush=True)
                load(mock, server, sink.url, args.workers, args.client_processes)
            finally:
                server.stop()
            if not args.skip_bare:
                bare_server = harness.start(harness.bare_argv(args.bare_server or args.server))
                try:
                    print(
                        f"bare app ({args.bare_server or args.server}) at {bare_server.url}",
                        flush=True,
                    )
                    load(bare, bare_server, "", args.workers, args.client_processes)
                finally:
                    bare_server.stop()
        finally:
            sink.stop()
        bare_name = args.bare_server or args.server
        servers = (
            f"{args.server} (both apps)"
            if bare_name == args.server
            else f"{args.server} (mockprock), {bare_name} (bare app)"
        )
        report(mock, bare, servers, args.workers, args.client_processes)
        if profile and Path(profile).exists():
            print("\nwhere mockprock's time went (stack samples while serving):")
            print(Path(profile).read_text())
        if split and Path(split).exists():
            print("\nmockprock's CPU by part (each thread's CPU time; parts nest: the task")
            print("holds its request, and the setup's requests count too):")
            print(cpu_split.report(split, args.learners))


if __name__ == "__main__":
    main()
