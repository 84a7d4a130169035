"""Packages the page loads from their own files: the import-map entries that are not bundles.

"Not bundled" never means "cannot be imported". Each package ``exclude`` names that the app
imports, and each linked package (``npm link``, a workspace) whose entry is ESM, gets two
entries: its id at its entry file and ``<name>/`` at its folder, both as URLs through the
project's ``node_modules`` (``/node_modules/pkg/dist/index.js``, never a file-system path).
The daemon serves those files as they are. A CommonJS one cannot run unbundled in a browser:
a warning says what to do.

A nested id ``a > b`` (``include``) gets a scope: the files under ``a``'s URL get ``a``'s
copy of ``b`` when they import ``b`` (``{"scopes": {"/node_modules/a/": {"b": <a > b>}}}``).
Scopes name the optimized id here; ``records.import_map`` puts its URL in.

The manifest describes optimized files only (as Vite's does): these entries are in
``importmap.json`` alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from .interop import needs_interop
from .plan import is_excluded
from .specifiers import split_package

if TYPE_CHECKING:
    from .bundle import PackageBuild
    from .config import Config
    from .resolve import Resolver
    from .scanner import ScanResult
    from .scanner.result import Dependency

__all__ = ["Unbundled", "unbundled", "unreachable_excluded"]


@dataclass(frozen=True)
class Unbundled:
    """The import-map entries of one run that are not optimized files."""

    imports: Mapping[str, str] = field(default_factory=dict)
    """Id, or ``<name>/``, → URL of the package's own file or folder."""
    scopes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """URL of a package's folder (``/node_modules/a/``) → specifier (``b``) → the optimized id
    its files get for it (``a > b``)."""
    warnings: tuple[str, ...] = ()
    """One line per package that cannot be served as it is (CommonJS, or outside the project's
    ``node_modules``), saying what to do."""


def unbundled(config: Config, scan_result: ScanResult, ids: Iterable[str], resolver: Resolver) -> Unbundled:
    """The entries for the excluded and linked packages of a scan, and the scopes of the
    nested ``ids`` (the plan's)."""
    folders = _Folders(config.root, scan_result.linked.values(), resolver)
    imports: dict[str, str] = {}
    warned: dict[str, str] = {}
    for dep, how in [*((d, "excluded") for d in scan_result.excluded.values()),
                     *((d, "linked") for d in scan_result.linked.values())]:
        if dep.src is None:
            continue
        inside = Path(os.path.relpath(os.path.realpath(dep.src), os.path.realpath(dep.package_dir)))
        if inside.parts[:1] == ("..",):
            continue  # a `browser` map leads elsewhere: not this folder's file
        folder = folders.url_of_package(dep)
        commonjs = needs_interop(dep.src)
        if (commonjs or folder is None) and dep.package_name not in warned:
            warned[dep.package_name] = _warning(dep, how, inside, commonjs=commonjs)
        if folder is None or (commonjs and how == "linked"):
            continue
        imports[dep.specifier] = folder + quote(inside.as_posix())
        imports.setdefault(dep.package_name + "/", folder)
    return Unbundled(dict(sorted(imports.items())), _scopes(ids, folders), tuple(warned.values()))


def unreachable_excluded(builds: Iterable[PackageBuild], exclude: Iterable[str], served: Unbundled) -> tuple[str, ...]:
    """One line per excluded package that a bundle imports but the import map lacks: only the
    app's imports (and those of the files served as they are) give excluded packages entries."""
    exclude = tuple(exclude)
    importers: dict[str, str] = {}
    for build in builds:
        for spec in sorted(build.externals):
            if is_excluded(spec, exclude) and spec not in served.imports:
                importers.setdefault(spec, build.package.label)
    return tuple(f"{label} imports {spec!r}, which `exclude` names and the app does not import: the page cannot "
                 f"resolve it; import it from the app's code too, or take it out of `exclude`"
                 for spec, label in sorted(importers.items()))


def _warning(dep: Dependency, how: str, entry: Path, *, commonjs: bool) -> str:
    """Why a package cannot be served as it is, and what to do."""
    fix = ("take it out of `exclude` so it is pre-bundled" if how == "excluded"
           else f"add {dep.package_name!r} to `include` so it is pre-bundled")
    if commonjs:
        return (f"the {how} package {dep.package_name} is CommonJS ({entry.as_posix()}), which browsers cannot "
                f"load unbundled; {fix}")
    return (f"the {how} package {dep.package_name} is not in the project's node_modules ({dep.package_dir}), "
            f"so no URL reaches its files; {fix}")


def _scopes(ids: Iterable[str], folders: _Folders) -> dict[str, dict[str, str]]:
    """``a > b`` → ``{"<url of a>/": {"b": "a > b"}}``; ``a > b > c`` scopes ``c`` to ``b``'s
    folder inside ``a``. A folder the page cannot reach by URL gets no scope."""
    scopes: dict[str, dict[str, str]] = {}
    for id_ in sorted(ids):
        parts = [part.strip() for part in id_.split(">")]
        if len(parts) < 2:
            continue
        folder: Path | None = folders.root
        for outer in parts[:-1]:
            folder = folders.resolver.find_package_dir(split_package(outer)[0], folder)
            if folder is None:
                break
        url = folders.url_of(folder) if folder is not None else None
        if url is not None:
            scopes.setdefault(url, {})[parts[-1]] = id_
    return {url: dict(sorted(mapping.items())) for url, mapping in sorted(scopes.items())}


class _Folders:
    """URLs of package folders: their path under the root, or, for a folder within a linked
    package (outside the root), that package's URL plus the rest."""

    def __init__(self, root: Path, linked: Iterable[Dependency], resolver: Resolver) -> None:
        self.root = root
        self.resolver = resolver
        self._real_root = os.path.realpath(root)
        self._linked: dict[str, str] = {}
        """Real folder of each linked package → its URL (``/node_modules/<name>/``)."""
        for dep in linked:
            found = resolver.find_package_dir(dep.package_name, root)
            url = self._under_root(found) if found is not None else None
            if url is not None and os.path.realpath(found) == os.path.realpath(dep.package_dir):
                self._linked[os.path.realpath(dep.package_dir)] = url

    def url_of_package(self, dep: Dependency) -> str | None:
        """The URL of a dependency's folder as the app's import finds it: from the root, else
        from the first of its importers that finds that very folder."""
        real = os.path.realpath(dep.package_dir)
        if real in self._linked:
            return self._linked[real]
        for start in (self.root, *((self.root / importer).parent for importer in dep.importers)):
            folder = self.resolver.find_package_dir(dep.package_name, start)
            if folder is not None and os.path.realpath(folder) == real:
                return self.url_of(folder)
        return None

    def url_of(self, folder: Path) -> str | None:
        """``/node_modules/a/`` for ``<root>/node_modules/a``; None outside the root and the
        linked packages."""
        url = self._under_root(folder)
        if url is not None:
            return url
        real = os.path.realpath(folder)
        for linked, url in self._linked.items():
            if real == linked or real.startswith(linked + os.sep):
                rest = Path(os.path.relpath(real, linked)).as_posix()
                return url if rest == "." else url + quote(rest) + "/"
        return None

    def _under_root(self, folder: Path) -> str | None:
        for base in (str(self.root), self._real_root):
            rel = os.path.relpath(folder, base)
            if rel != "." and not rel.startswith(".." + os.sep) and rel != ".." and not os.path.isabs(rel):
                return "/" + quote(Path(rel).as_posix()) + "/"
        return None
