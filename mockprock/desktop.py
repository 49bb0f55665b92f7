"""The learner's desktop application: its state per attempt and what its heartbeats say.

Plain functions, no Flask. (Filled in by the desktop-application work: heartbeat gaps
and crashes become review comments.)
"""

from __future__ import annotations

from typing import Any

from mockprock.store import Store


def session_findings(
    store: Store, attempt_id: str, ping_interval_seconds: float
) -> list[dict[str, Any]]:
    """Review comments (``comment``, ``status``, ``start``, ``stop``) for what the session saw."""
    return []
