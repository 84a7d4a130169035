"""Commit: the new deps dir is built in a temp dir beside it and swapped into place atomically.

On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``: at every instant ``deps/`` is either the
complete old state or the complete new one, even if the process is killed. Elsewhere it is two
renames, and a run that finds ``deps/`` missing but an old copy beside it puts the copy back.
A lock file serialises runs; the kernel drops the lock of a killed process, so a stale lock is
simply taken over.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["OutputLock", "atomic_write", "commit_dir", "link_or_copy", "make_temp_dir", "new_staging_dir", "recover",
           "remove_path"]

log = logging.getLogger("prebundle.commit")

STAGING_PREFIX = "deps_temp_"
OLD_PREFIX = "deps_old_"


class OutputLock:
    """An exclusive lock on a cache dir for the length of one optimize run.

    A second run waits for the first (after saying so once) rather than interleaving writes.
    """

    def __init__(self, cache_dir: Path, *, wait: bool = True, on_wait: Callable[[], object] | None = None) -> None:
        self.path = cache_dir / "deps.lock"
        self.wait = wait
        self.on_wait = on_wait
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(fd):
                holder = _read_pid(fd)
                if not self.wait:
                    raise BlockingIOError(f"another prebundle run (pid {holder}) holds {self.path}")
                if self.on_wait is not None:
                    self.on_wait(holder)
                _lock(fd)
            try:  # the pid only names the holder to a waiting run: a full disk must not stop this one
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
            except OSError:
                pass
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


if sys.platform == "win32":  # pragma: no cover
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _lock(fd: int) -> None:
        while not _try_lock(fd):
            time.sleep(0.1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode().strip() or "?"
    except OSError:
        return "?"


def new_staging_dir(cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    return make_temp_dir(cache_dir, STAGING_PREFIX)


def make_temp_dir(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder in ``parent`` with the usual mode (the umask's, like any
    ``mkdir``): ``tempfile.mkdtemp`` makes it 0700, which a web server running as another user
    could not read once the folder is renamed into place."""
    for _ in range(100):
        path = parent / f"{prefix}{_random_hex()}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name in {parent}")


def recover(cache_dir: Path) -> None:
    """With the lock held: restore ``deps/`` if a kill hit between two renames, and remove the
    temp and old dirs that killed runs left behind."""
    deps = cache_dir / "deps"
    leftovers = sorted(cache_dir.glob(OLD_PREFIX + "*"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not deps.exists() and leftovers:
        os.rename(leftovers.pop(0), deps)
        log.debug("restored %s from an interrupted run", deps)
    for path in [*leftovers, *cache_dir.glob(STAGING_PREFIX + "*")]:
        remove_path(path)


def link_or_copy(source: Path | str, target: Path | str) -> None:
    """``target`` as a hard link to ``source``, or a copy where links fail (another file
    system): for files that are never modified in place, as every output and cache file is."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def remove_path(path: Path) -> None:
    """Delete a folder, or a file: a deps "dir" that was a file is swapped out as one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:
            pass


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only to replace a deps dir: a first run or a restore has none

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def commit_dir(staging: Path, deps: Path) -> None:
    """Put ``staging`` in the place of ``deps`` (the old one is deleted)."""
    if not deps.exists():
        os.rename(staging, deps)
        return
    if _exchange(staging, deps):
        remove_path(staging)  # staging now holds the old state
        return
    old = deps.with_name(f"{OLD_PREFIX}{os.getpid()}_{time.monotonic_ns()}")
    os.rename(deps, old)
    os.rename(staging, deps)
    remove_path(old)


NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
"""``os.open`` flags of a file written once under a new name: never through an existing name,
not inherited by child processes, and in binary mode on Windows (where a descriptor is in text
mode otherwise, and a write would turn each ``\n`` into ``\r\n``)."""


def atomic_write(path: Path, data: bytes, *, mode: int | None = None, durable: bool = False) -> os.stat_result:
    """Write a file so readers see the old bytes or the new, never a part; returns its stat.

    ``mode``: the file's permission bits exactly (a secret's 0600, a binary's 0755); by default
    the umask's, unlike ``mkstemp``'s 0600, so other users may share what is written.
    ``durable``: flushed to disk before the rename, for a file that must survive a power cut
    whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{_random_hex()}")
    try:
        fd = os.open(tmp, NEW_FILE, 0o666 if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(fd, mode)  # the umask may have narrowed it
            if durable:
                os.fsync(fd)
            stat = os.fstat(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return stat


def _random_hex() -> str:
    """12 random hex digits for a temp name, from ``os.urandom`` as ``secrets.token_hex(6)``
    gives them (``secrets`` costs a build's start more than its few names)."""
    return os.urandom(6).hex()
