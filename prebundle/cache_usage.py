"""What the machine-wide cache holds and when each entry was last used.

The folder (``machine_cache.py``) holds four kinds of entries:

* ``packages/<key>/``: a built package, its files and ``record.json`` (``shared_cache.py``);
* ``interop/<hash>.json``: an interop answer (``interop/cache.py``);
* ``compressed/<encoding>/<digest>``: a brotli or gzip copy by content (``integrations/compress.py``);
* ``esbuild/<version>/<platform>/esbuild``: the pinned esbuild binary (``esbuild/_binary_cache.py``).

Anything else is "other". Writers make an entry under a temp name and rename it into place
(``.tmp-<hex>`` folders, ``.<name>.<hex>`` files of ``atomic_write``; pruning renames an entry to
``.trash-<hex>`` before deleting it): a killed writer leaves those behind, the "leftovers".

The last use of an entry is the mtime of its ``record.json`` (of the file itself for the
others): reads touch it (``mark_used``) at most once an hour, so a hot cache does not write on
every read. Sizes are bytes on disk (allocated blocks, as ``du`` counts them), found with
``os.scandir`` and ``stat`` alone: no file is read.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache_marks import MARK_INTERVAL, mark_used

__all__ = ["KINDS", "MARK_INTERVAL", "PRUNABLE", "CacheEntry", "CacheUsage", "KindUsage", "cache_entries",
           "format_size", "is_leftover", "mark_used", "summarize", "usage"]

KINDS = ("packages", "interop", "compressed", "esbuild", "other")
"""The kinds of entries, in the order they are shown."""
PRUNABLE = ("packages", "interop", "compressed")
"""The kinds pruning may remove: the others are counted, never removed."""

_LEFTOVER = re.compile(r"\.(tmp|trash)-[0-9a-f]+|\..+\.[0-9a-f]{12}")
"""Temp names of writers and of pruning: ``.tmp-<hex>`` (``make_temp_dir``), ``.trash-<hex>``,
``.<name>.<12 hex>`` (``atomic_write``)."""
_BINARIES = ("esbuild", "esbuild.exe")


def is_leftover(name: str) -> bool:
    """Whether ``name`` is a temp name a writer, or pruning, gives an entry before its rename."""
    return _LEFTOVER.fullmatch(name) is not None


@dataclass(frozen=True)
class CacheEntry:
    """One entry of the cache, or one leftover of an interrupted writer."""

    kind: str
    """One of ``KINDS``: the folder it is in."""
    path: Path
    size: int
    """Bytes on disk, its folder's own blocks included."""
    last_used: float
    """Its last use (a leftover: its last write), seconds since the epoch: the mtime of its
    ``record.json``, or of itself."""
    leftover: bool = False
    """A temp file or folder left by a killed writer or an interrupted prune."""
    counted: bool = True
    """Whether it counts as an entry: False for the blocks of the kind's folders themselves, and
    for the esbuild folder's stamps and folders (one entry per binary)."""


@dataclass(frozen=True)
class KindUsage:
    """How many entries of one kind, and their bytes on disk."""

    entries: int = 0
    size: int = 0

    def __add__(self, other: KindUsage) -> KindUsage:
        return KindUsage(self.entries + other.entries, self.size + other.size)

    def to_json(self) -> dict[str, int]:
        return {"entries": self.entries, "bytes": self.size}


@dataclass(frozen=True)
class CacheUsage:
    """What the machine-wide cache holds."""

    folder: Path
    kinds: Mapping[str, KindUsage]
    """Each of ``KINDS``, leftovers not included."""
    leftovers: KindUsage
    """Temp files and folders of interrupted writers (``prebundle cache prune`` removes them)."""
    oldest_use: float | None
    """The last use of the least recently used entry that pruning may remove."""
    newest_use: float | None
    """The last use of the most recently used one."""

    @property
    def entries(self) -> int:
        return sum(kind.entries for kind in self.kinds.values())

    @property
    def size(self) -> int:
        """Bytes on disk of the whole folder, leftovers included."""
        return sum(kind.size for kind in self.kinds.values()) + self.leftovers.size

    def describe(self, limit: str) -> list[str]:
        """The lines of ``prebundle cache info``: a table of the kinds; ``limit``, the limit in
        force as it is to be shown."""
        rows = [(name, usage.entries, usage.size) for name, usage in self.kinds.items()]
        rows += [("leftovers", self.leftovers.entries, self.leftovers.size), ("total", self.entries, self.size)]
        lines = [f"folder: {self.folder}", f"{'':<12}{'entries':>8}{'size':>11}"]
        lines += [f"{name:<12}{entries:>8}{format_size(size):>11}" for name, entries, size in rows]
        lines.append(f"limit: {limit}")
        if self.leftovers.entries:
            lines.append("leftovers: temp files of interrupted writes; `prebundle cache prune` removes those "
                         "over an hour old")
        if self.oldest_use is not None and self.newest_use is not None:
            lines.append(f"last used: {_local(self.oldest_use)} (least recent) to {_local(self.newest_use)}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "kinds": {name: usage.to_json() for name, usage in self.kinds.items()},
                "total": {"entries": self.entries, "bytes": self.size}, "leftovers": self.leftovers.to_json(),
                "oldestUse": _iso(self.oldest_use), "newestUse": _iso(self.newest_use)}


def usage(base: Path) -> CacheUsage:
    """What the cache folder ``base`` holds (all zero when it does not exist)."""
    return summarize(base, cache_entries(base))


def summarize(base: Path, entries: list[CacheEntry]) -> CacheUsage:
    """The usage of ``base`` holding ``entries``."""
    kinds = dict.fromkeys(KINDS, KindUsage())
    leftovers = KindUsage()
    uses = []
    for entry in entries:
        if entry.leftover:
            leftovers += KindUsage(1, entry.size)
            continue
        kinds[entry.kind] += KindUsage(int(entry.counted), entry.size)
        if entry.counted and entry.kind in PRUNABLE:
            uses.append(entry.last_used)
    return CacheUsage(base, kinds, leftovers, min(uses, default=None), max(uses, default=None))


def cache_entries(base: Path) -> list[CacheEntry]:
    """Every entry and leftover of the cache folder ``base``; entries that vanish while they
    are looked at (another process pruned them) are left out."""
    found: list[CacheEntry | None] = []
    top = _scan(base)
    if top is None:
        return []
    found.append(_folder_blocks("other", base))
    for item in top:
        if item.name == "packages" and _is_dir(item):
            found.extend(_packages(Path(item.path)))
        elif item.name == "interop" and _is_dir(item):
            found.extend(_files("interop", Path(item.path)))
        elif item.name == "compressed" and _is_dir(item):
            found.append(_folder_blocks("compressed", Path(item.path)))
            for encoding in _scan(Path(item.path)) or ():
                if _is_dir(encoding):
                    found.extend(_files("compressed", Path(encoding.path)))
                else:
                    found.append(_whole("other", encoding))
        elif item.name == "esbuild" and _is_dir(item):
            found.extend(_esbuild(Path(item.path)))
        else:
            found.append(_whole("other", item))
    return [entry for entry in found if entry is not None]


def _packages(folder: Path) -> Iterator[CacheEntry | None]:
    """One entry per built package, last used when its ``record.json`` was last touched."""
    yield _folder_blocks("packages", folder)
    for item in _scan(folder) or ():
        if is_leftover(item.name):
            yield _whole("packages", item, leftover=True)
        elif not _is_dir(item):
            yield _whole("other", item)
        else:
            record = _lstat(os.path.join(item.path, "record.json")) or _stat(item)  # no record: damaged
            if record is not None:
                yield CacheEntry("packages", Path(item.path), _tree_size(item.path), record.st_mtime)


def _files(kind: str, folder: Path) -> Iterator[CacheEntry | None]:
    """One entry per file of ``folder`` (interop answers, compressed copies)."""
    yield _folder_blocks(kind, folder)
    for item in _scan(folder) or ():
        if is_leftover(item.name):
            yield _whole(kind, item, leftover=True)
        elif _is_dir(item):
            yield _whole("other", item)
        else:
            yield _whole(kind, item)


def _esbuild(folder: Path) -> Iterator[CacheEntry | None]:
    """Binaries count as entries; their stamps and folders only add bytes; temp files of an
    interrupted fetch are leftovers."""
    yield _folder_blocks("esbuild", folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            yield _folder_blocks("esbuild", Path(dirpath, name))
        for name in filenames:
            path = Path(dirpath, name)
            stat = _lstat(path)
            if stat is None:
                continue
            if is_leftover(name):
                yield CacheEntry("esbuild", path, _blocks(stat), stat.st_mtime, leftover=True)
            else:
                yield CacheEntry("esbuild", path, _blocks(stat), stat.st_mtime, counted=name in _BINARIES)


def _whole(kind: str, item: os.DirEntry[str], *, leftover: bool = False) -> CacheEntry | None:
    """An entry of one file or folder (a folder with everything in it)."""
    stat = _stat(item)
    if stat is None:
        return None
    size = _tree_size(item.path) if _is_dir(item) else _blocks(stat)
    return CacheEntry(kind, Path(item.path), size, stat.st_mtime, leftover=leftover)


def _folder_blocks(kind: str, folder: Path) -> CacheEntry | None:
    """The blocks of a folder itself (its list of names), counted in its kind's size."""
    stat = _lstat(folder)
    return CacheEntry(kind, folder, _blocks(stat), stat.st_mtime, counted=False) if stat is not None else None


def _tree_size(path: str) -> int:
    """Bytes on disk of a folder and everything in it; symlinks are not followed."""
    total = 0
    pending = [path]
    while pending:
        folder = pending.pop()
        stat = _lstat(folder)
        if stat is not None:
            total += _blocks(stat)
        for item in _scan(Path(folder)) or ():
            if _is_dir(item):
                pending.append(item.path)
            else:
                found = _stat(item)
                total += _blocks(found) if found is not None else 0
    return total


def _scan(folder: Path) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(folder) as items:
            return list(items)
    except OSError:
        return None


def _is_dir(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _stat(item: os.DirEntry[str]) -> os.stat_result | None:
    try:
        return item.stat(follow_symlinks=False)
    except OSError:
        return None


def _lstat(path: str | os.PathLike[str]) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _blocks(stat: os.stat_result) -> int:
    """Bytes on disk; the file's length where the platform does not say (Windows)."""
    blocks = getattr(stat, "st_blocks", None)
    return blocks * 512 if blocks is not None else stat.st_size


def format_size(size: int) -> str:
    """``512 B``, ``3.4 kB``, ``120.4 MB``, ``1.9 GB``: powers of 1024, as sizes are parsed."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _local(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(timestamp))
