"""``scan``: crawl an app from its entries and report the bare imports it makes.

``scan`` itself is in ``run.py``; the crawl loop in ``crawl.py``, over its parts: the file index and the parsing pool
(``index.py``, ``pool.py``), relative links (``links.py``), bare imports (``bare.py``) and the
plugins' hooks (``hooks.py``). Per-file extraction is in ``extract.py`` (through ``files.py``),
the cache in ``cache.py`` over one packed file per root (``packed.py``), and the snapshot that
lets a scan with nothing changed skip the crawl in ``snapshot.py``.

Importing this package is cheap (the crawler, the resolver and tree-sitter load on first use),
so the CLI's fast path can read a snapshot without paying for them.
"""

from __future__ import annotations

from ..lazy_names import lazy_names

__all__ = ["Dependency", "MissingImport", "ScanResult", "ScanStats", "find_entries", "scan",
           "scan_cache_for", "scan_key"]

_LAZY = {
    "scan": ".run",
    "scan_cache_for": ".run",
    "scan_key": ".run",
    "Dependency": ".result",
    "MissingImport": ".result",
    "ScanResult": ".result",
    "ScanStats": ".result",
    "find_entries": ".crawl",
}


# The package's names, imported on first use (the CLI's fast path imports only ``snapshot`` and
# ``packed``).
__getattr__ = lazy_names(__name__, _LAZY, globals())
