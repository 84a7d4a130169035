"""What ``prebundle build`` prints: each file written, its size and gzip size, as ``vite build``
lists them (assets, then stylesheets, then scripts, each by size), then one line for the deps."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import AppBuildResult

__all__ = ["WrittenFile", "build_lines", "written_files"]

COMPRESSIBLE = (".js", ".mjs", ".css", ".json", ".svg", ".html", ".txt")
"""Files whose gzip size is shown (images and fonts are compressed already)."""


@dataclass(frozen=True, slots=True)
class WrittenFile:
    name: str
    """Relative to the out dir (``assets/main-XXXX.js``)."""
    size: int
    gzip: int | None
    """Its size gzipped (level 9), for text files; None for the others."""


def written_files(files: Mapping[str, bytes]) -> tuple[WrittenFile, ...]:
    """The report's rows for ``files`` (name -> bytes), in ``vite build``'s order."""
    rows = [WrittenFile(name, len(data), len(gzip.compress(data, 9, mtime=0)) if name.endswith(COMPRESSIBLE) else None)
            for name, data in files.items()]
    return tuple(sorted(rows, key=lambda row: (_group(row.name), row.size, row.name)))


def build_lines(result: AppBuildResult, root: Path) -> list[str]:
    """The report: one line per file, then the deps and the time."""
    prefix = _shown(result.out_dir, root)
    names = [f"{prefix}/{row.name}" for row in result.files]
    width = max((len(name) for name in names), default=0)
    sizes = [_kb(row.size) for row in result.files]
    size_width = max((len(size) for size in sizes), default=0)
    lines = []
    for name, size, row in zip(names, sizes, result.files):
        packed = f" │ gzip: {_kb(row.gzip)}" if row.gzip is not None else ""
        lines.append(f"{name.ljust(width)}  {size.rjust(size_width)}{packed}".rstrip())
    deps = result.deps
    lines.append(f"{prefix}/deps/: {len(deps.ids)} npm ids, {deps.files} files, {_kb(deps.bytes)} "
                 f"(importmap.json, manifest.json; {'reused' if deps.up_to_date else 'optimized'} in "
                 f"{_shown(deps.deps_dir, root)})")
    lines.append(f"built in {result.seconds * 1000:.0f} ms")
    return lines


def _group(name: str) -> int:
    if name.endswith((".js", ".mjs")):
        return 3
    if name.endswith(".css"):
        return 2
    if name.endswith(".map"):
        return 4
    return 0 if name.endswith(".json") else 1  # the manifest first, as Vite lists it


def _kb(size: int | None) -> str:
    return f"{(size or 0) / 1000:.2f} kB"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
