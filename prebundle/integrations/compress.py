"""Precompression at build: ``.gz`` and ``.br`` beside each compressible file of a deps dir, so
the WSGI/ASGI layers send them without compressing per request.

Call ``precompress(staging_dir, reuse_from=deps_dir, store=...)`` after a production build has
written its files and before the folder is committed; unchanged files (hard links of the
previous build's) reuse the previous build's compressed copies, and a ``store`` (the machine-wide
cache's ``compressed/`` folder) keeps compressed copies by content, so a package another project
or an earlier checkout already compressed is never compressed again: brotli at quality 11 is the
slowest part of a production build.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..cache_marks import mark_used
from ..commit import atomic_write
from .encodings import COMPRESSIBLE, MIN_SIZE, SUFFIX
from .encodings import brotli_module as _brotli

__all__ = ["precompress"]


def precompress(deps_dir: str | os.PathLike[str], *, reuse_from: str | os.PathLike[str] | None = None,
                brotli: bool = True, min_size: int = MIN_SIZE,
                store: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write ``<file>.gz`` (gzip -9) and ``<file>.br`` (brotli, quality 11, if a brotli module is
    installed) for each compressible file of ``deps_dir`` of at least ``min_size`` bytes; skip an
    encoding that does not make the file smaller. ``store``: a folder of compressed copies by
    content, read and filled. Returns the files written."""
    folder = Path(deps_dir)
    previous = Path(reuse_from) if reuse_from is not None else None
    encodings = ["gzip", *(["br"] if brotli and _brotli is not None else [])]
    files = [path for path in sorted(folder.rglob("*"))
             if path.is_file() and path.suffix in COMPRESSIBLE and path.stat().st_size >= min_size]
    written: list[Path] = []
    todo: list[tuple[Path, str]] = []
    for path in files:
        for encoding in encodings:
            target = path.with_name(path.name + SUFFIX[encoding])
            if previous is not None and _reuse(path, previous / path.relative_to(folder), target):
                written.append(target)
            else:
                todo.append((path, encoding))
    with ThreadPoolExecutor(max_workers=COMPRESS_THREADS) as pool:  # zlib and brotli let go of the GIL
        for target in pool.map(lambda job: _compressed(*job, Path(store) if store is not None else None), todo):
            if target is not None:
                written.append(target)
    return written


COMPRESS_THREADS = 2
"""Files compressed at once."""


def _compressed(path: Path, encoding: str, store: Path | None) -> Path | None:
    """``path``'s compressed copy in ``encoding`` beside it: from ``store`` when it has one for
    these bytes, else made (and put there). None when compressing does not make it smaller."""
    target = path.with_name(path.name + SUFFIX[encoding])
    data = path.read_bytes()
    kept = None
    if store is not None:
        kept = store / encoding / hashlib.blake2b(data, digest_size=20).hexdigest()
        try:
            os.link(kept, target)
            os.utime(target)  # at least as new as the file, or the servers would not send it
            return target
        except FileNotFoundError:
            pass
        except OSError:  # another file system: a copy
            try:
                atomic_write(target, kept.read_bytes())
                mark_used(kept)
                return target
            except OSError:
                pass
    packed = gzip.compress(data, 9, mtime=0) if encoding == "gzip" else _brotli.compress(data, quality=11)
    if len(packed) >= len(data):
        return None
    atomic_write(target, packed)
    if kept is not None:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(kept, packed)
        except OSError:
            pass  # a read-only or full machine cache: this build has its copy all the same
    return target


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
