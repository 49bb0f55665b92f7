"""The checks, in the order they run; each module of checks adds its own here."""

from __future__ import annotations

from collections.abc import Callable

from mockprock.conformance.model import Check

CHECKS: list[Check] = []
# The order areas run in: as the LMS meets the provider, the whole-run timing last.
AREAS = (
    "token",
    "config",
    "exams",
    "attempts",
    "users",
    "onboarding",
    "dashboard",
    "security",
    "callbacks",
    "desktop",
    "timing",
)


def check(name: str, summary: str) -> Callable[[Callable], Callable]:
    """Register a check named ``area.rule`` (``--only area`` or ``--only area.rule``)."""

    def register(function: Callable) -> Callable:
        if any(existing.name == name for existing in CHECKS):
            raise ValueError(f"two checks named {name}")
        area = name.split(".", 1)[0]
        if area not in AREAS:
            raise ValueError(f"check {name} is in no known area")
        CHECKS.append(Check(name, summary, function))
        CHECKS.sort(key=lambda c: AREAS.index(c.name.split(".", 1)[0]))
        return function

    return register


def selected(only: tuple[str, ...] | list[str] = ()) -> list[Check]:
    """The checks named by ``only`` (a name or an area, comma-separated too), else all."""
    wanted = [w.strip() for item in only for w in item.split(",") if w.strip()]
    if not wanted:
        return list(CHECKS)
    unknown = [w for w in wanted if not any(_matches(c.name, w) for c in CHECKS)]
    if unknown:
        raise ValueError(f"no check or area named {', '.join(unknown)}")
    return [c for c in CHECKS if any(_matches(c.name, w) for w in wanted)]


def _matches(name: str, wanted: str) -> bool:
    return name == wanted or name.startswith(wanted + ".")
