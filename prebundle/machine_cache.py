"""Where prebundle keeps what is shared by every project on the machine: built packages
(``packages/``) and the pinned esbuild binary (``esbuild/``).

``$PREBUNDLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/prebundle``, else ``~/.cache/prebundle``.
``PREBUNDLE_CACHE_DIR=off`` turns the package cache off; esbuild still needs a home, so it then
lives in the default folder. A tiny module: the esbuild locator reads it on every run.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRUNE_EVERY", "PRUNE_STAMP", "machine_cache_dir", "package_cache_dir", "prune_due", "start_prune_clock"]

_OFF = ("0", "off", "false", "no")

PRUNE_EVERY = 24 * 3600.0
"""Seconds between two automatic prunes (``cache_housekeeping.maybe_prune``)."""
PRUNE_STAMP = ".last-prune"
"""The file in the cache folder whose mtime is the last prune's time."""


def _default() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "prebundle"


def machine_cache_dir() -> Path:
    """The machine-wide cache folder (the default one when the package cache is off)."""
    configured = os.environ.get("PREBUNDLE_CACHE_DIR", "")
    if configured and configured.lower() not in _OFF:
        return Path(configured)
    return _default()


def package_cache_dir() -> Path | None:
    """The machine-wide cache folder, or None when the package cache is turned off."""
    configured = os.environ.get("PREBUNDLE_CACHE_DIR", "")
    if configured.lower() in _OFF:
        return None
    return Path(configured) if configured else _default()


def prune_due(base: Path) -> bool:
    """Whether the cache folder ``base`` was last pruned ``PRUNE_EVERY`` ago, or never: one
    ``stat``, so a run that stored packages loads the pruning code only once a day."""
    import time

    try:
        return time.time() - os.stat(base / PRUNE_STAMP).st_mtime >= PRUNE_EVERY
    except OSError:  # none yet, or no cache folder: ``maybe_prune`` looks closer (and warns)
        return True


def start_prune_clock(base: Path) -> bool:
    """For a cache whose packages folder a run just began: stamp it as pruned now, so that its
    first check comes a day later (a folder minutes old has nothing to drop, and checking it
    would walk every entry the run is still writing). Whether it was stamped: False when a
    stamp is there already (the rest of the cache is older: the stamp's age decides) or
    cannot be written."""
    try:
        os.close(os.open(base / PRUNE_STAMP, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError:
        return False
    return True
