"""Run the checks against a provider: start the stand-in, prepare, run, put back."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from mockprock.conformance import (  # noqa: F401  (each module registers its checks)
    checks_callbacks,
    checks_learners,
    checks_provider,
    checks_security,
)
from mockprock.conformance.context import Context, KitRefused, Options
from mockprock.conformance.model import FAIL, PASS, SKIP, Check, CheckFailed, CheckSkipped, Result
from mockprock.conformance.registry import CHECKS, selected
from mockprock.conformance.standin import StandIn


def run_check(ctx: Context, check: Check) -> Result:
    ctx.exchanges = []
    started = time.monotonic()
    try:
        note = check.run(ctx)
        outcome, reason = PASS, note or ""
    except CheckFailed as exc:
        outcome, reason = FAIL, f"needs {exc}"
    except CheckSkipped as exc:
        outcome, reason = SKIP, str(exc)
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        # An answer so far from the contract that the check could not read it.
        outcome, reason = FAIL, f"needs an answer the LMS can read ({type(exc).__name__}: {exc})"
    return Result(
        check.name,
        check.summary,
        outcome,
        reason,
        list(ctx.exchanges),
        time.monotonic() - started,
    )


def run_conformance(
    options: Options,
    stand_in: StandIn,
    only: tuple[str, ...] = (),
    on_result: Callable[[Result], None] = lambda result: None,
    on_note: Callable[[str], None] = lambda note: None,
    on_open: Callable[[Context], None] = lambda ctx: None,
) -> list[Result]:
    """Run the selected checks against ``options.url``; ``stand_in`` must be started.
    KitRefused (before any check) when no server answers or a mockprock will not let the
    kit run as a guest client; ``on_open(ctx)`` runs once the kit may start."""
    checks = selected(only)
    ctx = Context(options, stand_in)
    try:
        ctx.open()
        on_open(ctx)
        for note in ctx.notes:
            on_note(note)
        results = []
        for check in checks:
            result = run_check(ctx, check)
            results.append(result)
            on_result(result)
    finally:
        ctx.close()  # the guest client goes, and with it all the run made
    return results


__all__ = ["CHECKS", "Context", "KitRefused", "Options", "StandIn", "run_conformance"]
