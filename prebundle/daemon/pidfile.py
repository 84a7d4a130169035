"""The daemon's pid file: one running daemon per cache dir, and how other tools find it.

``<cache_dir>/daemon.json`` holds one JSON object, written atomically::

    {"pid": 12345, "host": "127.0.0.1", "port": 5174, "url": "http://127.0.0.1:5174",
     "root": "/abs/project", "started": "2026-01-31T12:00:00+00:00", "version": "0.1.0"}

``url`` is where the daemon answers (``/@prebundle/status``, ``/@prebundle/importmap.json``,
``/@prebundle/client.js``, the deps under the config's ``base``). ``port`` is the port actually
bound (a requested port 0 is replaced by the real one). The file exists only while the daemon
runs; one whose ``pid`` is no longer alive is stale and is taken over by the next daemon.
Backend integrations call ``read_daemon(config.cache_dir)`` to learn whether a daemon serves
this project and where.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..commit import atomic_write
from ..errors import PrebundleError

__all__ = ["PIDFILE", "TOKEN_FILE", "DaemonInfo", "DaemonRunning", "PidFile", "read_daemon", "read_token"]

PIDFILE = "daemon.json"
"""Name of the pid file inside the cache dir."""
TOKEN_FILE = "daemon.token"
"""The daemon's control token, beside the pid file (readable by its user only)."""


class DaemonRunning(PrebundleError):
    """Another live daemon already serves this cache dir."""


@dataclass(frozen=True)
class DaemonInfo:
    pid: int
    host: str
    port: int
    url: str
    root: str
    started: str
    version: str
    mode: str = "development"
    """The mode the daemon's bundles are built in."""

    def describe(self) -> str:
        return f"a prebundle daemon (pid {self.pid}, {self.url})"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _parse(path: Path) -> DaemonInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DaemonInfo(**{key: data[key] for key in DaemonInfo.__dataclass_fields__ if key in data})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_daemon(cache_dir: str | os.PathLike[str]) -> DaemonInfo | None:
    """The running daemon of this cache dir, or None (no file, unreadable, or a dead pid)."""
    info = _parse(Path(cache_dir) / PIDFILE)
    return info if info is not None and _alive(info.pid) else None


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class PidFile:
    """``acquire()`` claims the cache dir (raising ``DaemonRunning``), ``release()`` gives it up."""

    def __init__(self, cache_dir: Path, root: Path) -> None:
        self.path = Path(cache_dir) / PIDFILE
        self.root = root
        self.info: DaemonInfo | None = None
        self.token: str | None = None

    def acquire(self, host: str, port: int, *, mode: str = "development") -> DaemonInfo:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        info = DaemonInfo(os.getpid(), host, port, _url(host, port), str(self.root),
                          datetime.now(timezone.utc).isoformat(timespec="seconds"), __version__, mode)
        data = json.dumps(asdict(info), indent=2).encode()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                other = _parse(self.path)
                if other is not None and other.pid != os.getpid() and _alive(other.pid):
                    raise DaemonRunning(
                        f"a prebundle daemon (pid {other.pid}) already serves {self.path.parent} at "
                        f"{other.url}; stop it first, or use another cache_dir"
                    ) from None
                if other is None and self._fresh():
                    # being written by a starting daemon right now: treat as running
                    raise DaemonRunning(f"another prebundle daemon is starting on {self.path.parent}") from None
                try:
                    self.path.unlink()  # stale: its pid is dead
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            self.info = info
            self.token = _write_token(self.path.with_name(TOKEN_FILE))
            return info
        raise DaemonRunning(f"could not claim {self.path}; another daemon keeps starting")

    def _fresh(self) -> bool:
        try:
            return time.time() - self.path.stat().st_mtime < 2 and self.path.stat().st_size == 0
        except OSError:
            return False

    def update(self, **changes) -> None:
        """Rewrite the file (atomically) with some fields changed, e.g. the bound port."""
        if self.info is None:
            return
        info = self.info
        fields = {**asdict(info), **changes}
        fields["url"] = _url(fields["host"], fields["port"])
        self.info = DaemonInfo(**fields)
        atomic_write(self.path, json.dumps(fields, indent=2).encode())

    def release(self) -> None:
        """Remove the file if it is still ours."""
        if self.info is None:
            return
        current = _parse(self.path)
        if current is not None and current.pid == os.getpid():
            for path in (self.path, self.path.with_name(TOKEN_FILE)):
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
        self.info = None


def _write_token(path: Path) -> str:
    """A fresh secret that local prebundle commands present to the daemon's control route; only
    the user who runs the daemon can read it (mode 0600), so a web page cannot."""
    import secrets  # only a daemon makes one: a run that reads the pid file never loads it

    token = secrets.token_urlsafe(24)
    atomic_write(path, token.encode("ascii"), mode=0o600)
    return token


def read_token(cache_dir: str | os.PathLike[str]) -> str | None:
    """The running daemon's control token, for a local command of the same user."""
    try:
        return (Path(cache_dir) / TOKEN_FILE).read_text(encoding="ascii").strip() or None
    except OSError:
        return None
