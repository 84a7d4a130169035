"""A scan from the config to its result: the snapshot check that lets a scan with nothing changed
skip the crawl, and the crawl otherwise; the cache and key they share."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..resolve import Resolver
from .cache import ScanCache
from .result import result_from_tuple
from .snapshot import FORMAT, check, refresh

if TYPE_CHECKING:
    from ..config import Config
    from .crawl import ProgressCallback
    from .result import ScanResult

__all__ = ["crawler_fingerprint", "extractor_fingerprint", "installed_version", "scan", "scan_cache_for",
           "scan_key"]


def _sources_digest(names: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    digest = hashlib.blake2b(digest_size=8)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in names:
        try:
            with open(os.path.join(here, name), "rb") as handle:
                digest.update(handle.read())
        except OSError:
            pass
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def extractor_fingerprint() -> str:
    """A hash of the extractor's own code and grammar versions: a new extractor gets a new cache."""
    versions = []
    for dist in ("tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript"):
        version = installed_version(dist)
        if version is not None:
            versions.append(version)
    return _sources_digest(("extract.py", "elision.py", "blocks.py", "grammars.py", "records.py", "files.py", "cache.py"),
                           tuple(versions))


def installed_version(dist: str) -> str | None:
    """The version of the distribution ``dist`` that ``importlib.metadata.version`` reports, None
    when it is not installed. A wheel's ``<name>-<version>.dist-info`` folder says it, found on
    ``sys.path`` in the same order, without importing ``importlib.metadata`` (and the email
    parser behind it: more than the rest of a scan's start); anything else asks it."""
    wanted = _normalized(dist)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:  # a zip archive: importlib.metadata looks inside
            return _metadata_version(dist)
        except (OSError, ValueError):
            continue
        for name in names:
            lowered = name.lower()
            if not lowered.endswith((".dist-info", ".egg-info")):
                continue
            project, _, version = name.rpartition(".")[0].partition("-")
            if _normalized(project) != wanted:
                continue
            if lowered.endswith(".dist-info") and version and "-" not in version:
                return version
            return _metadata_version(dist)
    return _metadata_version(dist)


def _normalized(name: str) -> str:
    """A distribution name as ``importlib.metadata`` compares them (runs of ``-_.`` are one ``_``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def crawler_fingerprint() -> str:
    """A hash of the code that turns extracted imports into a scan result (crawl, resolution):
    a snapshot taken by other code is not reused."""
    return _sources_digest(
        ("crawl.py", "index.py", "pool.py", "links.py", "bare.py", "hooks.py", "evidence.py", "snapshot.py",
         "globs.py", "result.py", "packed.py", "run.py", "aliases.py", "../specifiers.py", "../plan.py",
         "../resolve/resolver.py", "../resolve/exports.py", "../resolve/browser.py", "../resolve/tsconfig_paths.py",
         "../app/dev_jsx.py", "../app/dev_tsconfig.py"),
        (__version__,),
    )


def scan_cache_for(config: Config) -> ScanCache:
    return ScanCache(config.cache_dir / "scan", namespace=extractor_fingerprint())


def _new_resolver(config: Config) -> Resolver:
    return Resolver.for_config(config)


def scan_key(config: Config, resolver: Resolver | None = None) -> tuple[Any, ...] | None:
    """What a snapshot's result depends on besides the disk: the code, the config fields a crawl
    reads and the resolver's settings (those of ``scan``'s own resolver when None). None when
    plugins take part in the crawl (their hooks are code of the user's, not proven by
    stamps): no snapshot then."""
    if resolver is None:
        resolver = _new_resolver(config)
    if config.plugins:
        plugins = config.plugin_container
        if any(plugins.has(hook) for hook in ("resolve_id", "load", "transform", "transform_index_html")):
            return None
    return (
        FORMAT, extractor_fingerprint(), crawler_fingerprint(), str(config.root), tuple(config.entries),
        tuple(config.include), tuple(config.exclude), str(config.cache_dir), config.out_dir, config.mode,
        config.jsx, config.jsx_import_source, config.jsx_in_js,
        tuple(sorted(resolver.conditions)), tuple(resolver.main_fields), tuple(resolver.extensions),
        bool(resolver.preserve_symlinks), str(resolver.root),
    )


def scan(
    config: Config,
    *,
    resolver: Resolver | None = None,
    cache: ScanCache | None = None,
    use_cache: bool = True,
    on_progress: ProgressCallback | None = None,
) -> ScanResult:
    """Crawl ``config.root`` from its entries. Never raises for bad source files: they become
    ``warnings``; unresolvable bare imports are reported in ``missing``.

    With the cache (the default), a scan where no file, folder or package the last one
    depended on changed returns the last result without crawling; one where only file contents
    changed, and no file's imports, re-extracts just those files. Pass a ``resolver`` (and
    ``cache``) to reuse their caches across scans, as the daemon does; when installed
    packages changed since the last snapshot, its caches are cleared.
    """
    started = time.perf_counter()
    started_ns = time.time_ns()
    if resolver is None:
        resolver = _new_resolver(config)
    own_cache = cache is None and use_cache
    if own_cache:
        cache = scan_cache_for(config)
    try:
        key = scan_key(config, resolver) if use_cache else None
        extracted: dict | None = None
        parsed_now: list[str] = []
        if key is not None:
            reused, extracted, parsed_now, packages_changed = _from_snapshot(config, cache, key, started, started_ns)
            if reused is not None:
                return reused
            if packages_changed:
                resolver.clear()
        # Loaded only for a crawl: a scan answered from the snapshot never loads tree-sitter.
        from .crawl import Crawler, find_entries

        crawler = Crawler(config, resolver, cache if use_cache else None, on_progress, key=key,
                          extracted=extracted, parsed_now=frozenset(parsed_now))
        walked: list[str] = []
        entries = find_entries(config, walked=walked)
        return crawler.run(entries, walked=walked)
    finally:
        if own_cache and cache is not None:
            cache.close()


def _from_snapshot(config: Config, cache: ScanCache, key: tuple, started: float,
                   started_ns: int) -> tuple[ScanResult | None, dict | None, list[str], bool]:
    """(the last result if it still stands, index entries fresher than the index, the files
    of those this scan extracted, whether installed packages changed)."""
    snapshot = cache.load_snapshot(config.root)
    verdict = check(snapshot, key)
    if not verdict.reusable:
        if not verdict.matches:
            return None, None, [], False
        full = cache.load_snapshot(config.root, detail=True)
        return None, full.get("extracted") if full else None, [], verdict.packages_changed
    parsed: list[str] = []
    if verdict.changed:
        full = cache.load_snapshot(config.root, detail=True)
        if full is None:
            return None, None, [], False
        refreshed = refresh(full, verdict.changed, started_ns)
        if not refreshed.holds:
            return None, refreshed.snapshot["extracted"], refreshed.parsed, False
        parsed = refreshed.parsed
        snapshot = refreshed.snapshot
        if refreshed.worth_saving:
            cache.save(config.root, snapshot)
    seconds = time.perf_counter() - started
    result = result_from_tuple(snapshot["result"], config.root, snapshot["paths"], len(parsed), seconds)
    return result, None, [], False
