"""SQL statements and write transactions per request of a proctored exam's lifecycle.

    python benchmarks/statements.py [-n 20] [--show KIND] [--cpu]

Drives mockprock in this process through Flask's test client, with the requests of
``benchmarks/lifecycle.py`` (register, GET attempt, the download page, PATCH started,
desktop start, 3 pings, desktop stop, PATCH submitted), zero ready and review delays and
the callback dispatcher running against the benchmark's LMS sink (on loopback, in a
thread). Every SQLite connection gets a trace callback; each statement is counted under
the request that ran it, or under its thread's name for the dispatcher and the senders.
Prints statements (BEGIN and COMMIT included), write transactions (``BEGIN
IMMEDIATE``) and the statements inside them (run holding the write lock) per lifecycle
for each (the journal's writes on a line of their own: they join whichever write
transaction comes next), after one lifecycle of warm-up. Counts, not times: they do
not depend on the machine. ``--show KIND`` (or ``all``) prints the
first lifecycle's share of that kind's statements.

``--cpu`` counts nothing and prints CPU time per lifecycle instead, without an HTTP
server or other processes, one request at a time: inside the app (the WSGI call, the test
client's own work left out), in the callback dispatcher's thread and in the senders'
threads (from /proc; the sink's answers left out); then the same requests into the bare
app of ``benchmarks/lifecycle.py`` (``harness.bare_app``), and the ratio. This is the
floor under the server's figures: what each app's own work costs before an HTTP server,
other threads and a loaded machine add theirs. Still noisy on a shared machine, so
compare runs made in turn.
"""

from __future__ import annotations

import argparse
import collections
import sqlite3
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness
from lifecycle import learner_attempt
from lifecycle_report import ENDPOINTS

from mockprock.config import Settings
from mockprock.conformance import shapes
from mockprock.store import database

EXAM = shapes.exam(1, "Count", course_id="course-v1:B+C+2026", content_id="block-v1:B+C+2026")

# The lifecycle's requests (the rest is the dispatcher's and the senders' threads, whose
# counts vary a little with timing: how often the dispatcher wakes and finds work).
KINDS = tuple(kind for kind in ENDPOINTS if kind != "token")
_label = threading.local()
_lock = threading.Lock()
statements: collections.Counter[str] = collections.Counter()
transactions: collections.Counter[str] = collections.Counter()
# Statements run between BEGIN IMMEDIATE and COMMIT: while holding the write lock.
locked: collections.Counter[str] = collections.Counter()
traced: collections.defaultdict[str, list[str]] = collections.defaultdict(list)


def _trace(sql: str) -> None:
    kind = getattr(_label, "kind", None) or threading.current_thread().name.rstrip("-0123456789")
    if sql.startswith(("INSERT INTO journal", "DELETE FROM journal")):
        # The journal's waiting entries go into whichever write transaction comes next.
        kind = "(journal, any)"
    with _lock:
        statements[kind] += 1
        traced[kind].append(" ".join(sql.split())[:160])
        if sql.startswith("BEGIN IMMEDIATE"):
            transactions[kind] += 1
            _label.writing = True
        elif sql.startswith(("COMMIT", "ROLLBACK")):
            _label.writing = False
        elif getattr(_label, "writing", False):
            locked[kind] += 1


COUNTERS = (statements, transactions, locked)
TRACING = True  # off for --cpu: the trace callback costs CPU of its own


def _traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    conn = _connect(*args, **kwargs)
    if TRACING:
        conn.set_trace_callback(_trace)
    return conn


_connect = sqlite3.connect
database.sqlite3.connect = _traced_connect  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--lifecycles", type=int, default=20)
    parser.add_argument(
        "--show", help="print the first lifecycle's statements of this kind (or all)"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="count nothing; print CPU per lifecycle inside the app, the dispatcher and the "
        "senders (no HTTP server), and the bare app's, instead",
    )
    args = parser.parse_args()
    global TRACING
    TRACING = not args.cpu

    from mockprock.web.app import create_app

    sink = ThreadingHTTPServer(("127.0.0.1", 0), harness.SinkHandler)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    lms = f"http://127.0.0.1:{sink.server_port}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(
            {
                "db": str(Path(tmp) / "count.sqlite"),
                "lms_url": lms,
                "lms_client_id": "count-lms",
                "lms_client_secret": "count-lms-secret",
                "ready_delay_seconds": 0,
                "review_delay_seconds": 0,
            },
            environ={},
        )
        app = create_app(settings)
        services = app.extensions["mockprock"]
        services.outbox.dispatcher.start()
        try:
            (timed if args.cpu else run)(app, lms, args.lifecycles, args.show)
        finally:
            services.close()
            sink.shutdown()


def request(client: Any, kind: str, method: str, path: str, **kwargs: Any) -> Any:
    _label.kind = kind
    try:
        response = client.open(path, method=method, **kwargs)
    finally:
        _label.kind = None
    if response.status_code != 200:
        raise SystemExit(f"{kind}: HTTP {response.status_code} {response.get_data(True)[:200]}")
    return response


def lifecycle(lms_client: Any, browser: Any, auth: dict, exam_id: str, lms: str, n: int) -> None:
    exam = f"/api/v1/exam/{exam_id}/attempt/"
    attempt = learner_attempt(n, lms)
    attempt_id = request(lms_client, "register", "POST", exam, json=attempt, headers=auth).json[
        "id"
    ]
    request(lms_client, "get attempt", "GET", f"{exam}{attempt_id}/", headers=auth)
    request(browser, "download page", "GET", f"/download?attempt={attempt_id}&exam={exam_id}")
    started = {"status": "started"}
    request(
        lms_client, "PATCH started", "PATCH", f"{exam}{attempt_id}/", json=started, headers=auth
    )
    request(browser, "desktop start", "POST", f"/desktop/start?attempt={attempt_id}")
    for _ in range(3):
        request(browser, "desktop ping", "GET", f"/desktop/ping?attempt={attempt_id}")
    request(browser, "desktop stop", "POST", f"/desktop/stop?attempt={attempt_id}")
    submitted = {"status": "submitted"}
    request(
        lms_client, "PATCH submitted", "PATCH", f"{exam}{attempt_id}/", json=submitted, headers=auth
    )


def wait_for_callbacks(expected: int) -> None:
    deadline = time.monotonic() + 30
    while len(harness.SinkHandler.records) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(harness.SinkHandler.records)} of {expected} callbacks came")
        time.sleep(0.01)
    time.sleep(0.2)  # the dispatcher records each delivery after the LMS's answer


def thread_cpu(prefix: str) -> float:
    """CPU seconds so far of this process's threads whose names start with ``prefix``."""
    return sum(
        harness.stat_cpu_seconds(f"/proc/self/task/{thread.native_id}/stat")
        for thread in threading.enumerate()
        if thread.name.startswith(prefix)
    )


# The callback threads (callbacks/dispatcher.py names them).
CALLBACK_THREADS = {"dispatcher": "mockprock-outbox", "senders": "mockprock-callback"}


def cpu_per_lifecycle(app: Any, lms: str, lifecycles: int, callbacks: bool) -> dict[str, float]:
    """Milliseconds of CPU per lifecycle inside ``app`` and in its callback threads."""
    inside = [0.0]
    wsgi_app = app.wsgi_app

    def timed_wsgi(environ: dict, start_response: Any) -> Any:
        began = time.thread_time()
        try:
            return wsgi_app(environ, start_response)
        finally:
            inside[0] += time.thread_time() - began

    app.wsgi_app = timed_wsgi
    lms_client, browser, auth, exam_id = setup(app, lms, callbacks)
    inside[0] = 0.0
    threads = {name: thread_cpu(prefix) for name, prefix in CALLBACK_THREADS.items()}
    for n in range(1, lifecycles + 1):
        lifecycle(lms_client, browser, auth, exam_id, lms, n)
    if callbacks:
        wait_for_callbacks(2 * (lifecycles + 1))
    spent = {"requests": inside[0]}
    for name, prefix in CALLBACK_THREADS.items():
        spent[name] = thread_cpu(prefix) - threads[name] if callbacks else 0.0
    spent["total"] = sum(spent.values())
    return {name: 1000 * seconds / lifecycles for name, seconds in spent.items()}


def timed(app: Any, lms: str, lifecycles: int, show: str | None) -> None:
    mockprock = cpu_per_lifecycle(app, lms, lifecycles, callbacks=True)
    bare = cpu_per_lifecycle(harness.bare_app(), lms, lifecycles, callbacks=False)
    print(f"{lifecycles} lifecycles; CPU per lifecycle (ms), no HTTP server:")
    print(f"{'':<12}" + "".join(f" {name:>11}" for name in mockprock))
    for label, spent in (("mockprock", mockprock), ("bare app", bare)):
        print(f"{label:<12}" + "".join(f" {ms:>11.2f}" for ms in spent.values()))
    print(
        f"ratio: {mockprock['total'] / bare['total']:.2f} x (requests alone: "
        f"{mockprock['requests'] / bare['requests']:.2f} x)"
    )


def setup(app: Any, lms: str, callbacks: bool = True) -> tuple[Any, Any, dict, str]:
    """The LMS's and the browser's clients, a token, an exam, and one lifecycle done
    (first-use reads, the senders' connections; ``callbacks``: waited for)."""
    lms_client, browser = app.test_client(), app.test_client()
    token = lms_client.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "abcd",
            "client_secret": "abcdsecret",
            "token_type": "jwt",
        },
    ).json["access_token"]
    auth = {"Authorization": f"JWT {token}"}
    exam_id = lms_client.post("/api/v1/exam/", json=EXAM, headers=auth).json["id"]
    lifecycle(lms_client, browser, auth, exam_id, lms, 0)
    if callbacks:
        wait_for_callbacks(2)
    return lms_client, browser, auth, exam_id


def run(app: Any, lms: str, lifecycles: int, show: str | None) -> None:
    lms_client, browser, auth, exam_id = setup(app, lms)
    statements.clear()
    transactions.clear()
    locked.clear()
    traced.clear()
    for n in range(1, lifecycles + 1):
        lifecycle(lms_client, browser, auth, exam_id, lms, n)
    wait_for_callbacks(2 * (lifecycles + 1))
    for kind in [show] if show in traced else sorted(traced) if show == "all" else []:
        each = len(traced[kind]) // lifecycles
        print(
            f"-- {kind}, one lifecycle's {each} of {len(traced[kind])}:",
            *traced[kind][:each],
            sep="\n  ",
        )
    print(f"{lifecycles} lifecycles; per lifecycle:")
    print(f"{'':<20} {'statements':>10} {'write txns':>10} {'in them':>10}")

    def line(name: str, kinds: list[str]) -> None:
        counts = [sum(counter[k] for k in kinds) / lifecycles for counter in COUNTERS]
        print(f"{name:<20}" + "".join(f" {count:>10.1f}" for count in counts))

    for kind in sorted(statements, key=lambda k: -statements[k]):
        line(kind, [kind])
    line("requests", [kind for kind in statements if kind in KINDS])
    line("total", list(statements))


if __name__ == "__main__":
    main()
