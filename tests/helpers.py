"""Test helpers shared by every test module: live servers, waiting, wire fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mockprock.processes import ServerProcess, mockprock_argv, wait_for

__all__ = ["REPO", "ServerProcess", "mockprock_argv", "wait_for", "wire_requests"]

REPO = Path(__file__).resolve().parent.parent
WIRE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "edx-proctoring-6.1.4-wire.jsonl"


def wire_requests() -> list[dict[str, Any]]:
    """Every line of the recording of the real edx-proctoring 6.1.4."""
    return [json.loads(line) for line in WIRE_FIXTURE.read_text().splitlines() if line.strip()]
