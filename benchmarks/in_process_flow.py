"""How long the issue's proof takes in one process: Django with the real edx-proctoring,
mockprock in process (``mock_proctoring``), callbacks into Django's test client.

    python benchmarks/in_process_flow.py [--runs 5] [--decisions]

Runs the flow of ``tests/testing/test_django_flow_scenario.py`` (a scenario decides two
learners' verdicts, the manual clock passes the 60 s review delay: needs the clock and
scenario features) or, with ``--decisions``, that of ``tests/testing/test_django_flow.py``
(verdicts queued through the control API), after Django's setup (settings, migrations),
and prints each run's wall time: starting ``mock_proctoring`` (a new store) and the flow
itself (exam, two attempts registered, started, submitted, reviewed, and the LMS's checks).
The tests assert no time; figures vary with the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.testing import edx_lms  # configures Django
from tests.testing.test_django_flow import (
    in_process_lms,
)
from tests.testing.test_django_flow import (
    test_a_proctored_exam_from_registration_to_review_in_one_process as decisions_flow,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decisions", action="store_true")
    args = parser.parse_args()
    edx_lms.migrate()
    if args.decisions:
        settings = {"ready_delay_seconds": 0, "review_delay_seconds": 60}

        def flow(proctoring) -> None:
            decisions_flow(proctoring, [])
    else:
        from tests.testing.test_django_flow_scenario import READY_DELAY, REVIEW_DELAY, run_flow

        settings = {"ready_delay_seconds": READY_DELAY, "review_delay_seconds": REVIEW_DELAY}
        flow = run_flow
    starts, flows = [], []
    for run in range(args.runs):
        began = time.perf_counter()
        with in_process_lms(**settings) as proctoring:
            started = time.perf_counter()
            flow(proctoring)
            ended = time.perf_counter()
        starts.append(started - began)
        flows.append(ended - started)
        print(f"run {run + 1}: start {starts[-1]:.3f} s, flow {flows[-1]:.3f} s")
    print(
        f"median of {args.runs}: start {statistics.median(starts):.3f} s, "
        f"flow {statistics.median(flows):.3f} s (max {max(flows):.3f} s)"
    )


if __name__ == "__main__":
    main()
