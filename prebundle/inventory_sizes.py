"""What of a package's output a page loads, and its size on the wire.

A package's files in the deps dir are its modules, chunks, CSS and assets, which pages load,
plus the source maps and licence texts beside them, which only devtools and people read. Sizes
are reported for the first kind, raw and gzipped as a server sends them (``gzip -9``, the same
as the ``.gz`` files a production build ships beside each file).

Compressing a large app's output at level 9 takes seconds, so gzip sizes are remembered by
content in ``<cache_dir>/sizes.json``: each file is still read and hashed, but only new
content is compressed, on every core (``SizeCache.measure``; zlib lets go of the GIL): the
bench app's 311 modules take 0.53 s on one core, 0.29 s on two.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .commit import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable

    from .metadata import FileInfo, PackageRecord

__all__ = ["COMPANION_SUFFIXES", "SIZES", "FileSize", "SizeCache", "built_sizes", "file_size", "is_loaded",
           "loaded_sizes", "total"]

COMPANION_SUFFIXES = (".map", ".LEGAL.txt")
"""Files beside the modules that pages never load."""
SIZES = "sizes.json"
"""The remembered gzip sizes' name inside the cache dir."""
KEEP_SIZES = 20_000
"""Gzip sizes remembered at most (the oldest are dropped)."""
_FORMAT = "gzip-9/blake2b-16"
"""How sizes are measured and keyed: other values in the file are ignored."""


@dataclass(frozen=True)
class FileSize:
    """One file's size as stored and as sent gzipped."""

    size: int
    gzip: int

    def to_json(self) -> dict[str, int]:
        return {"size": self.size, "gzip": self.gzip}


def is_loaded(name: str) -> bool:
    """Whether pages load the deps dir's file ``name`` (not a source map or licence text)."""
    return not name.endswith(COMPANION_SUFFIXES)


def file_size(data: bytes) -> FileSize:
    """The size of ``data`` and of ``data`` gzipped at level 9."""
    return FileSize(len(data), len(gzip.compress(data, 9, mtime=0)))


def total(sizes: Iterable[FileSize]) -> FileSize:
    """The sum of ``sizes``."""
    size = packed = 0
    for item in sizes:
        size += item.size
        packed += item.gzip
    return FileSize(size, packed)


class SizeCache:
    """Gzip sizes by content, read from and saved to one cache dir."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / SIZES
        self._known: dict[str, int] = _read(self.path)
        """Content key -> gzip size."""
        self._measured: dict[Path, FileSize] = {}
        """Sizes :meth:`measure` found, by path (the deps dir's files are never modified in place)."""
        self._added = False

    def measure(self, paths: Iterable[Path]) -> None:
        """Find the sizes of ``paths`` at once, compressing the new contents on every core, so
        that :meth:`size_of` answers from memory. Unreadable files are left to it."""
        waiting: dict[str, list[tuple[Path, int]]] = {}
        """Content key -> the files of that content, for contents to compress."""
        contents: dict[str, bytes] = {}
        for path in paths:
            if path in self._measured:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            key = _content_key(data)
            packed = self._known.get(key)
            if packed is not None:
                self._measured[path] = FileSize(len(data), packed)
                continue
            waiting.setdefault(key, []).append((path, len(data)))
            contents.setdefault(key, data)  # a chunk several packages list: compressed once
        if not contents:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, min(len(contents), _cores()))) as pool:
            packed_sizes = dict(zip(contents, pool.map(lambda data: file_size(data).gzip, contents.values()),
                                    strict=True))
        for key, packed in packed_sizes.items():
            self._known[key] = packed
            for path, size in waiting[key]:
                self._measured[path] = FileSize(size, packed)
        self._added = True

    def learn(self, data: bytes) -> int:
        """The gzip size of ``data``, compressed now unless it is known: a run that writes new
        output measures it beside its builds, so the table after the run needs no file again."""
        key = _content_key(data)
        packed = self._known.get(key)
        if packed is None:
            packed = self._known[key] = file_size(data).gzip
            self._added = True
        return packed

    def size_of(self, path: Path) -> FileSize:
        """The size of the file at ``path``, raw and gzipped (``OSError`` when unreadable)."""
        measured = self._measured.get(path)
        if measured is not None:
            return measured
        data = path.read_bytes()
        key = _content_key(data)
        packed = self._known.get(key)
        if packed is None:
            packed = self._known[key] = file_size(data).gzip
            self._added = True
        return FileSize(len(data), packed)

    def save(self) -> None:
        """Remember the sizes computed since the file was read; a cache dir that cannot be
        written only costs the next reader the compression."""
        if not self._added:
            return
        known = dict(list(self._known.items())[-KEEP_SIZES:])
        try:
            atomic_write(self.path, json.dumps({"format": _FORMAT, "sizes": known}).encode())
        except OSError:
            pass
        self._added = False


def loaded_sizes(deps_dir: Path, names: Iterable[str], recorded: Mapping[str, FileInfo],
                 sizes: SizeCache) -> dict[str, FileSize]:
    """Each of ``names`` that pages load, in that order, with its size in ``deps_dir``; a file
    gone since ``recorded`` (a package record's ``files``) was written has its recorded size
    and no gzip size."""
    found = {}
    for name in names:
        if not is_loaded(name) or name in found:
            continue
        try:
            found[name] = sizes.size_of(deps_dir / name)
        except OSError:
            found[name] = FileSize(recorded[name].size if name in recorded else 0, 0)
    return found


def built_sizes(records: Iterable[PackageRecord], gzip_of: Callable[[str, FileInfo], int | None]
                ) -> list[dict[str, str | int | None]] | None:
    """What the table after a run says of each of ``records``: its label, name and version,
    the files pages load and their size raw and gzipped, from the gzip sizes the run learned
    as it wrote them (``gzip_of``: a file's name and record -> its gzip size, None when
    unknown); None when one is unknown (the table then measures the files in the deps dir)."""
    table: list[dict[str, str | int | None]] = []
    for record in records:
        files = size = packed = 0
        for name, info in record.files.items():
            if not is_loaded(name):
                continue
            gzip_size = gzip_of(name, info)
            if gzip_size is None:
                return None
            files += 1
            size += info.size
            packed += gzip_size
        table.append({"label": record.label, "name": record.name, "version": record.version, "files": files,
                      "size": size, "gzip": packed})
    return table


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _content_key(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("sizes"), dict):
        return {}
    return {key: value for key, value in data["sizes"].items() if isinstance(value, int)}
