"""Keeping the machine-wide cache in bounds: least-recently-used pruning to a size limit, and
the removal of what killed writers left behind.

``prune`` removes entries of ``packages/``, ``interop/`` and ``compressed/``, least recently
used first, until the folder fits the limit. The esbuild binaries count towards the total but
are never removed. An entry used lately is kept, since a run may be reading it: reads record a
use at most once an hour (``cache_usage.mark_used``), so "lately" is ``keep_recent`` seconds plus
that hour. A package is renamed to ``.trash-<hex>`` before it is deleted: a concurrent reader
finds it whole or not at all, never a folder its ``record.json`` still describes with files
missing. Temp files and folders older than an hour are leftovers of killed writers and go too
(younger ones may belong to a writer at work).

``maybe_prune`` is the automatic limit, called after a run stored new entries: at most once a
day (one ``stat`` of ``<cache>/.last-prune`` otherwise), to ``PREBUNDLE_CACHE_MAX_SIZE``
(default 10G; ``off`` or ``0``: no limit). It never fails a run.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache_usage import MARK_INTERVAL, PRUNABLE, CacheEntry, KindUsage, cache_entries, format_size
from .machine_cache import PRUNE_EVERY, PRUNE_STAMP as STAMP, package_cache_dir, prune_due

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: concurrent prunes are merely wasteful
    fcntl = None  # type: ignore[assignment]

__all__ = ["DEFAULT_MAX_SIZE", "PRUNE_EVERY", "PruneResult", "STAMP", "SizeLimit", "maybe_prune", "parse_size", "prune",
           "size_limit"]

log = logging.getLogger("prebundle.cache")

DEFAULT_MAX_SIZE = 10 * 1024**3
"""The automatic limit when ``PREBUNDLE_CACHE_MAX_SIZE`` is not set: 10 GiB."""
KEEP_RECENT = 600.0
"""Seconds a run may go on reading entries it looked up: those are never pruned."""
LEFTOVER_AGE = 3600.0
"""Seconds after which a temp file or folder is taken for a killed writer's."""
LOCK = ".prune.lock"
"""The file locked while pruning: two prunes at once would each remove what the limit asks."""
ENV = "PREBUNDLE_CACHE_MAX_SIZE"

_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?b)?", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_NO_LIMIT = ("off", "0", "none", "no", "false")
_NOUNS = {"packages": ("package", "packages"), "interop": ("interop answer", "interop answers"),
          "compressed": ("compressed copy", "compressed copies")}


def parse_size(text: str) -> int:
    """Bytes of a size as people write it: ``2G``, ``500M``, ``1.5GB``, ``750MiB``, ``1024``
    (bytes); any case, powers of 1024. Raises ValueError saying what is wrong."""
    match = _SIZE.fullmatch(text.strip())
    if match is None or (match[3] and match[3].lower() == "ib" and not match[2]):
        raise ValueError(f"{text!r} is not a size (like 2G, 500M, 1.5GB, 750MiB, or 1024 for bytes)")
    return int(float(match[1]) * 1024 ** _POWERS[match[2].lower()])


@dataclass(frozen=True)
class SizeLimit:
    """The automatic limit in force, from ``PREBUNDLE_CACHE_MAX_SIZE``."""

    max_size: int | None
    """Bytes; None for no limit."""
    setting: str | None
    """The variable as set; None when it is not."""
    problem: str | None = None
    """Why the setting is not used (the default is, then)."""

    def describe(self) -> str:
        """``10.0 GB (the default)``, ``2.0 GB (PREBUNDLE_CACHE_MAX_SIZE=2G)``, ``none (...=off)``."""
        amount = "none" if self.max_size is None else format_size(self.max_size)
        if self.setting is None or self.problem is not None:
            return f"{amount} (the default)"
        return f"{amount} ({ENV}={self.setting})"

    def to_json(self) -> dict[str, Any]:
        return {"bytes": self.max_size, "setting": self.setting, "problem": self.problem}


def size_limit() -> SizeLimit:
    """The limit ``PREBUNDLE_CACHE_MAX_SIZE`` sets: a size, ``off``/``0`` for none, the default
    when unset or not a size."""
    setting = os.environ.get(ENV)
    if setting is None or not setting.strip():
        return SizeLimit(DEFAULT_MAX_SIZE, None)
    if setting.strip().lower() in _NO_LIMIT:
        return SizeLimit(None, setting)
    try:
        size = parse_size(setting)
    except ValueError as error:
        return SizeLimit(DEFAULT_MAX_SIZE, setting, f"{ENV}: {error}")
    return SizeLimit(size or None, setting)


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed, and what is left."""

    folder: Path
    max_size: int | None
    """The limit pruned to; None when only leftovers were removed."""
    removed: Mapping[str, KindUsage]
    """Entries removed, by kind (each of ``PRUNABLE``)."""
    leftovers: KindUsage
    """Leftovers of killed writers removed."""
    kept_recent: KindUsage
    """Entries the limit would have removed, kept because they were used lately."""
    remaining: int
    """Bytes on disk left in the folder."""
    esbuild: int
    """Bytes of the esbuild binaries (never removed)."""
    kept_for: float
    """Seconds since their last use within which entries were kept."""
    dry_run: bool = False

    @property
    def removed_entries(self) -> int:
        return sum(usage.entries for usage in self.removed.values())

    @property
    def removed_size(self) -> int:
        return sum(usage.size for usage in self.removed.values()) + self.leftovers.size

    @property
    def over_limit(self) -> bool:
        return self.max_size is not None and self.remaining > self.max_size

    @property
    def esbuild_over_limit(self) -> bool:
        return self.max_size is not None and self.esbuild > self.max_size

    def describe(self) -> list[str]:
        """``removed 31 packages (120.4 MB), 2 leftovers; 1.9 GB remain``, then why the folder is
        still over the limit, if it is."""
        parts = [f"{usage.entries} {_NOUNS[kind][usage.entries != 1]} ({format_size(usage.size)})"
                 for kind, usage in self.removed.items() if usage.entries]
        if self.leftovers.entries:
            parts.append(f"{self.leftovers.entries} leftover{'s' * (self.leftovers.entries != 1)}")
        verb, remain = ("would remove", "would remain") if self.dry_run else ("removed", "remain")
        lines = [f"{verb} {', '.join(parts) or 'nothing'}; {format_size(self.remaining)} {remain}"]
        if not self.over_limit:
            return lines
        limit = format_size(self.max_size or 0)
        if self.kept_recent.entries:
            lines.append(f"{self.kept_recent.entries} entr{'ies' if self.kept_recent.entries != 1 else 'y'} used "
                         f"in the last {self.kept_for / 60:.0f} minutes kept ({format_size(self.kept_recent.size)}): "
                         f"a run may be reading them; still over the limit of {limit}")
        if self.esbuild_over_limit:
            lines.append(f"the esbuild binaries alone ({format_size(self.esbuild)}) exceed the limit of {limit}: "
                         "they are never removed")
        elif not self.kept_recent.entries:
            lines.append(f"still over the limit of {limit}: the rest is not pruned (esbuild, other files, "
                         "leftovers less than an hour old)")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "maxSize": self.max_size, "dryRun": self.dry_run,
                "removed": {kind: usage.to_json() for kind, usage in self.removed.items()},
                "leftovers": self.leftovers.to_json(), "keptRecent": self.kept_recent.to_json(),
                "remaining": self.remaining, "overLimit": self.over_limit, "esbuild": self.esbuild,
                "esbuildOverLimit": self.esbuild_over_limit}


def prune(base: Path, max_size: int | None, *, keep_recent: float = KEEP_RECENT, dry_run: bool = False) -> PruneResult:
    """Remove the least recently used entries of the cache folder ``base`` until it holds at
    most ``max_size`` bytes (None: no limit, only leftovers go), never one used in the last
    ``keep_recent`` seconds; and the leftovers of killed writers. ``dry_run``: only say what
    would go. Waits for a prune running in another process."""
    base = Path(base)
    if dry_run or not base.is_dir():
        return _prune(base, max_size, keep_recent, dry_run=dry_run)
    with _prune_lock(base, wait=True):
        result = _prune(base, max_size, keep_recent, dry_run=False)
        (base / STAMP).touch()
    return result


def maybe_prune(base: Path | None = None) -> PruneResult | None:
    """Prune the machine-wide cache (``base``, by default the one in use) to the automatic
    limit if the last prune is a day old; None when it did not prune. Never raises: a failure
    is one warning (and the next try is a day later)."""
    if base is None:
        base = package_cache_dir()
        if base is None:
            return None
    try:
        if _fresh(base / STAMP):
            return None
        if not os.access(base, os.W_OK):
            return None  # no cache yet, or a read-only one (a Docker layer): nothing to do
        limit = size_limit()
        if limit.problem is not None:
            log.warning("warning: %s; the limit is the default, %s", limit.problem, format_size(DEFAULT_MAX_SIZE))
        if limit.max_size is None:
            return None
        with _prune_lock(base, wait=False) as locked:
            if not locked or _fresh(base / STAMP):
                return None  # another process is pruning, or just did
            try:
                result = _prune(base, limit.max_size, KEEP_RECENT, dry_run=False)
            finally:
                (base / STAMP).touch()
    except Exception as error:  # noqa: BLE001 - housekeeping must never fail a run
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        log.warning("warning: could not prune the machine-wide cache %s (%s)", base, reason)
        return None
    log.debug("machine-wide cache %s: %s", base, "; ".join(result.describe()))
    if result.esbuild_over_limit:
        log.warning("warning: the esbuild binaries alone (%s) exceed the machine-wide cache's limit, %s",
                    format_size(result.esbuild), limit.describe())
    return result


def _prune(base: Path, max_size: int | None, keep_recent: float, *, dry_run: bool) -> PruneResult:
    now = time.time()
    entries = cache_entries(base)
    remaining = sum(entry.size for entry in entries)
    leftovers = KindUsage()
    for entry in entries:
        if entry.leftover and now - entry.last_used > LEFTOVER_AGE and (dry_run or _delete(entry.path)):
            leftovers += KindUsage(1, entry.size)
            remaining -= entry.size
    removed = dict.fromkeys(PRUNABLE, KindUsage())
    kept = KindUsage()
    cutoff = now - keep_recent - MARK_INTERVAL  # a use this recent may not show in the mtime yet
    if max_size is not None:
        candidates = [entry for entry in entries if entry.kind in PRUNABLE and entry.counted and not entry.leftover]
        for entry in sorted(candidates, key=lambda entry: entry.last_used):
            if remaining <= max_size:
                break
            if entry.last_used <= cutoff and (dry_run or _remove_entry(entry, cutoff)):
                removed[entry.kind] += KindUsage(1, entry.size)
                remaining -= entry.size
            else:
                kept += KindUsage(1, entry.size)
    esbuild = sum(entry.size for entry in entries if entry.kind == "esbuild" and not entry.leftover)
    return PruneResult(base, max_size, removed, leftovers, kept, remaining, esbuild, now - cutoff, dry_run)


def _remove_entry(entry: CacheEntry, cutoff: float) -> bool:
    """Remove one entry unless it was used since it was looked at; whether it was removed."""
    marker = entry.path / "record.json" if entry.kind == "packages" else entry.path
    try:
        if os.stat(marker).st_mtime > cutoff:
            return False
    except FileNotFoundError:
        if entry.kind != "packages":
            return False  # gone already
    except OSError:
        return False
    if entry.kind != "packages":
        try:
            os.unlink(entry.path)  # one file: readers see it whole or not at all
        except OSError:
            return False
        return True
    trash = entry.path.with_name(f".trash-{os.urandom(6).hex()}")
    try:
        os.rename(entry.path, trash)  # from here on, a reader of the key finds nothing
    except OSError:
        return False
    _delete(trash)  # what an error leaves is a leftover, removed by a later prune
    return True


def _delete(path: Path) -> bool:
    """Remove a file or a folder with all it holds; whether it is gone."""
    from .commit import remove_path  # here: ``prebundle cache info`` has no use for it

    remove_path(path)
    return not os.path.lexists(path)


def _fresh(stamp: Path) -> bool:
    """Whether the last prune is less than ``PRUNE_EVERY`` old."""
    return not prune_due(stamp.parent)


@contextmanager
def _prune_lock(base: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the cache folder's prune lock; yields False when ``wait`` is off and another process
    holds it. The kernel drops the lock of a killed process."""
    fd = os.open(base / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
        yield True
    finally:
        os.close(fd)
