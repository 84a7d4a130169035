"""Set a timed run's output aside between rounds (a rename), and delete it after the last round.

Why not delete it right away: ext4 does not hand out an inode freed less than a minute or so
ago while others are free (``recently_deleted`` in its inode allocator), and checking that
costs each new file a read of the inode table. Deleting the 600 to 1,200 files of the last
round just before the next timed run made every file that run created cost up to 1 ms: a
second machine's restore spent a quarter of its perf samples in ``recently_deleted``, and grew
slower round after round (1.2 s to 2.4 s in five rounds). A machine running a build has not just
deleted the same build's output; the figures compare tools, not the file system's bookkeeping
of the benchmark's own clean-up. Every tool's output (the esbuild floor's, Vite's cache,
prebundle's) is set aside the same way.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

__all__ = ["TRASH", "empty_trash", "set_aside"]

TRASH = Path(__file__).resolve().parent / ".work" / "trash"
_names = itertools.count()


def set_aside(*paths: Path) -> None:
    """Move each existing ``path`` into ``TRASH`` (deleted where it cannot be moved)."""
    for path in paths:
        if not os.path.lexists(path):
            continue
        TRASH.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, TRASH / f"{os.getpid()}-{next(_names)}")
        except OSError:  # another file system: deleted as before
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def empty_trash() -> None:
    """Delete what was set aside: after the last timed round."""
    shutil.rmtree(TRASH, ignore_errors=True)
