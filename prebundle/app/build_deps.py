"""The npm packages a built page imports: the production deps (minified, hashed names) in a cache
dir of the build's own, ``<cache_dir>/build``, so a development daemon's deps, and the daemon
itself, are never in the way.

The deps come from a scan, as always (it reads tsconfig ``paths`` as esbuild does, so an alias
is the app's own file there too), plus what the app's bundle says it left bare: a bare import
the scan cannot see joins the scan's answer, so it is optimized like the others without
changing the config (nor the cache keys). Every bare import of the built code then has an
import-map entry, or the build stops and says which file imports what.

The deps do not wait for the bundle: :meth:`BuildDepsRun.prepare` decides from the scan alone
(from the last build's memo, ``build_memo.py``, when nothing it depended on changed), beside the
bundle; :meth:`BuildDepsRun.finish` then needs only the bundle's bare imports, and optimizes
again in the rare case that one of them is new to the scan.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..fastpath import folder_names
from .build_errors import AppBuildError
from .build_memo import DepsMemo
from .entries import page_files

if TYPE_CHECKING:
    from ..config import Config
    from ..optimizer import OptimizeResult
    from ..resolve import Resolver
    from ..scanner import ScanResult
    from .entries import BuildEntry

__all__ = ["BUILD_CACHE", "BuildDeps", "BuildDepsRun", "build_deps_config"]

log = logging.getLogger("prebundle.app")

BUILD_CACHE = "build"
"""The folder of ``cache_dir`` that holds the build's deps (``<cache_dir>/build/deps``)."""


@dataclass(frozen=True)
class BuildDeps:
    """The production deps a build copies into ``<out_dir>/deps``."""

    deps_dir: Path
    up_to_date: bool
    """True when the deps dir was kept as it was."""
    ids: tuple[str, ...]
    files: int
    """The packages' files (not the JSON files nor the compressed copies)."""
    bytes: int
    """Their total size."""
    optimize: OptimizeResult | None = None
    """The optimize run that decided; None when the last build's memo did."""


def build_deps_config(config: Config, entries: tuple[BuildEntry, ...]) -> Config:
    """The config of the build's deps: production mode, the build's cache dir, and a scan that
    starts from the pages and from the build's entries."""
    overrides: dict[str, object] = {"mode": "production", "cache_dir": config.cache_dir / BUILD_CACHE}
    if config.build.entries:
        pages = config.entries or tuple(path.relative_to(config.root).as_posix() for path in page_files(config))
        overrides["entries"] = tuple(dict.fromkeys((*pages, *(entry.key for entry in entries))))
    return config.with_overrides(**overrides)


class BuildDepsRun:
    """The deps of one build, in two steps: :meth:`prepare` (the config alone: it runs beside
    the app's bundle), then :meth:`finish` (with the bundle's bare imports), then
    :meth:`remember` once ``<out_dir>/deps`` holds a copy."""

    def __init__(self, config: Config, entries: tuple[BuildEntry, ...], *,
                 beside: tuple[Path, tuple[str, ...]] | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.config = build_deps_config(config, entries)
        self.beside = beside
        """The folder the build's output is swapped into and the names it owns there (a name
        ending with ``*``: those starting so): the scan's folder stamp there moves with each
        build, its other names do not."""
        self.on_progress = on_progress
        self._listed: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {}
        """``beside``'s folder, with its other names, as the full path's scan was about to see them."""
        self._memo: DepsMemo | None = None
        self._deps: BuildDeps | None = None
        self._scan_warnings: tuple[str, ...] = ()
        self._scan: ScanResult | None = None
        """The scan's answer (None until the full path scans)."""
        self._optimized: ScanResult | None = None
        """What the last optimize run was given: the scan's answer, with the bundle's bare imports."""
        self._resolver: Resolver | None = None
        self._printed = _WarningCount()

    def prepare(self) -> None:
        """The last build's decision when it still holds, else the scan and, when it found no
        missing package, the optimize for what it found."""
        with self._printed:
            held = DepsMemo.holding(self.config)
            if held is not None:
                self._memo, remembered = held
                self._scan_warnings = remembered.scan_warnings
                self._deps = BuildDeps(self.config.deps_dir, True, remembered.ids, remembered.files,
                                       remembered.bytes)
                return
            self._optimize(None)

    def finish(self, externals: Mapping[str, tuple[str, ...]]) -> BuildDeps:
        """The deps for built code whose bare imports are ``externals`` (specifier -> importing
        files). Raises ``PrebundleError`` when a package is missing or a bare import would have
        no import-map entry."""
        with self._printed:
            if self._memo is not None and not self._memo.covers(externals):
                self._memo = self._deps = None
                self._optimize(externals)
            elif self._memo is None and (self._deps is None or self._extras(externals)):
                self._optimize(externals)
        for warning in self._scan_warnings:  # said once per build, as the scan says them
            log.warning("warning: %s", warning)
        deps = self._deps
        _check_import_map(deps.deps_dir / "importmap.json", externals)
        if self._memo is None and self._printed.count == 0:
            self._memo = self._made_memo(externals)
        return deps

    def remember(self, linked: Collection[str] = ()) -> None:
        """Leave the memo of this build's decision for the next one; ``linked``: files of the
        deps dir hard-linked (or unlinked) since it was made. Best effort."""
        if self._memo is not None:
            self._memo.save(linked)

    # -- the full path ----------------------------------------------------------------------

    def _optimize(self, externals: Mapping[str, tuple[str, ...]] | None) -> None:
        """Scan (once), then optimize for the scan's answer plus ``externals``; with None, only
        when the scan found no missing package (``finish`` adds the bundle's bare imports, and
        says what is missing with them)."""
        # The full path: the scan's crawler, the optimizer, the bundler and the plugin machinery,
        # which a build whose deps are remembered never loads.
        from ..optimizer import optimize
        from ..resolve import Resolver
        from ..scanner import scan

        if self._scan is None:
            self._listed = self._listing()
            self._resolver = Resolver.for_config(self.config)
            self._scan = scan(self.config, resolver=self._resolver)
            self._scan_warnings = self._scan.warnings
        scan_result = self._scan
        if externals is None:
            if scan_result.missing:
                return
        else:
            scan_result = _with_externals(scan_result, externals, self._resolver, self.config)
        result = optimize(self.config, scan_result=scan_result, resolver=self._resolver, on_progress=self.on_progress)
        self._deps = BuildDeps(result.deps_dir, result.up_to_date, result.ids, result.files, result.bytes, result)
        self._optimized = scan_result

    def _extras(self, externals: Mapping[str, tuple[str, ...]]) -> list[str]:
        """The bare imports of the bundle that the optimize run did not plan for."""
        from ..plan import is_excluded  # loaded already: the full path ran

        known = _known(self._optimized)
        return [spec for spec in externals if spec not in known and not is_excluded(spec, self.config.exclude)]

    def _listing(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]:
        if self.beside is None:
            return {}
        folder, owned = self.beside
        return {str(folder): (owned, folder_names(str(folder), owned))}

    def _made_memo(self, externals: Mapping[str, tuple[str, ...]]) -> DepsMemo | None:
        try:
            optimized = self._optimized
            also = set(optimized.deps) - set(self._scan.deps)
            listed = self._listed if self._listing() == self._listed else None  # else: what did the scan see?
            return DepsMemo.made(self.config, covered=_known(self._scan) | set(externals), also=also,
                                 files=self._deps.files, bytes_=self._deps.bytes, listed=listed)
        except Exception as error:  # a memo is an optimisation; the build itself went well
            log.debug("no memo of the build's deps: %s: %s", type(error).__name__, error)
            return None


class _WarningCount(logging.Handler):
    """Counts the warnings logged (``prebundle`` loggers) while it is entered: the deps' decision
    is remembered only when its steps printed none (the scan's are printed after them), since the
    memo repeats only the scan's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def __enter__(self) -> _WarningCount:
        logging.getLogger("prebundle").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("prebundle").removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _known(scan_result: ScanResult) -> set[str]:
    """The bare imports a scan answered for."""
    return {*scan_result.deps, *scan_result.linked, *scan_result.excluded, *scan_result.missing}


def _with_externals(scan_result: ScanResult, externals: Mapping[str, tuple[str, ...]], resolver: Resolver,
                    config: Config) -> ScanResult:
    """``scan_result`` with the bare imports the bundle left external and the scan did not find."""
    from ..plan import is_excluded  # the full path's modules: see BuildDepsRun._optimize
    from ..resolve import PackageNotFound, ResolveError
    from ..scanner.result import Dependency, MissingImport

    known = _known(scan_result)
    deps, linked, missing = dict(scan_result.deps), dict(scan_result.linked), dict(scan_result.missing)
    for specifier, importers in externals.items():
        if specifier in known or is_excluded(specifier, config.exclude):
            continue
        try:
            resolution = resolver.resolve(specifier, config.root / importers[0])
        except ResolveError as error:
            missing[specifier] = MissingImport(specifier, importers, error.reason,
                                               package=isinstance(error, PackageNotFound))
            continue
        dependency = Dependency(specifier, resolution.entry, resolution.package_name, resolution.package_dir,
                                resolution.version, importers)
        (linked if resolution.linked else deps)[specifier] = dependency
    if len(deps) == len(scan_result.deps) and len(linked) == len(scan_result.linked) \
            and len(missing) == len(scan_result.missing):
        return scan_result
    return replace(scan_result, deps=dict(sorted(deps.items())), linked=dict(sorted(linked.items())),
                   missing=dict(sorted(missing.items())))


def _check_import_map(importmap: Path, externals: Mapping[str, tuple[str, ...]]) -> None:
    """Every bare import of the built code resolves through the deps' import map."""
    imports = json.loads(importmap.read_text(encoding="utf-8")).get("imports", {})
    prefixes = [key for key in imports if key.endswith("/")]
    lines = [f"{importers[0]}: imports {specifier!r}, which has no entry in {importmap} (add it to include, "
             "or take it out of exclude)"
             for specifier, importers in externals.items()
             if specifier not in imports and not any(specifier.startswith(prefix) for prefix in prefixes)]
    if lines:
        raise AppBuildError("\n".join(lines))
