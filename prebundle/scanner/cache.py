"""The scan cache: each file's extracted imports and the last crawl's snapshot, kept across runs
so a warm scan parses nothing, and one where nothing changed crawls nothing.

Each project root has two packed files (:mod:`.packed`) under ``<cache_dir>/scan/``, named by a
digest of the root: ``.snapshot`` holds the snapshot of the last crawl (:mod:`.snapshot`), which
is all a warm scan reads, and ``.index`` the rest, which only a crawl reads (and a scan that
refreshed the snapshot does not rewrite):

* the index: ``path -> IndexEntry(size, mtime_ns, digest, imports, warnings)``, so a crawl
  costs a ``stat`` per file and parses only files whose stamp and content changed;
* the links: relative resolutions of the last crawl with the folder stamps that prove them
  (``(specifier, folder) -> Link(target, proof)``);
* contents: ``(suffix, digest) -> Records(imports, warnings)`` of results that left the index
  (an older version of a file, a renamed one), so bytes that come back (a branch switched
  back) are not parsed again. Bounded.

In memory these are named tuples; on disk plain tuples (marshal stores no tuple subclass), in
the same shape, so the format did not change with the names.

An entry whose stamp was taken too close to its file's last change is stored with mtime
``-1``: the next crawl compares its content instead of trusting the stamp.

The daemon keeps one ``ScanCache`` open: what it decoded is kept while the file on disk is the
one it last read or wrote.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from .files import RawImports
from .packed import DETAIL, HEAD, decode, encode, read_parts, write_parts
from .records import Records
from .snapshot import split_snapshot

__all__ = ["IndexEntry", "IndexState", "Link", "ScanCache", "merged_contents"]

FORMAT = 3
"""Bumped when the index's shape changes; an index of another format is ignored."""
MIN_CONTENTS = 2048
"""Results by content kept beyond the index: at least this many, or as many as indexed files."""


class IndexEntry(NamedTuple):
    """What the index knows of one file."""

    size: int
    mtime_ns: int
    """-1 when the stamp was racy when taken: the next crawl compares the content instead."""
    digest: str
    """Content hash of the bytes the records were extracted from."""
    imports: RawImports
    warnings: tuple[str, ...]


class Link(NamedTuple):
    """A relative resolution of the last crawl, kept while its proof holds (``evidence.py``)."""

    target: str
    """The crawled file the import resolved to; "" when none."""
    proof: tuple[tuple[str, int | None], ...]
    """``(folder, ctime_ns)`` of each path that decided it (None: racy, never holds)."""


class IndexState:
    """The decoded index of one root. Treat as read-only: a crawl builds new tables."""

    __slots__ = ("files", "links", "contents")

    def __init__(self, files: dict[str, IndexEntry] | None = None, links: dict[tuple[str, str], Link] | None = None,
                 contents: dict[tuple[str, str], Records] | None = None) -> None:
        self.files: dict[str, IndexEntry] = files or {}
        self.links: dict[tuple[str, str], Link] = links or {}
        """(specifier, importer's folder) -> how it resolved."""
        self.contents: dict[tuple[str, str], Records] = contents or {}
        """(suffix, digest) -> the records of those bytes."""


class ScanCache:
    """The packed files under one folder; every method tolerates a broken or missing cache."""

    def __init__(self, directory: Path, *, namespace: str) -> None:
        self.directory = directory
        self.namespace = namespace
        """Versions of the extractor and of this format: a change drops every old entry."""
        self._memo: dict[str, tuple[tuple | None, dict[int, Any]]] = {}
        """path -> (stat of the file as last read or written, its decoded parts so far)."""

    def file_for(self, root: Path, kind: str = "snapshot") -> Path:
        """The packed file of ``root``: its ``snapshot`` or its ``index``."""
        name = hashlib.blake2b(str(root).encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()
        return self.directory / f"{name}.{kind}"

    def _part(self, path: str, part: int) -> Any:
        signature = _signature(path)
        memo = self._memo.get(path)
        if memo is None or signature is None or memo[0] != signature:
            memo = self._memo[path] = (signature, {})
        if part not in memo[1]:
            blobs = read_parts(path, (part,)) or {}
            memo[1][part] = decode(blobs.get(part))
        return memo[1][part]

    def load_snapshot(self, root: Path, *, detail: bool = False) -> dict | None:
        """The snapshot of ``root``'s last crawl: its head (stamps and result), and with
        ``detail`` its digests and record hashes too; None when there is none."""
        path = str(self.file_for(root))
        head = self._part(path, HEAD)
        if not isinstance(head, dict):
            return None
        if not detail:
            return head
        more = self._part(path, DETAIL)
        return {**head, **more} if isinstance(more, dict) else None

    def load_index(self, root: Path) -> IndexState:
        """The decoded index of ``root`` (empty when there is none of this namespace)."""
        path = str(self.file_for(root, "index"))
        return _without_collections(self._index_at, path)

    def _index_at(self, path: str) -> IndexState:
        state = self._part(path, 0)
        if not isinstance(state, IndexState):
            state = _decode_index(state, self.namespace)
            self._memo[path][1][0] = state
        return state

    def save(self, root: Path, snapshot: dict | None, state: IndexState | None = None) -> None:
        """Write ``root``'s snapshot (None: none) and, unless None, its index."""
        if state is not None:
            path = str(self.file_for(root, "index"))
            blob = _without_collections(lambda: encode((FORMAT, self.namespace, *_plain(state))))
            self._write(path, {0: state}, [blob])
        head, detail = split_snapshot(snapshot)
        self._write(str(self.file_for(root)), {HEAD: head, DETAIL: detail}, [encode(head), encode(detail)])

    def _write(self, path: str, parts: dict[int, Any], blobs: list[bytes]) -> None:
        try:
            write_parts(path, blobs)
        except OSError:
            self._memo.pop(path, None)
            return
        self._memo[path] = (_signature(path), parts)

    def close(self) -> None:
        self._memo.clear()


def _signature(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _without_collections(build: Callable[..., Any], *args: Any) -> Any:
    """``build(*args)`` with the cyclic garbage collector paused: decoding, naming or
    un-naming an index allocates tens of thousands of tuples, all acyclic, and the collections
    that would trigger meanwhile (a full one among them) would only traverse the whole index."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build(*args)
    finally:
        if enabled:
            gc.enable()


def _decode_index(value: Any, namespace: str) -> IndexState:
    if not (isinstance(value, tuple) and len(value) == 5 and value[0] == FORMAT and value[1] == namespace):
        return IndexState()
    _format, _namespace, files, links, contents = value
    if not (isinstance(files, dict) and isinstance(links, dict) and isinstance(contents, dict)):
        return IndexState()
    return IndexState(_named(IndexEntry, files), _named(Link, links), _named(Records, contents))


def _named(kind: type, table: dict) -> dict:
    """``table`` with its plain tuples made ``kind``: copied as they are, no call per value
    (an index can hold tens of thousands)."""
    return dict(zip(table, map(partial(tuple.__new__, kind), table.values())))


def _plain(state: IndexState) -> tuple[dict, dict, dict]:
    """The index's tables with plain tuples for values, as marshal stores them."""
    return _unnamed(state.files), _unnamed(state.links), _unnamed(state.contents)


def _unnamed(table: dict) -> dict:
    return dict(zip(table, map(tuple, table.values())))


def merged_contents(old: IndexState, new_files: dict[str, IndexEntry]) -> dict[tuple[str, str], Records]:
    """The contents table after a crawl: results that left the index join it (clean ones only:
    warnings name their path), the newest last, the oldest dropped beyond the bound."""
    contents = dict(old.contents)
    for path, entry in old.files.items():
        current = new_files.get(path)
        if current is not None and current.digest == entry.digest:
            continue
        if entry.warnings or not entry.digest:
            continue
        key = (os.path.splitext(path)[1], entry.digest)
        contents.pop(key, None)
        contents[key] = Records(entry.imports, entry.warnings)
    if contents:  # what is indexed needs no second copy
        for entry_path, entry in new_files.items():
            contents.pop((os.path.splitext(entry_path)[1], entry.digest), None)
    limit = max(MIN_CONTENTS, len(new_files))
    if len(contents) > limit:
        contents = dict(islice(contents.items(), len(contents) - limit, None))
    return contents
