"""Where the app imports a package: ``file:line`` of each import, for ``ls`` and ``why``.

A scan reports each bare import's importing files; the lines are in the scan cache's index,
which holds every crawled file's imports with their lines. An index entry is used while its
file is the one it was extracted from (same size, and same mtime or same content); a file
changed since is extracted again. A file the index cannot speak for (a plugin's virtual
module) is named without a line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .scanner import scan_cache_for
from .scanner.files import digest_of, parse_one, read_file

if TYPE_CHECKING:
    from .config import Config
    from .scanner.cache import IndexEntry
    from .scanner.files import RawImports
    from .scanner.result import Dependency

__all__ = ["import_lines"]


def import_lines(config: Config, deps: Mapping[str, Dependency], specifiers: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each of ``specifiers`` that ``deps`` (a scan's) has -> ``file:line`` of each import of
    it in the app (``file`` alone where the line is unknown), sorted by file and line."""
    cache = scan_cache_for(config)
    try:
        index = cache.load_index(config.root).files
    finally:
        cache.close()
    imports_of: dict[str, RawImports] = {}
    found: dict[str, tuple[str, ...]] = {}
    for spec in specifiers:
        dep = deps.get(spec)
        if dep is None:
            continue
        places: list[tuple[str, int]] = []
        for name in dep.importers:
            path = os.path.normpath(os.path.join(config.root, name))
            if path not in imports_of:
                imports_of[path] = _imports(path, index.get(path))
            lines = sorted({line for specifier, line, kind in imports_of[path] if specifier == spec and kind != "glob"})
            places.extend((name, line) for line in lines or [0])
        found[spec] = tuple(f"{name}:{line}" if line else name for name, line in sorted(places))
    return found


def _imports(path: str, entry: IndexEntry | None) -> RawImports:
    """The imports of the file at ``path``: the index's when they are still the file's, else
    extracted now; none when the file cannot be read."""
    if entry is not None:
        try:
            stat = os.stat(path)
        except OSError:
            return ()
        if stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns:
            return entry.imports
        read = read_file(path)
        if read.data is not None and len(read.data) == entry.size and digest_of(read.data) == entry.digest:
            return entry.imports
    if not os.path.isfile(path):
        return ()
    return parse_one(path).imports
