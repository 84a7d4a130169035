"""Bare imports: resolve each once, and record it as a dependency, a linked package, an
excluded one or a missing one, with the files that import it.

Linked packages and the packages ``exclude`` names are served from their own files, so the
crawl follows their files too (from the entry, through their relative imports): the bare
imports those make must be optimized. An excluded package's import that does not resolve is a
warning, not an error (it is a package's code, as in a bundle); one that resolves to a nested
copy of the package is left to ``include: ["<excluded> > <name>"]`` and its import-map scope.

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
from ..plan import is_excluded, plugins_make_code
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

    __slots__ = ("reason", "package", "importers")

    def __init__(self, reason: str, package: bool) -> None:
        self.reason = reason
        """Why (the first resolution error met)."""
        self.package = package
        """Whether installing a package is the fix: it is not installed (False: installed, but
        the import names no file of it; or a tsconfig alias that names no file)."""
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
        self.excluded: dict[str, Imported] = {}
        """Packages ``exclude`` names that the crawl found imported (their files are crawled)."""
        self.warnings: list[str] = []
        """Bare imports of excluded packages' files that the app cannot have (``file:line: ...``)."""
        self._excluded_dirs: dict[str, str] = {}
        """Folder (``+ os.sep``, real and as found) of each excluded package crawled → its name."""
        self._name = name
        self._root_prefix = str(config.root) + os.sep
        self._root_importer = str(config.root / "index.html")
        self._memo: dict[tuple[str, str], object] = {}
        """Answers of this scan (a resolution or an error) by (specifier, node_modules owner)."""
        self._owners: dict[str, str] = {}
        self._made_code: dict[str, bool] = {}
        """Whether the plugins turn a non-JavaScript package entry into code, by entry file."""

    def record(self, specifier: str, importer: str, folder: str, line: int, *, shown: str,
               note: str = "", alias: str = "", optional: bool = False) -> str | None:
        """Record a bare import of ``importer`` (in ``folder``); ``shown`` is the importer as
        reports name it; ``note`` is added to the reason when it does not resolve; ``alias``,
        the tsconfig ``paths`` match that named no file, replaces it; ``optional``: an import
        TypeScript drops (used only as types), which is not missing when it does not resolve.
        Returns the entry of a linked or excluded package met for the first time, when it is
        to be crawled (its own bare imports count too)."""
        memo = self._answer(specifier, importer, folder)
        if isinstance(memo, BuiltinModule):
            return None  # a Node builtin with no browser package installed: not a dependency
        if isinstance(memo, ResolveError) and is_excluded(specifier, self.config.exclude):
            return None  # excluded and not installed: nothing to serve, nothing missing
        inside = self.excluded_package(folder)
        if inside is not None and not self._same_as_root(specifier, memo):
            self._excluded_import(specifier, memo, inside, f"{self._name(shown)}:{line}")
            return None
        if isinstance(memo, ResolveError):
            if optional:
                return None
            unresolved = self.missing.get(specifier)
            if unresolved is None:
                # Installing is the fix only when no such package is installed: not for one with
                # no entry file or without the subpath (csstype, types only), nor for an alias.
                unresolved = self.missing[specifier] = Unresolved(
                    alias or str(memo) + note, package=not alias and isinstance(memo, PackageNotFound))
            unresolved.importers.add(f"{self._name(shown)}:{line}")
            return None
        resolution = memo
        if resolution.ignored or not self._bundleable(resolution):
            return None  # CSS, JSON and assets of packages are not pre-bundled; nor browser-ignored files
        included = specifier in self.config.include
        if resolution.linked and not included:
            bucket = self.linked  # source, whether or not `exclude` names it too
        elif is_excluded(specifier, self.config.exclude):
            bucket = self.excluded
        else:
            bucket = self.deps
        found = bucket.get(specifier)
        crawl = None
        if found is None:
            found = bucket[specifier] = Imported(resolution)
            if bucket is not self.deps and resolution.entry is not None:
                if bucket is self.excluded:
                    self._note_excluded(resolution)
                if resolution.entry.suffix in CRAWLED_SUFFIXES:
                    crawl = str(resolution.entry)
        found.importers.add(self._name(shown))
        return crawl

    def excluded_package(self, folder: str) -> str | None:
        """The name of the excluded package whose files ``folder`` holds, if any."""
        folder += os.sep
        for prefix, name in self._excluded_dirs.items():
            if folder.startswith(prefix):
                return name
        return None

    def _note_excluded(self, resolution: Resolution) -> None:
        for path in (str(resolution.package_dir), os.path.realpath(resolution.package_dir)):
            self._excluded_dirs[path + os.sep] = resolution.package_name

    def _answer(self, specifier: str, importer: str, folder: str) -> object:
        """The resolution of ``specifier`` from ``importer`` (or the ``ResolveError``), once
        per node_modules owner; what it rested on goes to the evidence."""
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
        return memo

    def _same_as_root(self, specifier: str, memo: object) -> bool:
        """Whether an excluded package's import gets what the app's would: the page resolves
        it through the import map, which holds the root's answer."""
        root = self._answer(specifier, self._root_importer, str(self.config.root))
        if isinstance(memo, ResolveError) or isinstance(root, ResolveError):
            return False
        return os.path.realpath(memo.package_dir) == os.path.realpath(root.package_dir)

    def _excluded_import(self, specifier: str, memo: object, package: str, where: str) -> None:
        """An excluded package's import the import map cannot give it: not resolvable from
        there, or a copy of its own (nested). A warning, never an error."""
        if isinstance(memo, ResolveError):
            self.warnings.append(f"{where}: the excluded package {package} imports {specifier!r}, which cannot "
                                 f"be resolved ({memo}); it fails in the browser if it runs")
        elif f"{package} > {specifier}" not in self.config.include:
            self.warnings.append(f"{where}: the excluded package {package} imports its own copy of {specifier!r} "
                                 f"({self._name(str(memo.package_dir))}); add \"{package} > {specifier}\" to include so its files "
                                 "get that copy")

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

    def _bundleable(self, resolution: Resolution) -> bool:
        """A JavaScript entry is; another kind of file is when the plugins turn it into code
        (asked once per entry file)."""
        if resolution.kind == "js":
            return True
        if resolution.entry is None:
            return False
        entry = str(resolution.entry)
        verdict = self._made_code.get(entry)
        if verdict is None:
            verdict = self._made_code[entry] = plugins_make_code(self.config, resolution.entry)
        return verdict

    def dependencies(self, *, linked: bool = False) -> dict[str, Dependency]:
        """The dependencies found (or with ``linked``, the linked packages), by specifier."""
        bucket = self.linked if linked else self.deps
        return {spec: bucket[spec].dependency(spec) for spec in sorted(bucket)}

    def excluded_dependencies(self) -> dict[str, Dependency]:
        """The excluded packages the crawl found imported, by specifier."""
        bucket = self.excluded
        return {spec: bucket[spec].dependency(spec) for spec in sorted(bucket)}

    def missing_imports(self) -> dict[str, MissingImport]:
        """The bare imports that did not resolve, by specifier."""
        return {
            spec: MissingImport(spec, tuple(sorted(self.missing[spec].importers)), self.missing[spec].reason,
                                self.missing[spec].package)
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
