"""Which files of a machine-wide cache entry are unchanged since a run last hashed them.

Before a run reuses an entry, every file is checked against the size and hash its record
holds: a deps dir's files are hard links to the entry's, so an edit made in a project's deps
dir reaches the entry too. Hashing the 600 files of a 36 MB set of packages costs a second
project a fifth of its run. So a run that hashed an entry's files and found them intact leaves
``verified.json`` beside its ``record.json``: each file's size, mtime (ns) and inode, as Git's
index keeps them. The next run hashes only the files whose ``stat`` differs from the stamp.

An edit in place changes the mtime; a replacement changes the inode. A file is stamped only
when its mtime is ``SETTLED`` seconds older than its ``stat``, so that an edit made in the
same tick of the file system's clock (which would leave the mtime as it was) cannot come after
the stamp: the files written by a run are stamped by a later run. What a stamp cannot see is
a write that puts the old size and mtime back on purpose (``cp -p`` or ``touch -r`` onto a
deps dir's hard link); deleting ``verified.json`` makes the next run hash the entry again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from .metadata import FileInfo

__all__ = ["SETTLED", "STAMP", "Checked", "Stamp", "check", "write"]

STAMP = "verified.json"
"""The stamp's file name in the entry's folder (never a name esbuild writes: no output file
sits beside ``record.json`` under a name without a hash or an id)."""

SETTLED = 2.0
"""Seconds between a file's mtime and the stamp that records it."""

Stamp = dict[str, tuple[int, int, int]]
"""Each file's (size, mtime in ns, inode), by its name in the entry."""


@dataclass(frozen=True, slots=True)
class Checked:
    """An entry's files as ``check`` found them."""

    unchanged: set[str]
    """The files whose ``stat`` matches the stamp (and their recorded size): known intact."""
    stats: Stamp
    """Every file's ``stat``, as a stamp would hold it."""
    taken_ns: int
    """The clock just before the first ``stat``: a file is settled if its mtime is ``SETTLED``
    seconds older than this."""


def check(folder: str, files: Mapping[str, FileInfo]) -> Checked | None:
    """Each of ``files`` ``stat``ed and compared with the entry's stamp; None when a file is
    missing. The caller hashes the files not ``unchanged``, then may ``write`` a new stamp."""
    try:
        with open(os.path.join(folder, STAMP), "rb") as file:
            found = orjson.loads(file.read())
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or STAMP in files:
        found = {}
    taken_ns = time.time_ns()
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
    return Checked(unchanged, stats, taken_ns)


def write(folder: str, checked: Checked) -> None:
    """Stamp the settled files of ``checked``, once they were hashed and found intact; written
    atomically, and never raises: a read-only cache is hashed on every use. (A writer killed
    between the two steps leaves its small temp file in the entry, which goes with it.)"""
    settled_before = checked.taken_ns - int(SETTLED * 1e9)
    stamp = {name: list(stat) for name, stat in checked.stats.items() if stat[1] < settled_before}
    if not stamp or STAMP in checked.stats:
        return
    temp = os.path.join(folder, f".{STAMP}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temp, "wb") as file:
            file.write(orjson.dumps(stamp))
        os.replace(temp, os.path.join(folder, STAMP))
    except (OSError, TypeError, ValueError):  # TypeError: a number orjson cannot write
        try:
            os.unlink(temp)
        except OSError:
            pass
