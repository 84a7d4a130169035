"""What the daemon has served of the app's files, by content: a file event tells the pages
about a file only when a page may have loaded it from here and its bytes differ from what was
served. An editor that touches or rewrites a file unchanged sends nothing to the browser."""

from __future__ import annotations

import hashlib
import os
import threading

__all__ = ["ServedContent"]

_Stamp = tuple[int, int]


class ServedContent:
    """The stamp and digest of each file of the app the daemon answered with (thread-safe:
    recorded from request threads, compared on the run worker)."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[_Stamp, bytes]] = {}
        self._lock = threading.Lock()

    def record(self, path: str) -> None:
        """``path`` was just served: remember its content (read again only when its stamp moved)."""
        stamp = _stamp(path)
        if stamp is None:
            return
        with self._lock:
            known = self._files.get(path)
        if known is not None and known[0] == stamp:
            return
        digest = _digest(path)
        if digest is not None:
            with self._lock:
                self._files[path] = (stamp, digest)

    def changed(self, paths: set[str]) -> set[str]:
        """Those of ``paths`` that were served and whose content is not what was served (deleted
        ones included); the memo moves on to the current content."""
        found = set()
        for path in paths:
            with self._lock:
                known = self._files.get(path)
            if known is None:
                continue
            stamp = _stamp(path)
            if stamp == known[0]:
                continue
            digest = _digest(path) if stamp is not None else None
            with self._lock:
                if digest is None:
                    self._files.pop(path, None)
                else:
                    self._files[path] = (stamp, digest)
            if digest != known[1]:
                found.add(path)
        return found


def _stamp(path: str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def _digest(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "blake2b").digest()[:16]
    except OSError:
        return None
