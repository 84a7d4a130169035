"""Is a ``prebundle daemon`` running for this cache dir? Asked of its pid file, cheaply.

The daemon writes ``<cache_dir>/daemon.json`` while it runs (see ``prebundle.daemon.pidfile``);
a file whose pid is gone counts as not running, so a stale file never sends production pages to
a dev server.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..daemon.pidfile import DaemonInfo, read_daemon

__all__ = ["DaemonInfo", "DaemonProbe", "daemon_origin", "read_daemon"]


def daemon_origin(info: DaemonInfo) -> str:
    """The origin pages load the daemon's files from."""
    return info.url.rstrip("/")


class DaemonProbe:
    """``read_daemon`` at most once per ``ttl`` seconds, so every page render stays cheap."""

    def __init__(self, cache_dir: Path, ttl: float = 1.0) -> None:
        self.cache_dir = cache_dir
        self.ttl = ttl
        self._checked = float("-inf")
        self._info: DaemonInfo | None = None

    def __call__(self) -> DaemonInfo | None:
        now = time.monotonic()
        if now - self._checked >= self.ttl:
            self._info = read_daemon(self.cache_dir)
            self._checked = now
        return self._info
