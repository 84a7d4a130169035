"""``scan``: crawl an app from its entries and report the bare imports it makes.

The crawl is in ``crawl.py``, per-file extraction in ``extract.py``, the cache in ``cache.py``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..config import Config
from .cache import ScanCache
from .crawl import Crawler, ProgressCallback, find_entries
from .result import Dependency, MissingImport, ScanResult, ScanStats

__all__ = ["Dependency", "MissingImport", "ScanResult", "ScanStats", "find_entries", "scan"]


@lru_cache(maxsize=1)
def extractor_fingerprint() -> str:
    """A hash of the extractor's own code and grammar versions: a new extractor gets a new cache."""
    digest = hashlib.blake2b(digest_size=8)
    here = Path(__file__).parent
    for name in ("extract.py", "blocks.py", "grammars.py", "records.py", "cache.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            pass
    for dist in ("tree-sitter", "tree-sitter-javascript", "tree-sitter-typescript"):
        try:
            digest.update(metadata.version(dist).encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()


def scan_cache_for(config: Config) -> ScanCache:
    return ScanCache(config.cache_dir / "scan", namespace=extractor_fingerprint())


def scan(
    config: Config,
    *,
    resolver=None,
    cache: ScanCache | None = None,
    use_cache: bool = True,
    on_progress: ProgressCallback | None = None,
) -> ScanResult:
    """Crawl ``config.root`` from its entries. Never raises for bad source files: they become
    ``warnings``; unresolvable bare imports are reported in ``missing``.

    Pass a ``resolver`` (and ``cache``) to reuse their caches across scans, as the daemon does.
    """
    if resolver is None:
        from ..resolve import Resolver

        resolver = Resolver(
            config.root, mode=config.mode, conditions=config.conditions, main_fields=config.main_fields
        )
    own_cache = cache is None and use_cache
    if own_cache:
        cache = scan_cache_for(config)
    try:
        crawler = Crawler(config, resolver, cache if use_cache else None, on_progress)
        return crawler.run(find_entries(config))
    finally:
        if own_cache and cache is not None:
            cache.close()
