"""The store as it grows: memory, file size and the latency of lookups, pages and views.

    python benchmarks/scale.py [--sizes 1k,10k,100k] [--per-course 1000]
    python benchmarks/scale.py --sizes 1k,10k,100k,1M      # 1M takes a while to load

Bulk-loads one SQLite store through the store's own functions (``store.exams.save_exam``,
``create_attempt``, ``set_attempt_status``, ``add_heartbeat``, ``insert_callback``,
``save_onboarding_profile``; one transaction per batch), as a sandbox fills over weeks
of load tests: each attempt registered, submitted, with 3 heartbeats and both callbacks
delivered; one learner in ten with an onboarding profile; courses of ``--per-course``
attempts over 10 exams. At each size it starts ``mockprock serve`` on that store and
times, over one keep-alive session:

* a point lookup: ``GET /api/v1/exam/<id>/attempt/<id>/`` of random attempts;
* a paged list: one course's onboarding statuses (``page_size=100``);
* the control API's attempts list (``?page_size=100``: paged if the server pages it);
* a dashboard view: the instructor's course view (a link signed as the LMS signs it);
* the operator console's page (signed in), as its 3-second refresh loads it;
* what ``mockprock status`` asks: the control API's newest attempts (``?newest=1``).

Prints, per size: the server's RSS (after start, and its peak while answering), the
file size (with its WAL), the load time, and p50/p99 and answer size of each request.
Point lookups and pages should not slow with size; a course view is of one course.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import harness
import requests

from mockprock.client import ProviderClient
from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url
from mockprock.statuses import PROFILE_APPROVED
from mockprock.store import Store

CLIENT = ("abcd", "abcdsecret")
EXAMS_PER_COURSE = 10
BATCH = 2000
SUFFIXES = {"k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * SUFFIXES[text[-1]]) if text[-1] in SUFFIXES else int(text)


def course_of(n: int, per_course: int) -> tuple[str, int]:
    """The course and exam (0-9) of the n-th attempt."""
    course = n // per_course
    return f"course-v1:Scale+C{course}+2026", (n % per_course) * EXAMS_PER_COURSE // per_course


class Loader:
    """Fills a store to a size, attempt by attempt, through ``Store``'s methods."""

    def __init__(self, path: Path, per_course: int) -> None:
        self.store = Store(str(path))
        self.per_course = per_course
        self.count = self.store.database.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        self.exams: dict[tuple[str, int], str] = {}
        # (exam id, attempt id) to look up; a kept store (--db) gives its own.
        self.sample_ids: list[tuple[str, str]] = [
            tuple(row)
            for row in self.store.database.db.execute(
                "SELECT exam_id, id FROM attempts WHERE rowid % ? = 0",
                (max(1, self.count // 500),),
            )
        ]

    def exam_id(self, course_id: str, number: int) -> str:
        key = (course_id, number)
        if key not in self.exams:
            exam_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{course_id}/{number}").hex
            exam = {
                "lms_exam_id": len(self.exams) + 1,
                "course_id": course_id,
                "content_id": f"block-v1:Scale+type@sequential+block@exam{number}",
                "exam_name": f"Exam {number}",
                "time_limit_mins": 60,
                "is_proctored": True,
                "rules": {"allow_notes": True},
            }
            self.store.exams.save_exam(
                exam_id, CLIENT[0], exam, {**exam, "id": exam["lms_exam_id"]}
            )
            self.exams[key] = exam_id
        return self.exams[key]

    def grow_to(self, size: int, lms_url: str) -> float:
        began = time.perf_counter()
        store = self.store
        while self.count < size:
            with store.database.transaction():
                for n in range(self.count, min(size, self.count + BATCH)):
                    course_id, number = course_of(n, self.per_course)
                    exam_id = self.exam_id(course_id, number)
                    user_id = f"learner-{n:08d}"
                    attempt = {
                        "user_id": user_id,
                        "full_name": f"Learner {n}",
                        "email": f"learner{n}@example.com",
                        "lms_host": lms_url,
                        "time_limit_mins": 60,
                        "status": "created",
                    }
                    attempt_id = store.attempts.create_attempt(exam_id, attempt, attempt)
                    store.attempts.set_attempt_status(attempt_id, "started")
                    now = time.time()
                    for beat in range(3):
                        store.desktop.add_heartbeat(attempt_id, now + beat, True)
                    store.attempts.set_attempt_status(attempt_id, "submitted")
                    for kind in ("ready", "reviewed"):
                        url = f"{lms_url}/api/edx_proctoring/v1/proctored_exam/attempt/"
                        store.callbacks.insert_callback(
                            kind, attempt_id, f"{url}{attempt_id}/{kind}", {}, "delivered", now
                        )
                    if n % 10 == 0:
                        store.onboarding.save_onboarding_profile(
                            CLIENT[0], user_id, PROFILE_APPROVED, course_id, None
                        )
                    if n % max(1, size // 500) == 0:
                        self.sample_ids.append((exam_id, attempt_id))
                self.count = n + 1
        store.database.release()
        return time.perf_counter() - began

    def close(self) -> None:
        self.store.close()


def timed(
    session: requests.Session, url: str, budget: float, most: int, **kwargs: Any
) -> tuple[list[float], int]:
    """Latencies of GETs of ``url`` (a callable of the sample number, or a string) until
    ``most`` samples or ``budget`` seconds; and the size of the last answer."""
    times, size, began = [], 0, time.perf_counter()
    for n in range(most):
        target = url(n) if callable(url) else url
        start = time.perf_counter()
        response = session.get(target, timeout=300, **kwargs)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"GET {target}: HTTP {response.status_code} {response.text[:300]}")
        size = len(response.content)
        if time.perf_counter() - began > budget and n >= 4:
            break
    return times, size


def sign_in(session: requests.Session, url: str) -> None:
    """Sign the session in to the operator console (its cookie then carries it)."""
    page = session.get(f"{url}/mockprock/", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"client_id": CLIENT[0], "client_secret": CLIENT[1]}
    form["csrf_token"] = token.group(1) if token else ""
    answer = session.post(f"{url}/mockprock/sign-in", data=form, timeout=60)
    if 'id="sign-in"' in answer.text:
        raise SystemExit("could not sign in to the console")


def measure(
    server: harness.ServerProcess, loader: Loader, budget: float, per_course: int
) -> dict[str, Any]:
    proc = harness.ProcSample(harness.server_pid(server))
    idle_rss = proc.status()[1]
    proc.start()
    lms = ProviderClient(server.url, *CLIENT)
    lms.token()
    session = lms.session
    session.headers["Authorization"] = f"JWT {lms.token()}"
    picks = random.Random(7).choices(loader.sample_ids, k=1000)
    course_id, _ = course_of(0, per_course)
    link = dashboard_url(
        server.url,
        CLIENT[0],
        CLIENT[1],
        dashboard_claims(CLIENT[0], course_id, DEFAULT_INSTRUCTOR),
    )
    requests_ = {
        "GET attempt": (
            lambda n: f"{server.url}/api/v1/exam/{picks[n][0]}/attempt/{picks[n][1]}/",
            300,
        ),
        "onboarding statuses page": (
            f"{server.url}/api/v1/courses/{course_id}/onboarding_statuses?page=1&page_size=100",
            100,
        ),
        "control API attempts": (f"{server.url}/mockprock/api/attempts?page_size=100", 100),
        "dashboard course view": (link, 100),
        "console page": (f"{server.url}/mockprock/", 100),
        "status (newest attempts)": (
            f"{server.url}/mockprock/api/attempts?newest=1&page_size=50",
            100,
        ),
    }
    sign_in(session, server.url)
    figures: dict[str, Any] = {"idle_rss": idle_rss / 1024}
    for name, (url, most) in requests_.items():
        auth = CLIENT if name.startswith(("control", "status")) else None
        times, size = timed(session, url, budget, most, auth=auth)
        figures[name] = (times, size)
    proc.stop()
    figures["peak_rss"] = proc.peak_rss_kib / 1024
    return figures


def file_mib(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="attempts, e.g. 1k,10k,100k,1M")
    parser.add_argument("--per-course", type=int, default=1000, help="attempts per course")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds of sampling per request kind"
    )
    parser.add_argument("--db", help="keep the store here (default: a temporary directory)")
    args = parser.parse_args()
    harness.clean_up_on_sigterm()
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "scale.sqlite"
        sink = harness.start(harness.python_argv("sink"))
        loader = Loader(path, args.per_course)
        rows = []
        try:
            for size in sizes:
                loading = loader.grow_to(size, sink.url)
                print(f"{size:>9} attempts loaded (+{loading:.0f} s)", flush=True)
                server = harness.start(
                    harness.mockprock_serve_argv(
                        "waitress", None, "--host", "127.0.0.1", "--port", "0", "--db", str(path)
                    )
                )
                try:
                    figures = measure(server, loader, args.budget, args.per_course)
                finally:
                    server.stop()
                rows.append((size, loading, file_mib(path), figures))
        finally:
            loader.close()
            sink.stop()
    report(rows, args.per_course)


def report(rows: list[tuple[int, float, float, dict[str, Any]]], per_course: int) -> None:
    print(f"\n{harness.machine()}")
    print(f"one course = {per_course} attempts over {EXAMS_PER_COURSE} exams; ms")
    print(
        f"{'attempts':>9} {'file MiB':>9} {'RSS idle':>9} {'RSS peak':>9}  "
        f"{'request':26}{'n':>5}{'p50':>9}{'p99':>9}{'answer':>12}"
    )
    for size, _loading, mib, figures in rows:
        first = True
        for name, value in figures.items():
            if not isinstance(value, tuple):
                continue
            times, answer_size = value
            head = (
                f"{size:>9} {mib:9.1f} {figures['idle_rss']:9.1f} {figures['peak_rss']:9.1f}  "
                if first
                else " " * 41
            )
            first = False
            print(
                f"{head}{name:26}{len(times):5}"
                f"{harness.percentile(times, 0.5) * 1000:9.1f}"
                f"{harness.percentile(times, 0.99) * 1000:9.1f}{answer_size:>10} B"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
