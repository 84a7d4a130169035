"""The machine-wide copy of the pinned esbuild binary: ``<cache>/esbuild/<version>/<platform>/esbuild``.

``<cache>`` is the machine-wide cache folder (``prebundle/machine_cache.py``); when
``PREBUNDLE_CACHE_DIR=off`` turns the package cache off, esbuild still goes to the default
location: it has to live somewhere, and it is the same for every project.

Hashing a 10 MB binary costs more than a whole no-op run can spare, so the binary is hashed in
full once and a stamp beside it (size, mtime_ns, inode, sha256) stands for that check until the
file changes. Writes are a temp file in the same folder renamed into place, so concurrent
fetchers each replace the file with the same verified bytes and readers never see half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..commit import atomic_write
from ..machine_cache import machine_cache_dir
from ._errors import BinaryNotFound
from ._pinned import binary_subpath

__all__ = ["cache_base", "cached_binary_path", "is_verified", "store_binary", "sha256_of"]

def cache_base() -> Path:
    """The machine-wide cache folder esbuild is kept in."""
    return machine_cache_dir()


def cached_binary_path(version: str, platform: str) -> Path:
    """Where the binary of ``version`` for ``platform`` is kept (it may not exist yet)."""
    name = "esbuild.exe" if binary_subpath(platform).endswith(".exe") else "esbuild"
    return cache_base() / "esbuild" / version / platform / name


def _stamp_path(binary: Path) -> Path:
    return binary.with_name(binary.name + ".stamp")


def _stamp(stat: os.stat_result, sha256: str) -> dict:
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino,
            "sha256": sha256}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_verified(binary: Path, expected: str) -> bool:
    """True when ``binary`` exists, is executable and has the SHA-256 ``expected``.

    A matching stamp answers without reading the binary; otherwise it is hashed, and the stamp
    rewritten when it matches. False for a missing or corrupted binary (the caller refetches).
    """
    try:
        stat = binary.stat()
    except OSError:
        return False
    if not os.access(binary, os.X_OK):
        return False
    try:
        stamp = json.loads(_stamp_path(binary).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = None
    if stamp == _stamp(stat, expected):
        return True
    try:
        if sha256_of(binary) != expected:
            return False
    except OSError:
        return False
    _write_stamp(binary, stat, expected)
    return True


def _write_stamp(binary: Path, stat: os.stat_result, sha256: str) -> None:
    """Best effort: a read-only cache (a Docker layer, a shared mount) is just hashed each run."""
    try:
        atomic_write(_stamp_path(binary), json.dumps(_stamp(stat, sha256)).encode(), mode=0o644, durable=True)
    except OSError:
        pass


def store_binary(binary: Path, data: bytes, sha256: str) -> None:
    """Write verified ``data`` to ``binary`` atomically (mode 0755), then its stamp."""
    try:
        binary.parent.mkdir(parents=True, exist_ok=True)
        stat = atomic_write(binary, data, mode=0o755, durable=True)
    except OSError as exc:
        raise BinaryNotFound(
            f"cannot store esbuild in {binary.parent} ({exc.strerror or exc}): set "
            "PREBUNDLE_CACHE_DIR to a writable folder, or ESBUILD_BINARY_PATH to an esbuild binary"
        ) from exc
    _write_stamp(binary, stat, sha256)
