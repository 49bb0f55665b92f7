"""Run the checks against a provider: start the stand-in, prepare, run, put back."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from mockprock.conformance import (  # noqa: F401  (each module registers its checks)
    checks_callbacks,
    checks_learners,
    checks_provider,
    checks_security,
)
from mockprock.conformance.context import Context, KitRefused, Options
from mockprock.conformance.model import (
    FAIL,
    PASS,
    SKIP,
    Check,
    CheckFailed,
    CheckSkipped,
    Exchange,
    Result,
)
from mockprock.conformance.registry import CHECKS, selected
from mockprock.conformance.standin import StandIn
from mockprock.dashboard_link import VENDOR_PATHS


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
        vendor_calls(ctx.options.backend, ctx.exchanges),
    )


def vendor_calls(backend: str, exchanges: list[Exchange]) -> list[str]:
    """The calls among ``exchanges`` that went to one of ``backend``'s vendor paths."""
    patterns = [
        re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", path) + "$")
        for path in VENDOR_PATHS.get(backend, {}).values()
    ]
    found = {
        f"{e.method} {urlsplit(e.url).path}"
        for e in exchanges
        if any(p.match(urlsplit(e.url).path) for p in patterns)
    }
    return sorted(found)


def backend_note(backend: str) -> str | None:
    """What changes when the kit calls as ``backend``; None for mockprock's own."""
    paths = VENDOR_PATHS.get(backend)
    if not paths:
        return None
    moved = "; ".join(f"{own} at {vendor}" for own, vendor in paths.items())
    return (
        f"calling as the {backend} backend calls: {moved}. The checks that differ from "
        "mockprock's backend say so ('called at the backend's own path'); every other "
        "call is the same."
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
        for note in [backend_note(options.backend), *ctx.notes]:
            if note:
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
