"""Bare imports: resolve each once, and record it as a dependency, a linked package or a
missing one, with the files that import it.

A bare specifier resolves alike from every folder that shares one ``node_modules`` owner (the
nearest folder with a ``node_modules``), so answers are remembered by (specifier, owner).
What each answer rested on goes to the crawl's :class:`~.evidence.Evidence`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..plan import is_excluded
from ..resolve import BuiltinModule, PackageNotFound, ResolveError
from .evidence import Evidence
from .files import CRAWLED_SUFFIXES
from .result import Dependency, MissingImport

if TYPE_CHECKING:
    from ..resolve import Resolution, Resolver

__all__ = ["BareImports", "Imported", "Unresolved"]


class Imported:
    """A package a crawl found imported."""

    __slots__ = ("resolution", "importers")

    def __init__(self, resolution: Resolution) -> None:
        self.resolution = resolution
        """What the specifier resolved to (``prebundle.resolve.Resolution``)."""
        self.importers: set[str] = set()
        """Importing files, as reports name them."""

    def dependency(self, specifier: str) -> Dependency:
        resolution = self.resolution
        return Dependency(
            specifier=specifier,
            src=resolution.entry,
            package_name=resolution.package_name,
            package_dir=resolution.package_dir,
            version=resolution.version,
            importers=tuple(sorted(self.importers)),
        )


class Unresolved:
    """A bare import that did not resolve."""

    __slots__ = ("reason", "importers")

    def __init__(self, reason: str) -> None:
        self.reason = reason
        """Why (the first resolution error met)."""
        self.importers: set[str] = set()
        """``file:line`` of each import, as reports name them."""


class BareImports:
    """The bare imports of one crawl. ``name``: how reports name a file (relative to the root)."""

    def __init__(self, config: Config, resolver: Resolver, evidence: Evidence, *, name: Callable[[str], str]) -> None:
        self.config = config
        self.resolver = resolver
        self.evidence = evidence
        self.deps: dict[str, Imported] = {}
        self.linked: dict[str, Imported] = {}
        """Packages linked into node_modules (``npm link``), unless ``include`` names them."""
        self.missing: dict[str, Unresolved] = {}
        self._name = name
        self._root_prefix = str(config.root) + os.sep
        self._root_importer = str(config.root / "index.html")
        self._memo: dict[tuple[str, str], object] = {}
        """Answers of this scan (a resolution or an error) by (specifier, node_modules owner)."""
        self._owners: dict[str, str] = {}

    def record(self, specifier: str, importer: str, folder: str, line: int, *, shown: str) -> str | None:
        """Record a bare import of ``importer`` (in ``folder``); ``shown`` is the importer as
        reports name it. Returns the entry of a linked package met for the first time, when
        it is to be crawled (its own bare imports count too)."""
        if is_excluded(specifier, self.config.exclude):
            return None

        key = (specifier, self.owner(folder))
        memo = self._memo.get(key)
        if memo is None:
            try:
                memo = self._resolve(specifier, importer)
            except ResolveError as error:
                memo = error
            self._memo[key] = memo
            if self.evidence.provable:
                self.evidence.bare(specifier, key[1], importer, memo, self.resolver)
        if isinstance(memo, BuiltinModule):
            return None  # a Node builtin with no browser package installed: not a dependency
        if isinstance(memo, ResolveError):
            unresolved = self.missing.get(specifier)
            if unresolved is None:
                unresolved = self.missing[specifier] = Unresolved(str(memo))
            unresolved.importers.add(f"{self._name(shown)}:{line}")
            return None
        resolution = memo
        if resolution.ignored or resolution.kind != "js":
            return None  # CSS, JSON and assets of packages are not pre-bundled; nor browser-ignored files
        included = specifier in self.config.include
        bucket = self.linked if resolution.linked and not included else self.deps
        found = bucket.get(specifier)
        crawl = None
        if found is None:
            found = bucket[specifier] = Imported(resolution)
            if bucket is self.linked and resolution.entry is not None:
                if resolution.entry.suffix in CRAWLED_SUFFIXES:
                    crawl = str(resolution.entry)
        found.importers.add(self._name(shown))
        return crawl

    def owner(self, folder: str) -> str:
        """The nearest folder at or above ``folder`` that has a ``node_modules``: every folder
        between resolves bare specifiers exactly as it does, so they share one answer."""
        owner = self._owners.get(folder)
        if owner is None:
            if os.path.isdir(os.path.join(folder, "node_modules")):
                owner = folder
            else:
                parent = os.path.dirname(folder)
                owner = folder if parent == folder else self.owner(parent)
            self._owners[folder] = owner
        return owner

    def dependencies(self, *, linked: bool = False) -> dict[str, Dependency]:
        """The dependencies found (or with ``linked``, the linked packages), by specifier."""
        bucket = self.linked if linked else self.deps
        return {spec: bucket[spec].dependency(spec) for spec in sorted(bucket)}

    def missing_imports(self) -> dict[str, MissingImport]:
        """The bare imports that did not resolve, by specifier."""
        return {
            spec: MissingImport(spec, tuple(sorted(self.missing[spec].importers)), self.missing[spec].reason)
            for spec in sorted(self.missing)
        }

    def _resolve(self, specifier: str, importer: str):
        """Resolve from the importer; a linked package's file falls back to the project root,
        where an ``npm link``ed package finds the app's copy of its dependencies."""
        try:
            return self.resolver.resolve(specifier, Path(importer))
        except PackageNotFound:
            if (importer + os.sep).startswith(self._root_prefix) or importer == str(self.config.root):
                raise
            return self.resolver.resolve(specifier, Path(self._root_importer))
