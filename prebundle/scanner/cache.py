"""The scan cache: each file's extracted imports, kept across runs so a warm scan parses nothing.

Two kinds of entries live in one diskcache folder under the cache dir:

* an *index* per project root: ``path -> (size, mtime_ns, digest, imports, warnings)``, read and
  written as one value, so a warm scan of thousands of files costs one read and a ``stat`` per file;
* results by *content*: ``digest -> (imports, warnings)``, so a file whose ``mtime`` changed but
  whose bytes did not (a ``touch``, a branch switched back) is still not parsed again.

Imports are stored as plain tuples ``(specifier, line, kind)``: they pickle several times faster
than dataclasses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import FileImports, ImportRecord

__all__ = ["CacheEntry", "ScanCache", "digest_of", "to_entry_imports", "to_file_imports"]

FORMAT = 1
"""Bumped when the stored shape changes; old entries are then ignored."""

RawImports = tuple[tuple[str, int, str], ...]


def digest_of(data: bytes) -> str:
    """A content hash of a file's bytes (fast, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class CacheEntry:
    size: int
    mtime_ns: int
    digest: str
    imports: RawImports
    warnings: tuple[str, ...]


def to_entry_imports(result: FileImports) -> RawImports:
    return tuple((record.specifier, record.line, record.kind) for record in result.imports)


def to_file_imports(imports: RawImports, warnings: tuple[str, ...]) -> FileImports:
    return FileImports(
        imports=tuple(ImportRecord(spec, line, kind) for spec, line, kind in imports),  # type: ignore[arg-type]
        warnings=warnings,
    )


class ScanCache:
    """Opens the diskcache folder lazily; every method tolerates a broken or missing cache."""

    def __init__(self, directory: Path, *, namespace: str) -> None:
        self.directory = directory
        self.namespace = namespace
        """Versions of the extractor and of this format: a change drops every old entry."""
        self._cache: Any = None

    def _open(self) -> Any:
        if self._cache is None:
            import diskcache

            self.directory.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(self.directory), size_limit=2**30)
        return self._cache

    def load_index(self, root: Path) -> dict[str, CacheEntry]:
        try:
            value = self._open().get(("index", FORMAT, self.namespace, str(root)))
        except Exception:  # a corrupt cache is a cold cache
            return {}
        if not isinstance(value, dict):
            return {}
        return {path: CacheEntry(*fields) for path, fields in value.items()}

    def save_index(self, root: Path, index: dict[str, CacheEntry]) -> None:
        packed = {
            path: (e.size, e.mtime_ns, e.digest, e.imports, e.warnings) for path, e in index.items()
        }
        try:
            self._open().set(("index", FORMAT, self.namespace, str(root)), packed)
        except Exception:
            pass

    def load_links(self, root: Path) -> dict:
        """Relative-import resolutions of the last scan (see ``Crawler._source_target``)."""
        try:
            value = self._open().get(("links", FORMAT, self.namespace, str(root)))
        except Exception:
            return {}
        return value if isinstance(value, dict) else {}

    def save_links(self, root: Path, links: dict) -> None:
        try:
            self._open().set(("links", FORMAT, self.namespace, str(root)), links)
        except Exception:
            pass

    def get_content(self, suffix: str, digest: str) -> tuple[RawImports, tuple[str, ...]] | None:
        try:
            value = self._open().get(("content", FORMAT, self.namespace, suffix, digest))
        except Exception:
            return None
        return value if isinstance(value, tuple) and len(value) == 2 else None

    def put_contents(self, items: list[tuple[str, str, RawImports, tuple[str, ...]]]) -> None:
        """Store ``(suffix, digest, imports, warnings)`` results in one transaction."""
        if not items:
            return
        try:
            cache = self._open()
            with cache.transact():
                for suffix, digest, imports, warnings in items:
                    cache.set(("content", FORMAT, self.namespace, suffix, digest), (imports, warnings))
        except Exception:
            pass

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
