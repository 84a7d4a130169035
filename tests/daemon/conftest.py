"""Daemon tests run a real ``prebundle daemon`` subprocess on a free port (see ``tests/support/daemon.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.daemon import Daemon


@pytest.fixture
def start_daemon():
    """``start_daemon(root, *flags)``: a listening ``Daemon``; stopped after the test."""
    daemons: list[Daemon] = []

    def start(root: Path, *extra: str) -> Daemon:
        daemon = Daemon(root, *extra)
        daemons.append(daemon)
        return daemon.wait_listening()

    yield start
    for daemon in daemons:
        daemon.stop()
