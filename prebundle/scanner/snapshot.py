"""The snapshot of the last crawl: what it read, what it depended on, and what it found.

A warm scan with nothing changed is one ``stat`` per file plus a few hundred for folders and
packages, then the stored result: no crawl, no resolution, no parsing. A scan where only file
contents changed re-extracts those files, and when each one's import records and warnings are
what they were, the crawl would follow the same edges and find the same result, so the stored
result stands. Anything else (a folder listing changed, a package installed, a file's imports
changed) is a full crawl, itself served from the per-file index.

What is recorded, each with its stamp at crawl time:

* ``files``: every file crawled: size, mtime_ns, content digest and a hash of its records;
* ``tree``: folders whose listing the crawl consulted (entry discovery, globs, relative
  resolution) and every folder from an importer up to its ``node_modules`` owner, so a new
  file or a new ``node_modules`` there is seen;
* ``listings``: the package names in each ``node_modules`` (and ``@scope``) folder bare
  resolution looked in, on the way up from each importer (names, not a timestamp: the cache
  dir's own ``.vite`` appearing there, or npm's ``.package-lock.json`` changing, is no change);
* ``packages``: each package found and resolved: its ``package.json`` and entry file.

A stamp that could still change within the file system's timestamp granularity of the crawl
(no older than ``RACY_NS`` before the crawl started) is stored so that it never matches (a
file's mtime as ``None``, another path's stamp as ``"racy"``): a file is then re-read and
compared by content, a folder forces a crawl.

This module imports only ``os`` (the extractor when a file must be re-read), so the CLI's
fast path can check a snapshot before anything heavy is loaded.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported on the CLI's fast path
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable
    from typing import Any

__all__ = [
    "FORMAT", "HEAD_KEYS", "RACY_NS", "REFRESH_LIMIT", "Check", "Refreshed", "check", "listing",
    "make_snapshot", "records_hash", "refresh", "split_snapshot", "stamp", "stamps",
]

FORMAT = 2
"""Version of the snapshot's shape."""


def _slack_ns() -> int:
    try:
        return max(0, int(os.environ.get("PREBUNDLE_TIMESTAMP_SLACK_MS", "1000"))) * 1_000_000
    except ValueError:
        return 1_000_000_000


RACY_NS = _slack_ns()
"""A stamp this close to (or after) the crawl's start is not trusted by the next scan: a file
changed again within the file system's timestamp granularity could keep it.
``PREBUNDLE_TIMESTAMP_SLACK_MS`` sets it (default 1000; more for file systems with coarse or
skewed clocks)."""

Stamp = tuple[int, int, int, int] | None
"""(ctime_ns, mtime_ns, size, inode) of a path, None when it is missing. The ctime also moves
on a ``chmod`` (a folder that becomes readable lists other files)."""


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in a garbled specifier's path
        return None
    return (st.st_ctime_ns, st.st_mtime_ns, st.st_size, st.st_ino)


def stamps(paths: Iterable[str], racy_after: int) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Paths (sorted) and their stamps; a racy stamp is stored as ``"racy"``."""
    ordered = tuple(sorted(paths))
    out = []
    for path in ordered:
        found = stamp(path)
        out.append("racy" if found is not None and max(found[0], found[1]) >= racy_after else found)
    return ordered, tuple(out)


def listing(path: str) -> tuple[str, ...] | None:
    """The names in a ``node_modules`` folder that can be packages (not ``.bin``, ``.vite``,
    ``.package-lock.json``...), sorted; None when it is not a folder."""
    try:
        names = os.listdir(path)
    except (OSError, ValueError):
        return None
    return tuple(sorted(name for name in names if not name.startswith(".")))


def records_hash(imports: tuple, warnings: tuple[str, ...]) -> str:
    """A stable hash of one file's import records and warnings (``repr`` is canonical for
    tuples of str and int; marshal's bytes are not, they depend on object identity)."""
    from .files import blake2b

    return blake2b(repr((imports, warnings)).encode("utf-8", "surrogatepass"), 12)


HEAD_KEYS = ("format", "key", "root", "paths", "sizes", "mtimes", "tree", "listings", "packages", "result", "json")
"""What a check reads; the rest (digests, record hashes, fresher index entries) is read when a
file's stamp changed."""


def split_snapshot(snapshot: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """(head, detail) of a snapshot, stored as separate parts of the packed file."""
    if snapshot is None:
        return None, None
    head = {key: snapshot[key] for key in HEAD_KEYS}
    return head, {key: value for key, value in snapshot.items() if key not in head}


def make_snapshot(*, key: tuple, root: str, started_ns: int, files: dict[str, tuple],
                  tree: Iterable[str], listings: Iterable[str], packages: Iterable[str], result: tuple,
                  json_text: str) -> dict[str, Any]:
    """The snapshot of a crawl that just ended. ``files``: path -> (size, mtime_ns, digest,
    imports, warnings) as the crawl read them (``cache.IndexEntry``); ``result``:
    ``result.result_tuple``'s."""
    racy_after = started_ns - RACY_NS
    paths = tuple(sorted(files))
    entries = [files[path] for path in paths]
    return {
        "format": FORMAT,
        "key": key,
        "root": root,
        "paths": paths,
        "sizes": tuple(e[0] for e in entries),
        "mtimes": tuple(None if e[1] >= racy_after else e[1] for e in entries),
        "digests": tuple(e[2] for e in entries),
        "records": tuple(records_hash(e[3], e[4]) for e in entries),
        "tree": stamps(tree, racy_after),
        "listings": (tuple(sorted(listings)), tuple(listing(path) for path in sorted(listings))),
        "packages": stamps(packages, racy_after),
        "result": result,
        "json": json_text,
        "extracted": {},
    }


class Check:
    """What :func:`check` found: ``reusable`` when the stored result stands once the files in
    ``changed`` (indexes of files whose stamp differs) are shown to import what they did;
    ``matches`` when the snapshot is of this key at all; ``packages_changed`` when bare
    resolution may answer differently now."""

    __slots__ = ("reusable", "matches", "changed", "packages_changed", "reason")

    def __init__(self, reusable: bool, changed: list[int], packages_changed: bool, reason: str,
                 matches: bool = True) -> None:
        self.reusable = reusable
        self.matches = matches
        self.changed = changed
        self.packages_changed = packages_changed
        self.reason = reason
        """A few words for debugging: what made the snapshot unusable."""


def _stamps_hold(recorded: tuple[tuple[str, ...], tuple[Any, ...]]) -> bool:
    paths, values = recorded
    for path, value in zip(paths, values):
        if value == "racy" or stamp(path) != value:
            return False
    return True


def check(snapshot: Any, key: tuple) -> Check:
    """Compare a decoded snapshot with the file system now (nothing is read but stamps)."""
    if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT or snapshot.get("key") != key:
        return Check(False, [], False, "no snapshot for this config", matches=False)
    try:
        paths, names = snapshot["listings"]
        if any(listing(path) != value for path, value in zip(paths, names)):
            return Check(False, [], True, "installed packages changed")
        if not _stamps_hold(snapshot["packages"]):
            return Check(False, [], True, "installed packages changed")
        if not _stamps_hold(snapshot["tree"]):
            return Check(False, [], False, "a folder changed")
        changed = []
        stat = os.stat
        for i, (path, size, mtime) in enumerate(zip(snapshot["paths"], snapshot["sizes"], snapshot["mtimes"])):
            try:
                st = stat(path)
            except (OSError, ValueError):
                return Check(False, [], False, f"{path} is gone")
            if st.st_mtime_ns != mtime or st.st_size != size:
                changed.append(i)
    except (KeyError, TypeError, ValueError):
        return Check(False, [], False, "snapshot of another shape", matches=False)
    return Check(True, changed, False, "")


class Refreshed:
    """A snapshot brought up to date by :func:`refresh`."""

    __slots__ = ("snapshot", "parsed", "holds", "worth_saving")

    def __init__(self, snapshot: dict[str, Any], parsed: list[str], holds: bool, worth_saving: bool) -> None:
        self.snapshot = snapshot
        """The snapshot with the new stamps, and the new records in ``extracted``."""
        self.parsed = parsed
        """Files re-extracted (their content changed)."""
        self.holds = holds
        """Whether the stored result still stands (no file changed its records)."""
        self.worth_saving = worth_saving
        """Whether the next scan would gain from the new stamps (else the file is left as it is)."""


REFRESH_LIMIT = 200
"""More changed files than this go to a crawl, which parses on every core."""


def refresh(snapshot: dict[str, Any], changed: list[int], started_ns: int) -> Refreshed:
    """The snapshot updated for files whose stamp changed. It ``holds`` when none of them
    changed its import records or warnings (so the crawl would follow the same edges and find
    the same result); the records of re-extracted files are kept in ``extracted`` either way,
    for the next crawl's index."""
    extracted = dict(snapshot.get("extracted") or {})
    if len(changed) > REFRESH_LIMIT:
        return Refreshed(dict(snapshot, extracted=extracted), [], False, False)
    from .files import digest_of, extract_parsed, read_file

    racy_after = started_ns - RACY_NS
    paths, records = snapshot["paths"], snapshot["records"]
    sizes, mtimes, digests = list(snapshot["sizes"]), list(snapshot["mtimes"]), list(snapshot["digests"])
    parsed: list[str] = []
    holds = True
    worth_saving = False
    for i in changed:
        path = paths[i]
        read = read_file(path)
        stat, data = read.stat, read.data
        if data is None:
            holds = False
            break
        mtime = None if stat.st_mtime_ns >= racy_after else stat.st_mtime_ns
        digest = digest_of(data)
        if digest != digests[i]:
            found = extract_parsed(path, stat, data, digest)
            parsed.append(path)
            extracted[path] = (found.size, -1 if mtime is None else mtime, found.digest, found.imports, found.warnings)
            if records_hash(found.imports, found.warnings) != records[i]:
                holds = False
                break
            worth_saving = True
        elif mtime is not None and mtime != mtimes[i]:
            worth_saving = True  # a touched file, now old enough to be trusted by its stamp
        sizes[i], mtimes[i], digests[i] = stat.st_size, mtime, digest
    new = dict(snapshot, sizes=tuple(sizes), mtimes=tuple(mtimes), digests=tuple(digests), extracted=extracted)
    return Refreshed(new, parsed, holds, worth_saving)
