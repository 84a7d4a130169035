"""The npm packages a built page imports: the production deps (minified, hashed names) in a cache
dir of the build's own, ``<cache_dir>/build``, so a development daemon's deps, and the daemon
itself, are never in the way.

The deps come from a scan, as always, plus what the app's bundle says it left bare: a bare
import the scan cannot see (``react/jsx-runtime``, which the JSX transform adds) joins the scan's
answer, so it is optimized like the others without changing the config (nor the cache keys).
Every bare import of the built code then has an import-map entry, or the build stops and says
which file imports what.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..optimizer import OptimizeResult, optimize
from ..plan import is_excluded
from ..resolve import ResolveError, Resolver
from ..scanner import scan
from ..scanner.crawl import find_entries
from ..scanner.result import Dependency, MissingImport
from .build_errors import AppBuildError

if TYPE_CHECKING:
    from ..config import Config
    from ..scanner import ScanResult
    from .entries import BuildEntry

__all__ = ["BUILD_CACHE", "build_deps_config", "optimize_build_deps"]

log = logging.getLogger("prebundle.app")

BUILD_CACHE = "build"
"""The folder of ``cache_dir`` that holds the build's deps (``<cache_dir>/build/deps``)."""


def build_deps_config(config: Config, entries: tuple[BuildEntry, ...]) -> Config:
    """The config of the build's deps: production mode, the build's cache dir, and a scan that
    starts from the pages and from the build's entries."""
    overrides: dict[str, object] = {"mode": "production", "cache_dir": config.cache_dir / BUILD_CACHE}
    if config.build.entries:
        pages = config.entries or tuple(path.relative_to(config.root).as_posix() for path in find_entries(config))
        overrides["entries"] = tuple(dict.fromkeys((*pages, *(entry.key for entry in entries))))
    return config.with_overrides(**overrides)


def optimize_build_deps(config: Config, entries: tuple[BuildEntry, ...], externals: Mapping[str, tuple[str, ...]],
                        bundled: Collection[str], *,
                        on_progress: Callable[[int, int], None] | None = None) -> OptimizeResult:
    """Bring ``<cache_dir>/build/deps`` up to date for the built code, whose bare imports are
    ``externals`` (specifier -> importing files) and whose files are ``bundled`` (relative to
    the root). Raises ``PrebundleError`` when a package is missing or a bare import would have
    no import-map entry."""
    deps_config = build_deps_config(config, entries)
    resolver = Resolver.for_config(deps_config)
    scan_result = scan(deps_config, resolver=resolver)
    for warning in scan_result.warnings:
        log.warning("warning: %s", warning)
    scan_result = _with_externals(_without_aliases(scan_result, externals, bundled), externals, resolver, deps_config)
    result = optimize(deps_config, scan_result=scan_result, resolver=resolver, on_progress=on_progress)
    _check_import_map(result.deps_dir / "importmap.json", externals)
    return result


def _without_aliases(scan_result: ScanResult, externals: Mapping[str, tuple[str, ...]],
                     bundled: Collection[str]) -> ScanResult:
    """``scan_result`` without the "missing packages" that esbuild resolved to the app's own
    files: aliases (tsconfig ``paths``) that the bundle holds, imported only by bundled files."""
    def bundled_alias(specifier: str, missing: MissingImport) -> bool:
        return specifier not in externals and all(place.rsplit(":", 1)[0] in bundled for place in missing.importers)

    kept = {spec: missing for spec, missing in scan_result.missing.items() if not bundled_alias(spec, missing)}
    return scan_result if len(kept) == len(scan_result.missing) else replace(scan_result, missing=kept)


def _with_externals(scan_result: ScanResult, externals: Mapping[str, tuple[str, ...]], resolver: Resolver,
                    config: Config) -> ScanResult:
    """``scan_result`` with the bare imports the bundle left external and the scan did not find."""
    known = {*scan_result.deps, *scan_result.linked, *scan_result.excluded, *scan_result.missing}
    deps, linked, missing = dict(scan_result.deps), dict(scan_result.linked), dict(scan_result.missing)
    for specifier, importers in externals.items():
        if specifier in known or is_excluded(specifier, config.exclude):
            continue
        try:
            resolution = resolver.resolve(specifier, config.root / importers[0])
        except ResolveError as error:
            missing[specifier] = MissingImport(specifier, importers, error.reason)
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
