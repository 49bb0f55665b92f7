"""Fail the openedx image build when the LMS would have no mockprock worker.

Two silent failures end in the same hang at the learner's exam start (the learning MFE
gets no worker URL), so the image build checks both, loudly:

* edx-proctoring writes ``workers.json`` (webpack's list of proctoring workers) only for
  a backend that loaded, and names only an npm package installed in ``node_modules``;
* edx-platform's ``webpack.common.config.js`` builds those workers inside a ``try`` that
  parses ``JS_ENV_EXTRA_CONFIG``: unset or not JSON, it builds none and writes no
  ``webpack-worker-stats.json``, and the build still succeeds.

``python -m mockprock.tutor.worker_check WORKERS_JSON [WORKER_STATS_JSON]``: exit 0 when
the worker is in both (the stats checked only when given), else 1 with the cause.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from mockprock.tutor.npm import NPM_NAME

VARIABLE = "JS_ENV_EXTRA_CONFIG"
USAGE = "usage: python -m mockprock.tutor.worker_check WORKERS_JSON [WORKER_STATS_JSON]"


class WorkerMissing(Exception):
    """The worker is not where the LMS will look for it; the message says why."""


def _read_json(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise WorkerMissing(f"{path} is missing: {what}") from None
    except ValueError as error:
        raise WorkerMissing(f"{path} is not JSON ({error}): {what}") from None


def check_workers_json(path: Path) -> list[str]:
    """The entry edx-proctoring wrote for the worker (its files)."""
    why = (
        "edx-proctoring writes it when the LMS starts with the backend configured "
        "(PROCTORING_BACKENDS in the asset build's settings) and the backend's npm "
        f"package ({NPM_NAME}) installed in node_modules"
    )
    workers = _read_json(path, why)
    if not isinstance(workers, dict) or NPM_NAME not in workers:
        named = sorted(workers) if isinstance(workers, dict) else workers
        raise WorkerMissing(f"{path} names no {NPM_NAME} worker (it names {named}): {why}")
    return workers[NPM_NAME]


def _variable_state() -> str:
    value = os.environ.get(VARIABLE)
    if value is None:
        return f"{VARIABLE} is unset here"
    try:
        json.loads(value)
    except ValueError:
        return f"{VARIABLE} is not JSON here: {value!r}"
    return f"{VARIABLE} is JSON here"


def check_worker_stats(path: Path) -> list[str]:
    """The bundle files webpack built for the worker, each checked to exist."""
    why = (
        "edx-platform's webpack config builds the proctoring workers only when "
        f"{VARIABLE} holds JSON, and skips them silently otherwise ({_variable_state()})"
    )
    stats = _read_json(path, why)
    if not isinstance(stats, dict) or stats.get("status") != "done":
        status = stats.get("status") if isinstance(stats, dict) else stats
        raise WorkerMissing(f"{path}: webpack did not finish the workers (status {status!r})")
    files = stats.get("chunks", {}).get(NPM_NAME)
    if not files:
        raise WorkerMissing(f"{path} has no {NPM_NAME} bundle: {why}")
    missing = [f["path"] for f in files if "path" in f and not Path(f["path"]).is_file()]
    if missing:
        raise WorkerMissing(f"{path} lists {NPM_NAME} files that do not exist: {missing}")
    return [f["name"] for f in files]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        check_workers_json(Path(args[0]))
        if len(args) == 2:
            bundles = check_worker_stats(Path(args[1]))
            print(f"mockprock: the LMS serves the {NPM_NAME} worker ({', '.join(bundles)})")
        else:
            print(f"mockprock: edx-proctoring names the {NPM_NAME} worker for webpack")
    except WorkerMissing as error:
        print(
            f"mockprock: no proctoring worker, the exam would never start. {error}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
