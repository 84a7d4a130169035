"""Which files of a machine-wide cache entry are unchanged since a run last hashed them.

Before a run reuses an entry, every file is checked against the size and hash its record
holds: a deps dir's files are hard links to the entry's, so an edit made in a project's deps
dir reaches the entry too. Hashing the 600 files of a 36 MB set of packages costs a second
project a fifth of its run. So a run that hashed an entry's files and found them intact leaves
``verified.json`` beside its ``record.json``: each file's size, mtime (ns) and inode, as Git's
index keeps them. The next run hashes only the files whose ``stat`` differs from the stamp.

An edit in place changes the mtime; a replacement changes the inode. A file is stamped only
when its mtime is ``SETTLED`` seconds older than the stamp, so that an edit made in the same
tick of the file system's clock as the stamp's ``stat`` (which would leave the mtime as it
was) cannot happen after the stamp: the files written by a run are stamped by a later run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping

import orjson

from .metadata import FileInfo

__all__ = ["SETTLED", "STAMP", "Stamp", "check", "write"]

STAMP = "verified.json"
"""The stamp's file name in the entry's folder (never a name esbuild writes: no output file
sits beside ``record.json`` under a name without a hash or an id)."""

SETTLED = 2.0
"""Seconds between a file's mtime and the stamp that records it."""

Stamp = dict[str, tuple[int, int, int]]
"""Each file's (size, mtime in ns, inode), by its name in the entry."""


def check(folder: str, files: Mapping[str, FileInfo]) -> tuple[set[str], Stamp] | None:
    """The names among ``files`` whose ``stat`` matches the entry's stamp and their recorded
    size, and every file's ``stat`` as a stamp would hold it; None when a file is missing."""
    try:
        with open(os.path.join(folder, STAMP), "rb") as file:
            found = orjson.loads(file.read())
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or STAMP in files:
        found = {}
    unchanged: set[str] = set()
    stats: Stamp = {}
    for name, info in files.items():
        try:
            st = os.stat(os.path.join(folder, name))
        except (OSError, ValueError):
            return None
        now = (st.st_size, st.st_mtime_ns, st.st_ino)
        stats[name] = now
        if st.st_size == info.size and found.get(name) == list(now):
            unchanged.add(name)
    return unchanged, stats


def write(folder: str, stats: Stamp) -> None:
    """Stamp the files of ``stats`` (taken before they were hashed and found intact) whose
    mtime is settled; written atomically, and never raises: a read-only cache is hashed on
    every use."""
    settled_before = time.time_ns() - int(SETTLED * 1e9)
    stamp = {name: list(stat) for name, stat in stats.items() if stat[1] < settled_before}
    if not stamp or STAMP in stats:
        return
    temp = os.path.join(folder, f".{STAMP}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temp, "wb") as file:
            file.write(orjson.dumps(stamp))
        os.replace(temp, os.path.join(folder, STAMP))
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
