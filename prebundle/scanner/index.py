"""The crawl's file index: which files are served from the scan cache and which are parsed.

A file whose size and mtime match its index entry is served from it; one whose bytes match
an entry (its own, or a former file's in the contents table) is too, after a read; the rest
are parsed here or, when there are many, in the process pool (:mod:`.pool`). Files the
plugins read first are kept (stat and bytes) until parsed, so each file is read once.
The entries in use are collected for the next scan's index.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .cache import IndexEntry, IndexState
from .evidence import Evidence
from .files import SourceFile, digest_of, extract_parsed, read_file
from .pool import ParsePool, worth_a_pool
from .records import Parsed

__all__ = ["FileIndex"]


class FileIndex:
    """Serves one crawl's files from the index, or parses them. ``extracted``: fresher entries
    (from a snapshot refresh) that override the index; ``parsed_now``: those of them extracted
    by this very scan (they count as parsed)."""

    def __init__(self, state: IndexState, evidence: Evidence, *, extracted: dict[str, tuple] | None = None,
                 parsed_now: Iterable[str] = ()) -> None:
        self.state = state
        """The index as loaded (the contents table is read from it too)."""
        self.entries: dict[str, IndexEntry] = state.files
        """The index the crawl consults: the loaded one, with ``extracted`` over it."""
        if extracted:
            self.entries = {**self.entries, **{path: IndexEntry._make(entry) for path, entry in extracted.items()}}
        self.parsed_now = frozenset(parsed_now)
        self.used: dict[str, IndexEntry] = {}
        """Entries of the files this crawl read, for the next index."""
        self.parsed = 0
        self.cached = 0
        self._evidence = evidence
        self._stale: list[str] = []
        """Files whose stamp changed, to read (and parse unless their bytes are known)."""
        self._sizes: dict[str, int] = {}
        """Sizes of stale files (from the visit's ``stat``), to batch them by bytes."""
        self._prefetched: dict[str, SourceFile] = {}
        """Files read for the plugins, until they are parsed."""
        self._pool = ParsePool()

    # -- visiting ----------------------------------------------------------------------------

    def lookup(self, path: str) -> IndexEntry | None:
        """``path``'s entry when its stamp is unchanged (counted as cached, or as parsed when
        this scan extracted it); else None, and the file is queued for :meth:`parse_stale`.
        Raises ``OSError``/``ValueError`` when it cannot be stat'ed."""
        prefetched = self._prefetched.get(path)
        stat = prefetched.stat if prefetched is not None else os.stat(path)
        entry = self.entries.get(path)
        if entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
            self._prefetched.pop(path, None)
            if path in self.parsed_now:
                self.parsed += 1
            else:
                self.cached += 1
            self.used[path] = entry
            return entry
        self._stale.append(path)
        self._sizes[path] = stat.st_size
        return None

    def source_text(self, path: str) -> str | None:
        """A file's text for the plugins (undecodable bytes kept as surrogates); None for a
        virtual id or a file that cannot be read (the usual path then reports it). The stat
        and bytes are kept for the parse, should the plugins leave the file alone: one read,
        and the index records the stat taken before it."""
        if path.startswith("\0"):
            return None
        read = read_file(path)
        if read.data is None:
            return None
        self._prefetched[path] = read
        return read.data.decode("utf-8", "surrogateescape")

    def forget(self, path: str) -> None:
        """Drop what was read of ``path`` for the plugins: it will not be parsed."""
        self._prefetched.pop(path, None)

    def parsed_elsewhere(self, path: str) -> None:
        """Count ``path`` as parsed from code the plugins gave (not indexed: it depends on them)."""
        self._prefetched.pop(path, None)
        self.parsed += 1

    # -- parsing -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether files are still to parse, or out in the pool."""
        return bool(self._stale) or self._pool.busy

    def parse_stale(self) -> Iterator[Parsed]:
        """The files queued so far, parsed here (yielded one by one), or handed to the pool
        (nothing yielded: see :meth:`collect`). Once started, the pool stays in use."""
        if not self._stale:
            return iter(())
        if self._pool.started or worth_a_pool(len(self._stale), self.parsed, cold=not self.entries):
            stale, self._stale = self._stale, []
            self._pool.submit(stale, self._sizes)
            for path in stale:
                self._prefetched.pop(path, None)  # workers read their files themselves
            return iter(())
        return self._parse_inline()

    def collect(self) -> Iterator[Parsed]:
        """Wait for the pool's next batches, if any are out; their files."""
        for parsed in self._pool.results():
            yield self._accept(parsed)

    def close(self) -> None:
        self._pool.close()

    def _parse_inline(self) -> Iterator[Parsed]:
        """Parse stale files here, unless their bytes are those of a cached result."""
        stale, self._stale = self._stale, []
        for path in stale:
            read = self._prefetched.pop(path, None) or read_file(path)
            if read.data is None:
                yield self._accept(Parsed(path, -1, -1, "", (), (read.warning or "",)))
                continue
            digest = digest_of(read.data)
            hit = self._by_content(path, read.stat, digest)
            if hit is None:
                yield self._accept(extract_parsed(path, read.stat, read.data, digest))
                continue
            self.cached += 1
            self.used[path] = hit
            yield Parsed(path, *hit)

    def _by_content(self, path: str, stat: os.stat_result, digest: str) -> IndexEntry | None:
        """The cached result for a file whose stat changed but whose bytes may not have."""
        old = self.entries.get(path)
        if old is not None and old.digest == digest:
            return IndexEntry(stat.st_size, stat.st_mtime_ns, digest, old.imports, old.warnings)
        stored = self.state.contents.get((os.path.splitext(path)[1], digest))
        if stored is not None:
            return IndexEntry(stat.st_size, stat.st_mtime_ns, digest, stored.imports, stored.warnings)
        return None

    def _accept(self, parsed: Parsed) -> Parsed:
        self.parsed += 1
        if parsed.size >= 0 and parsed.digest:
            self.used[parsed.path] = IndexEntry(*parsed[1:])
        else:
            self._evidence.provable = False  # unreadable now; a chmod would not show in its stamp
        return parsed

    # -- finishing ---------------------------------------------------------------------------

    def saved(self, racy_after: int) -> dict[str, IndexEntry]:
        """The entries for the next index; a stamp taken at or after ``racy_after`` is stored
        with mtime -1, so the next crawl compares content instead of trusting it."""
        return {
            path: entry if entry.mtime_ns < racy_after else IndexEntry(entry.size, -1, *entry[2:])
            for path, entry in self.used.items()
        }
