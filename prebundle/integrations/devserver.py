"""Is a ``prebundle daemon`` running for this cache dir? Read from its ``daemon.json``.

The daemon writes ``<cache_dir>/daemon.json`` (``{pid, host, port, started}``) while it runs. A
file whose pid is gone (killed daemon, file copied to another machine) counts as not running, so
a stale file never sends production pages to a dev server.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DaemonInfo", "DaemonProbe", "read_daemon"]

DAEMON_FILE = "daemon.json"


@dataclass(frozen=True)
class DaemonInfo:
    pid: int
    host: str
    port: int
    url: str = ""
    """The daemon's own ``url`` field, when it wrote one."""

    @property
    def origin(self) -> str:
        if self.url:
            return self.url.rstrip("/")
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"  # a wildcard listen address is reachable on loopback
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def read_daemon(cache_dir: Path) -> DaemonInfo | None:
    """The running daemon of ``cache_dir``, or None if its file is missing, broken or stale."""
    try:
        data = json.loads((cache_dir / DAEMON_FILE).read_text(encoding="utf-8"))
        info = DaemonInfo(int(data["pid"]), str(data.get("host") or "127.0.0.1"), int(data["port"]),
                          str(data.get("url") or ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if _alive(info.pid) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


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
