"""Concurrency and faults against real processes: many LMS workers on one exam,
the server killed (SIGKILL) under load and restarted on its store, and an LMS that fails
for a while. Nothing is lost: no "database is locked", no lost update, every accepted
callback delivered, exactly one ``reviewed`` per attempt where the LMS answered at once.

(An LMS refusing connections for a while: ``test_callbacks_wait_for_an_lms_that_is_down_
then_all_arrive_once`` in ``test_callbacks_e2e.py``.)
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mockprock.client import ControlClient, ProviderClient
from mockprock.lms_stub import LmsStubClient
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, wait_for

pytestmark = pytest.mark.live

FAST = ("--review-delay", "0", "--ready-delay", "0", "--callback-backoff-seconds", "0.2")
CLIENT = ("abcd", "abcdsecret")
WORKERS = 50


def _learner(n: int) -> dict[str, str]:
    return {"user_id": f"learner-{n:03d}", "full_name": f"Learner {n}"}


def _lifecycle(server_url: str, lms: LmsStubClient, lms_url: str, exam_id: str, n: int) -> str:
    """One LMS worker: save the exam again (a course re-published: same exam, same id),
    register an attempt, open the download page, start, submit."""
    provider = ProviderClient(server_url, *CLIENT)
    assert provider.save_exam(EXAM) == exam_id
    attempt_id = provider.register_attempt(
        exam_id, {**ATTEMPT, **_learner(n), "lms_host": lms_url}
    )["id"]
    lms.add_attempt(attempt_id)
    download = provider.get_attempt(exam_id, attempt_id)["download_url"]
    assert requests.get(download, timeout=30).status_code == 200
    for status in ("started", "submitted"):
        lms.set_status(attempt_id, status)
        assert provider.set_attempt_status(exam_id, attempt_id, status)["status"] == status
    return attempt_id


def test_fifty_lms_workers_on_one_exam_lose_nothing(start_mockprock, start_lms_stub):
    stub = start_lms_stub()
    server = start_mockprock(*LMS_CLIENT, "-l", stub.url, *FAST)
    lms = LmsStubClient(stub.url)
    exam_id = ProviderClient(server.url, *CLIENT).save_exam(EXAM)
    start = threading.Barrier(WORKERS)

    def worker(n: int) -> str:
        start.wait(timeout=60)  # all at once
        return _lifecycle(server.url, lms, stub.url, exam_id, n)

    with ThreadPoolExecutor(WORKERS) as pool:
        attempt_ids = list(pool.map(worker, range(WORKERS)))

    assert len(set(attempt_ids)) == WORKERS
    control = ControlClient(server.url, *CLIENT)
    mine = [a for a in control.attempts() if a["id"] in attempt_ids]
    assert len(mine) == WORKERS
    assert {a["status"] for a in mine} <= {"submitted", "verified"}  # no update lost

    def all_reviewed() -> bool:
        return all(lms.attempt(a)["reviews"] for a in attempt_ids)

    wait_for(all_reviewed, timeout=120, what="a review of every attempt at the LMS")
    for attempt_id in attempt_ids:
        reviewed = lms.callbacks("reviewed", attempt_id)
        assert [c["answer_status"] for c in reviewed] == [200], attempt_id
        assert lms.attempt(attempt_id)["status"] == "verified"
        assert len(lms.callbacks("ready", attempt_id)) == 1
    assert "database is locked" not in server.output()
    assert "Traceback" not in server.output()


@pytest.fixture
def black_hole() -> Iterator[socket.socket]:
    """A port that takes connections and never answers: an LMS that times out."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock
    sock.close()


def test_sigkill_under_load_then_restart_delivers_every_accepted_callback(
    start_mockprock, start_lms_stub, tmp_path
):
    """Submissions run on 8 threads; the server is killed with SIGKILL mid-way. The store
    passes SQLite's integrity check, and after a restart on it every submission the server
    had accepted (answered 200) gets its ``reviewed`` callback at least once."""
    stub = start_lms_stub()
    lms = LmsStubClient(stub.url)
    db = tmp_path / "killed.sqlite"
    # A review delay of a second keeps some reviews pending when the kill comes.
    args = (*LMS_CLIENT, "-l", stub.url, *FAST, "--review-delay", "1")
    server = start_mockprock(*args, db=db)
    exam_id = ProviderClient(server.url, *CLIENT).save_exam(EXAM)
    accepted: list[str] = []
    errors: list[str] = []
    killed = threading.Event()

    def load(worker: int) -> None:
        n = worker * 1000
        while not killed.is_set():
            n += 1
            try:
                accepted.append(_lifecycle(server.url, lms, stub.url, exam_id, n))
            except Exception as exc:  # after the kill, the server is gone
                if not killed.is_set():
                    errors.append(repr(exc))
                return

    threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(accepted) >= 24, timeout=120, what="24 accepted submissions")
    killed.set()
    server.proc.kill()  # SIGKILL: no clean-up of any kind
    server.proc.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    kept = list(accepted)

    with sqlite3.connect(db) as store:
        assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        pending = store.execute(
            "SELECT count(*) FROM callbacks WHERE state IN ('pending', 'sending')"
        ).fetchone()[0]

    restarted = start_mockprock(*args, db=db)

    def all_delivered() -> bool:
        return all(
            any(c["answer_status"] == 200 for c in lms.callbacks("reviewed", a)) for a in kept
        )

    wait_for(all_delivered, timeout=120, what="every accepted submission reviewed")
    control = ControlClient(restarted.url, *CLIENT)
    wait_for(
        lambda: all(r["state"] == "delivered" for r in control.callbacks()),
        timeout=60,
        what="an outbox with nothing left to send",
    )
    print(f"accepted {len(kept)} submissions; {pending} callbacks were pending at the kill")


@pytest.mark.parametrize("fault", ["answers 500", "times out"])
def test_an_lms_failing_for_a_while_gets_every_callback_once_it_is_back(
    start_mockprock, start_lms_stub, black_hole, fault
):
    """The LMS answers 500 (or takes connections and never answers) for a while: the
    callbacks are retried and each arrives, exactly once with success, once it is back."""
    if fault == "answers 500":
        stub = start_lms_stub()
        lms_url = stub.url
        LmsStubClient(lms_url).set_fault(500)
    else:
        lms_url = f"http://127.0.0.1:{black_hole.getsockname()[1]}"
    server = start_mockprock(*LMS_CLIENT, "-l", lms_url, *FAST)
    provider = ProviderClient(server.url, *CLIENT)
    control = ControlClient(server.url, *CLIENT)
    exam_id = provider.save_exam(EXAM)
    attempts = []
    for n in range(3):
        attempt_id = provider.register_attempt(
            exam_id, {**ATTEMPT, **_learner(n), "lms_host": lms_url}
        )["id"]
        for status in ("started", "submitted"):
            provider.set_attempt_status(exam_id, attempt_id, status)
        attempts.append(attempt_id)

    def tried_and_waiting() -> bool:
        rows = control.callbacks(kind="reviewed")
        # One may be "sending" right now: the dispatcher waits on a silent LMS.
        return len(rows) == 3 and all(
            r["tries"] >= 1 and r["state"] in ("pending", "sending") for r in rows
        )

    wait_for(tried_and_waiting, timeout=120, what="every review tried against the failing LMS")
    if fault == "answers 500":
        lms = LmsStubClient(lms_url)
        assert {c["answer_status"] for c in lms.callbacks("reviewed")} == {500}
    else:
        assert all("timed out" in r["last_error"] for r in control.callbacks(kind="reviewed"))
        port = black_hole.getsockname()[1]
        black_hole.close()
        # Up, but failing until it knows the attempts: a retry landing before then would
        # be refused for good (a real LMS answers 400 to a review of an unknown attempt).
        stub = start_lms_stub("--port", str(port), "--fault", "500")
        lms = LmsStubClient(stub.url)
    for attempt_id in attempts:
        lms.add_attempt(attempt_id, status="submitted")
    lms.set_fault(None)
    wait_for(
        lambda: all(r["state"] == "delivered" for r in control.callbacks(kind="reviewed")),
        timeout=90,
        what="every review delivered once the LMS is back",
    )
    for attempt_id in attempts:
        answers = [c["answer_status"] for c in lms.callbacks("reviewed", attempt_id)]
        assert answers.count(200) == 1, answers
        assert lms.attempt(attempt_id)["status"] == "verified"
