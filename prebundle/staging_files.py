"""Output files placed into a run's staging folder, partly while later builds still run.

A cold run of the bench app writes about 600 files (bundles and their source maps). Written
after the last build, they held up the end of the run by 40–120 ms of file creation; written on
a thread of their own as each group of builds returns, that work overlaps the builds still
running. A build written early is only a draft: the run may yet build a package again (its
ids grew) or drop it (no longer needed), so :meth:`StagingWriter.finish` reports what was
written and the run's publish reconciles it with the builds it keeps (:func:`reconcile`).

A file whose bytes are exactly those of the same name in the output being replaced (most of a
``--force`` run of unchanged packages) is not written again: that file, when it is a regular
file of this user with the group and permission bits a new file would get, is hard-linked
into the staging folder (:func:`link_unchanged`). Output files are never modified in place,
so serving that file is serving the bytes the run built, without their writes (36 MB on the
bench app) or a new inode for each of 600 files (5 µs a file on some disks, 150 µs on others).
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .commit import NEW_FILE, link_or_copy
from .inventory_sizes import is_loaded

if TYPE_CHECKING:  # pragma: no cover
    from .bundle import PackageBuild
    from .inventory_sizes import SizeCache
    from .metadata import FileInfo

__all__ = ["LinksRefused", "NewFile", "StagingWriter", "link_unchanged", "new_file", "place", "reconcile"]

_COMPARED_BYTES = 1 << 20
"""How much of a previous file is read at a time to compare it (a source map can be 5 MB)."""
_NO_LINKS = frozenset(getattr(errno, name) for name in ("EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS")
                      if hasattr(errno, name))
"""``os.link`` errors that every later link between the same two folders would meet too."""


class LinksRefused(Exception):
    """The file system refused a hard link from the replaced output into the staging folder,
    as it will refuse the next (another device, a file system without links)."""


class NewFile(NamedTuple):
    """What a file created in the staging folder gets, which a linked file must have too."""

    mode: int
    """Its permission bits (the umask decides)."""
    gid: int
    """Its group (the folder's, when the folder is set-group-ID)."""


def place(content: bytes | Path, staging: Path | str, name: str, folders: set[str]) -> None:
    """Put one file into the staging folder, always as a new name: reused files are hard-linked
    (they are never modified in place), new bytes go to a new file, never through a link.
    ``folders``: the folders made already (one ``mkdir`` each, paths as strings: a deps dir is
    hundreds of files)."""
    target = os.path.join(staging, name)
    _make_folder(os.path.dirname(target), folders)
    if isinstance(content, Path):
        link_or_copy(content, target)
        return
    # os.open rather than open(): no fstat, isatty or seek for a file written once.
    fd = os.open(target, NEW_FILE, 0o666)  # the umask decides
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


class StagingWriter:
    """Writes fresh builds' files into ``staging`` on one thread, in the order given.
    ``sizes``: gzip sizes to learn of the modules written (``SizeCache.learn``), for a run that
    shows them in its table; the caller saves them."""

    def __init__(self, staging: Path, sizes: SizeCache | None = None, *,
                 previous: Path | None = None) -> None:
        self.staging = staging
        self.sizes = sizes
        self.previous = None if previous is None else os.fspath(previous)
        """The output being replaced: its files of identical bytes are linked, not written."""
        self._new_file: NewFile | None = None
        """What a new file here gets (a linked file must have it too); None on Windows, where
        files have no permission bits or group."""
        self._new_file_known = False
        self.folders: set[str] = set()
        self._written: dict[str, FileInfo] = {}
        """Name -> what was written there (the first build to write a name wins)."""
        self._gzip: dict[str, int] = {}
        """Name -> the gzip size of what was written there (pages' modules, when ``sizes``)."""
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []

    def add(self, builds: Iterable[PackageBuild]) -> None:
        """Queue these builds' new files for writing (reused files are linked at publish time)."""
        fresh = [build for build in builds if not build.reused]
        if not fresh:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="prebundle-staging")
        self._futures.append(self._pool.submit(self._write, fresh))

    def _write(self, builds: list[PackageBuild]) -> None:
        written: list[tuple[str, bytes]] = []
        for build in builds:
            for name, info in build.file_infos.items():
                content = build.files[name]
                if name in self._written or isinstance(content, Path):
                    continue
                if self.previous is None or not self._link(content, name):
                    place(content, self.staging, name, self.folders)
                self._written[name] = info
                if is_loaded(name):
                    written.append((name, content))
        if self.sizes is not None:  # after the writes: a stop waits for one batch's writes, not its sizes
            for name, content in written:
                self._gzip[name] = self.sizes.learn(content)

    def _link(self, content: bytes, name: str) -> bool:
        if not self._new_file_known:
            self._new_file_known = True
            _make_folder(os.fspath(self.staging), self.folders)
            self._new_file = new_file(self.staging)
            if self._new_file is None and os.name != "nt":
                self.previous = None  # cannot tell what a new file gets: every file written
        if self.previous is None:
            return False
        try:
            return link_unchanged(content, os.path.join(self.previous, name), self.staging, name, self.folders,
                                  new=self._new_file)
        except LinksRefused:
            self.previous = None  # no link will be allowed: the run's other files are written, not compared
            return False

    def gzip_size(self, name: str, info: FileInfo) -> int | None:
        """The gzip size learned of the file written at ``name``, if what was written there is
        ``info`` (the publish replaces a draft of other content); call after :meth:`finish`."""
        return self._gzip.get(name) if self._written.get(name) == info else None

    def finish(self) -> dict[str, FileInfo]:
        """Wait for every write; what was written where. Raises the first write's error."""
        for future in self._futures:
            future.result()
        self.close()
        return self._written

    def close(self) -> None:
        """Stop: writes not started are dropped, the one under way ends (a run that failed
        removes its staging folder right after)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def link_unchanged(content: bytes, previous: str, staging: Path | str, name: str, folders: set[str], *,
                   new: NewFile | None = None) -> bool:
    """Hard-link ``previous`` into the staging folder as ``name`` when it is a regular file of
    this user, directly in the replaced output (not through a symlink), holding exactly
    ``content`` (compared byte for byte: a file edited by hand is written anew), and, when
    ``new`` is given, with the permission bits and group a new file gets (a ``--force`` under
    another umask, or after a ``chgrp`` of the folder, writes its files anew; without ``new``,
    a read-only file is written anew). False, and no file placed, otherwise; raises
    :class:`LinksRefused` when the file system refuses the link as it would any other.
    (Extended attributes, ACLs among them, are not compared: a linked file keeps those of the
    replaced one, which was made in a folder beside the staging folder, under the same parent.)

    The file is read from one descriptor whose file is checked to be the one at ``previous``,
    unchanged from before the comparison to after the link. (From then until the run commits,
    the old output and the new share it: an edit in place in that second is the new output's
    too, as an edit of the new output after the commit would be.)"""
    if "/" in name or os.sep in name:
        return False  # a file in a subfolder: the folder could be a symlink
    try:
        found = os.lstat(previous)
    except OSError:
        return False
    if not stat.S_ISREG(found.st_mode) or found.st_size != len(content) or not _ours(found, new):
        return False  # a symlink, a FIFO (opening it would wait forever), another size, owner, group or mode
    try:
        fd = os.open(previous, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    target = os.path.join(staging, name)
    linked = False
    try:
        compared = os.fstat(fd)
        if _identity(compared) != _identity(found):
            return False  # replaced since the lstat
        view = memoryview(content)
        offset = 0
        while offset < len(view):
            chunk = os.read(fd, min(_COMPARED_BYTES, len(view) - offset))
            if not chunk or view[offset:offset + len(chunk)] != chunk:
                return False
            offset += len(chunk)
        if os.read(fd, 1) or _identity(os.fstat(fd)) != _identity(compared):
            return False  # written to while it was compared
        _make_folder(os.path.dirname(target), folders)
        try:
            os.link(previous, target)  # a regular file, as the lstat and fstat above found
        except OSError as error:
            if error.errno in _NO_LINKS:  # another file system, a file system without links
                raise LinksRefused(str(error)) from None
            return False  # written instead
        linked = True
        if _identity(os.lstat(target)) != _identity(compared):
            os.unlink(target)  # replaced, or written to, between the comparison and the link
            linked = False
            return False
        return True
    except OSError:
        if linked:
            try:
                os.unlink(target)
            except OSError:
                pass
        return False
    finally:
        os.close(fd)


def _make_folder(folder: str, folders: set[str]) -> None:
    """``folder`` made, once per run (``folders``: those made already)."""
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)


def _identity(found: os.stat_result) -> tuple[int, int, int, int]:
    """What tells that a file is the same and was not written to (a link changes its ctime,
    not these)."""
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


def _ours(found: os.stat_result, new: NewFile | None) -> bool:
    """A file of this user with the permission bits and group of ``new``; without ``new``
    (Windows), one that is not read-only (the attribute would be the new output's too)."""
    if new is None:
        if not found.st_mode & stat.S_IWRITE:
            return False
    elif stat.S_IMODE(found.st_mode) != new.mode or found.st_gid != new.gid:
        return False
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or found.st_uid == geteuid()


def new_file(folder: Path | str) -> NewFile | None:
    """The permission bits (the umask decides) and group a file created in ``folder`` gets,
    from a probe file made and removed; None where files have no such bits (Windows) or it
    cannot tell."""
    if os.name == "nt":
        return None
    probe = os.path.join(folder, f".mode-{os.getpid()}-{threading.get_ident()}")
    try:
        fd = os.open(probe, NEW_FILE, 0o666)
    except OSError:
        return None
    try:
        made = os.fstat(fd)
        return NewFile(stat.S_IMODE(made.st_mode), made.st_gid)
    except OSError:
        return None
    finally:
        os.close(fd)
        try:
            os.unlink(probe)
        except OSError:
            pass


def reconcile(kept: Mapping[str, tuple[bytes | Path, FileInfo]], drafts: Mapping[str, FileInfo],
              staging: Path, folders: set[str]) -> None:
    """Make ``staging`` hold exactly ``kept`` (name -> content and its info): files written
    early with the same info stay, others are replaced, drafts of builds the run dropped go
    (and the folders they leave empty)."""
    for name, (content, info) in kept.items():
        draft = drafts.get(name)
        if draft == info:
            continue
        if draft is not None:
            os.unlink(os.path.join(staging, name))
        place(content, staging, name, folders)
    emptied: set[str] = set()
    for name in drafts.keys() - kept.keys():
        target = os.path.join(staging, name)
        os.unlink(target)
        emptied.add(os.path.dirname(target))
    for folder in sorted(emptied, key=len, reverse=True):  # an assets folder only a dropped build had
        while folder != os.fspath(staging):
            try:
                os.rmdir(folder)
            except OSError:
                break  # not empty
            folders.discard(folder)
            folder = os.path.dirname(folder)
