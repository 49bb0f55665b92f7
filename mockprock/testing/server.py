"""A real mockprock server for a test: ``python -m mockprock.server`` as a process on
127.0.0.1 and a free port, with its own store in a folder the test owns, stopped (SIGTERM,
its port closed) when the block ends.

A process rather than a thread: it is what the suite's own live tests run
(``mockprock.processes.ServerProcess``), a test's LMS in the same process cannot slow it,
and stopping it frees everything it held.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockprock.command_options import option_specs
from mockprock.config import Settings
from mockprock.processes import ServerProcess, mockprock_argv
from mockprock.setting_values import SettingsError
from mockprock.testing.handle import Proctoring, client_of, settings_for_test

# Where the server listens and keeps its state is the harness's to decide.
FIXED = ("host", "port", "db")


@contextmanager
def running_server(overrides: Mapping[str, Any], folder: Path) -> Iterator[Proctoring]:
    """A server with the test settings and ``overrides``, its store in ``folder``; the
    :class:`Proctoring` driving it. A setting it cannot use is refused here, by name."""
    fixed = sorted(set(overrides) & set(FIXED))
    if fixed:
        raise SettingsError(
            f"{', '.join(fixed)}: a test's server listens on 127.0.0.1, a free port, with "
            "its own store"
        )
    values = settings_for_test(overrides)
    db = folder / "mockprock.sqlite"
    Settings.load({**values, "db": str(db)}, environ={})  # a bad value fails here, clearly
    process = ServerProcess(mockprock_argv(db, *flags(values))).start()
    try:
        yield Proctoring(process.url, *client_of(values))
    finally:
        process.stop()


def flags(values: Mapping[str, Any]) -> list[str]:
    """The command-line flags giving ``values`` (``Settings`` field names)."""
    specs = {f.name: (flag, f) for flag, f in option_specs()}
    argv: list[str] = []
    for name, value in values.items():
        if name in FIXED or value is None:
            continue
        flag, f = specs[name]
        if f.metadata.get("repeatable"):
            items = value.split(",") if isinstance(value, str) else value
            for item in items:
                argv += [f"--{flag}", item if isinstance(item, str) else ":".join(item)]
        elif isinstance(value, bool):
            argv.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            argv += [f"--{flag}", str(value)]
    return argv
