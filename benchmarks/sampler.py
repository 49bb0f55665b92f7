"""A stack-sampling profiler for a server's own process (py-spy needs ptrace and a
wheel this machine may lack; this needs nothing): ``benchmarks/servers.py --profile``."""

from __future__ import annotations

import collections
import re
import sys
import threading
from typing import Any


class StackSampler:
    """Samples every thread's stack every ``interval`` s; counts busy samples only.

    A thread waiting for a connection, a request or work (select, accept, a socket read,
    a condition) is idle; a thread inside SQLite (a busy handler sleeping for the write
    lock included) or Python code is busy: that is where a request's time goes."""

    IDLE = {"select", "poll", "accept", "wait", "readinto", "serve_forever", "_worker"}

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples = 0
        self.self_counts: collections.Counter[str] = collections.Counter()
        self.cumulative: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _name(frame: Any) -> str:
        code = frame.f_code
        path = re.sub(r".*/(site-packages|python3\.\d+)/", "", code.co_filename)
        path = re.sub(r".*/(mockprock|benchmarks)/", r"\1/", path)
        return f"{path}:{frame.f_lineno} {code.co_name}"

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me or frame.f_code.co_name in self.IDLE:
                    continue
                self.samples += 1
                self.self_counts[self._name(frame)] += 1
                seen = set()
                while frame is not None:
                    code = frame.f_code
                    key = f"{self._name(frame).split(':')[0]} {code.co_name}"
                    if key not in seen:
                        seen.add(key)
                        self.cumulative[key] += 1
                    frame = frame.f_back

    def start(self) -> StackSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, top: int = 25) -> str:
        total = max(1, self.samples)
        lines = [f"busy samples: {self.samples} (every {self.interval * 1000:g} ms, all threads)"]
        lines.append("\ntop self (where the thread was when sampled):")
        for name, count in self.self_counts.most_common(top):
            lines.append(f"  {100 * count / total:5.1f} %  {name}")
        lines.append("\ntop cumulative (function anywhere on the stack):")
        # Frames on every busy stack (thread bootstrap, the server's loop) say nothing.
        telling = [(n, c) for n, c in self.cumulative.most_common() if c < 0.9 * total]
        for name, count in telling[:top]:
            lines.append(f"  {100 * count / total:5.1f} %  {name}")
        return "\n".join(lines)
