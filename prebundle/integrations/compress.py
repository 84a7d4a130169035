"""Precompression at build: ``.gz`` and ``.br`` beside each compressible file of a deps dir, so
the WSGI/ASGI layers send them without compressing per request.

Call ``precompress(staging_dir, reuse_from=deps_dir)`` after a production build has written its
files and before the folder is committed; unchanged files (hard links of the previous build's)
reuse the previous build's compressed copies.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from ..commit import atomic_write
from .serve import COMPRESSIBLE, MIN_SIZE, SUFFIX, _brotli

__all__ = ["precompress"]


def precompress(deps_dir: str | os.PathLike[str], *, reuse_from: str | os.PathLike[str] | None = None,
                brotli: bool = True, min_size: int = MIN_SIZE) -> list[Path]:
    """Write ``<file>.gz`` (gzip -9) and ``<file>.br`` (brotli, quality 11, if a brotli module is
    installed) for each compressible file of ``deps_dir`` of at least ``min_size`` bytes; skip an
    encoding that does not make the file smaller. Returns the files written."""
    folder = Path(deps_dir)
    previous = Path(reuse_from) if reuse_from is not None else None
    encodings = ["gzip", *(["br"] if brotli and _brotli is not None else [])]
    written = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE or path.stat().st_size < min_size:
            continue
        data = None
        for encoding in encodings:
            target = path.with_name(path.name + SUFFIX[encoding])
            if previous is not None and _reuse(path, previous / path.relative_to(folder), target):
                written.append(target)
                continue
            data = path.read_bytes() if data is None else data
            packed = gzip.compress(data, 9, mtime=0) if encoding == "gzip" else _brotli.compress(data, quality=11)
            if len(packed) >= len(data):
                continue
            atomic_write(target, packed)
            written.append(target)
    return written


def _reuse(path: Path, old: Path, target: Path) -> bool:
    old_packed = old.with_name(old.name + target.suffix)
    try:
        if not os.path.samefile(path, old) or not old_packed.is_file():
            return False
        if old_packed.stat().st_mtime_ns < old.stat().st_mtime_ns:
            return False
        os.link(old_packed, target)
    except OSError:
        return False
    return True
