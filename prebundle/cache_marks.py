"""When an entry of the machine-wide cache was last used: the mtime of its marker file, touched
by the readers at most once an hour. Pruning removes the least recently used entries first
(``cache_housekeeping.py``).

A module of its own, with nothing but the stdlib: every run that reads the cache imports it.
"""

from __future__ import annotations

import os
import time

__all__ = ["MARK_INTERVAL", "mark_used"]

MARK_INTERVAL = 3600.0
"""Seconds between two marks of one entry: a warm cache does not write on every read."""


def mark_used(path: str | os.PathLike[str]) -> None:
    """Record a use of the entry whose last use ``path``'s mtime holds: touch it unless it was
    touched within ``MARK_INTERVAL``. Never raises: a read-only cache is simply not marked."""
    try:
        if time.time() - os.stat(path).st_mtime >= MARK_INTERVAL:
            os.utime(path)
    except (OSError, ValueError):
        pass
