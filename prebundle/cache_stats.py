"""What the tiers of the package cache did in one run: hits, misses and bytes of the
machine-wide cache and of the team's remote cache, so a user sees whether sharing pays.

Counted by ``SharedCache`` during a run, kept in the run's result and in the run history
(``runs.json``), printed at ``--log-level info`` and shown by the dashboard. A plain dict on the
way out (``to_json``), because results travel as JSON between the daemon and the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CacheStats", "describe_cache_stats"]


@dataclass
class CacheStats:
    """Counts of one run. ``remote`` is the remote's description (URL without credentials), or
    None when no remote is configured."""

    local_hits: int = 0
    """Packages taken from the machine-wide cache instead of being built."""
    local_misses: int = 0
    """Packages looked up there and not found (then asked of the remote, or built)."""
    local_bytes: int = 0
    """Bytes of the packages taken from the machine-wide cache."""
    stored: int = 0
    """Packages written into the machine-wide cache (built here or downloaded; of a restored deps
    dir, those handed to the thread that keeps them)."""
    remote: str | None = None
    remote_hits: int = 0
    """Packages downloaded from the remote (verified) instead of being built."""
    remote_misses: int = 0
    remote_bytes_down: int = 0
    """Bytes downloaded (compressed, as they crossed the network)."""
    uploads: int = 0
    """New builds handed to the remote's uploader (it sends them in the background)."""
    remote_skipped: str | None = None
    """Why the remote was skipped for the rest of the run (a timeout, an error), if it was."""
    restored: bool = False
    """The whole deps dir came from the remote in one download (``deps_snapshot.py``)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> CacheStats | None:
        """The stats of a JSON dict (the run history, a daemon's answer); None for anything else."""
        if not isinstance(data, dict):
            return None
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        try:
            return cls(**known)
        except TypeError:
            return None


def describe_cache_stats(stats: CacheStats) -> str:
    """One line for the log: ``package cache: machine 40 hits (12.3 MB), 2 misses; remote
    webdav http://cache:8080/prebundle: 2 hits (1.2 MB down), 0 misses, 3 uploads``."""
    line = (f"package cache: machine {stats.local_hits} hit{'s' * (stats.local_hits != 1)}"
            f" ({_size(stats.local_bytes)}), {stats.local_misses} miss{'es' * (stats.local_misses != 1)}")
    if stats.remote is not None and stats.restored:
        line += f"; remote {stats.remote}: deps dir restored ({_size(stats.remote_bytes_down)} down)"
    elif stats.remote is not None:
        line += (f"; remote {stats.remote}: {stats.remote_hits} hit{'s' * (stats.remote_hits != 1)}"
                 f" ({_size(stats.remote_bytes_down)} down), {stats.remote_misses} "
                 f"miss{'es' * (stats.remote_misses != 1)}, {stats.uploads} upload{'s' * (stats.uploads != 1)}")
        if stats.remote_skipped:
            line += f" (skipped: {stats.remote_skipped})"
    return line


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} kB"
    return f"{count / (1024 * 1024):.1f} MB"
