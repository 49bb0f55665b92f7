"""A bounded random run against a live server: schemathesis cases for every operation of
the OpenAPI description (fitting it and not), mixed with hostile bodies, queries and paths.

    python benchmarks/fuzz.py [--requests 6000] [--seed N]

Starts a server on a free loopback port with its own store (no LMS credentials: no
callback leaves it), sends at least ``--requests`` requests round after round over every
operation, and prints what it sent, the answers by status, the 5xx seen, the answers the
document does not describe, and the refusals that changed the store (each should be 0).
The checks are those of ``tests/test_fuzz.py`` (``tests/fuzzing.py``). Exits 1 if any is
not 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.fuzzing import (
    DEEP_JSON,
    HOSTILE_NUMBERS,
    HOSTILE_PATHS,
    HOSTILE_QUERIES,
    HOSTILE_TEXT,
    JSON_ROUTES,
    ServerFault,
    Target,
    case_strategy,
    hostile_body,
    json_text,
    operations,
)
from tests.helpers import ServerProcess, mockprock_argv
from tests.spec import SpecMismatch


class Run:
    """Counts of one run; a failing check is counted and its first lines kept."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.faults: list[str] = []
        self.mismatches: list[str] = []
        self.changed: list[str] = []

    def guarded(self, send) -> None:
        try:
            send()
        except ServerFault as exc:
            self.faults.append(str(exc)[:300])
        except SpecMismatch as exc:
            self.mismatches.append(str(exc)[:300])
        except AssertionError as exc:
            self.changed.append(str(exc)[:300])


def one_round(run: Run, operation_list: list, per_operation: int, round_seed: int) -> None:
    target = run.target
    rounds = settings(
        max_examples=per_operation,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    for index, operation in enumerate(operation_list):

        @seed(round_seed * 1000 + index)
        @rounds
        @given(case=case_strategy(operation), aim=st.data())
        def fuzz(case, aim):
            run.guarded(lambda: target.send(case, lambda name: aim.draw(st.booleans())))

        fuzz()

    hostile = max(1, per_operation // 3)
    for index, (method, path, template, fields) in enumerate(JSON_ROUTES):
        bodies = hostile_bodies(run, method, path.format(**target.ids), template, fields)
        seed(round_seed * 1000 + 500 + index)(settings(rounds, max_examples=hostile)(bodies))()
    for path, name in HOSTILE_QUERIES:
        for value in random.sample(["1" * 25, str(2**63), "-" + str(2**64), "1e400", "NaN"], 2):
            route = path.format(**target.ids)
            run.guarded(
                lambda route=route, name=name, value=value: target.send_raw(
                    "GET", route, params={name: value}
                )
            )
    for method, path in HOSTILE_PATHS:
        for value in (
            str(2**64 + random.randrange(1000)),
            quote("\ud800".encode("utf-8", "surrogatepass")),
        ):
            route = path.format(value=value, **target.ids)
            run.guarded(lambda method=method, route=route: target.send_raw(method, route))


def hostile_bodies(run: Run, method: str, route: str, template: dict, fields: tuple) -> Any:
    """A hypothesis test sending ``template`` with one field made hostile."""

    @given(
        name=st.sampled_from(fields),
        text=st.one_of(HOSTILE_NUMBERS.map(json_text), HOSTILE_TEXT.map(json_text), DEEP_JSON),
    )
    def bodies(name: str, text: str) -> None:
        body = hostile_body(template, name, text)
        run.guarded(lambda: run.target.send_raw(method, route, body))

    return bodies


def server_threads(process: ServerProcess) -> int:
    status = Path(f"/proc/{process.proc.pid}/status")
    for line in status.read_text().splitlines() if status.exists() else []:
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one")
    parser.add_argument("--per-operation", type=int, default=30)
    options = parser.parse_args()
    run_seed = options.seed if options.seed is not None else random.randrange(1_000_000)
    random.seed(run_seed)
    operation_list = operations()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "fuzz.sqlite"
        process = ServerProcess(
            mockprock_argv(
                db, "--review-delay", "3600", "--ready-delay", "3600", "--upload-delay", "0"
            )
        ).start()
        try:
            target = Target(process.url, db).prepare()
            run = Run(target)
            started = time.monotonic()
            round_number = 0
            while target.sent < options.requests:
                one_round(run, operation_list, options.per_operation, run_seed + round_number)
                round_number += 1
                print(f"  round {round_number}: {target.sent} requests so far", flush=True)
            elapsed = time.monotonic() - started
            threads = server_threads(process)
        finally:
            process.stop()
    fives = sum(n for status, n in target.by_status.items() if status >= 500)
    print(f"seed {run_seed}; {len(operation_list)} operations, {round_number} rounds")
    print(f"requests sent: {target.sent} in {elapsed:.0f} s")
    print(
        "answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(target.by_status.items()))
    )
    print(f"5xx seen: {fives} (of which not the desktop's described 503: {len(run.faults)})")
    print(f"answers the document does not describe: {len(run.mismatches)}")
    print(f"refusals that changed the store: {len(run.changed)}")
    print(f"server threads at the end: {threads}")
    for title, found in (
        ("5xx", run.faults),
        ("mismatch", run.mismatches),
        ("changed", run.changed),
    ):
        for line in found[:5]:
            print(f"  {title}: {line}")
    return 1 if run.faults or run.mismatches or run.changed else 0


if __name__ == "__main__":
    sys.exit(main())
