"""Fixtures of the plugin's own tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def no_socket(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fails the test on any connection opened while it runs: the attempt raises, and the
    address is recorded and checked at teardown (in case something swallowed the error)."""
    opened: list[Any] = []

    def refuse(sock: socket.socket, address: Any) -> Any:
        opened.append(address)
        raise AssertionError(f"a socket connected to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield opened
    assert opened == []
