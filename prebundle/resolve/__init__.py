"""The ``resolve`` stage: bare specifier -> package folder + entry file, for browsers.

Node's rules as a browser bundler applies them: the ``node_modules`` walk-up (scoped names,
nested copies), ``exports`` with the conditions ``browser``, ``import``, ``module``,
``default`` and ``development``/``production`` (plus configured ones), the main fields
``browser`` (string), ``module``, ``main``, the ``browser`` object map, extension and
``index`` probing, and symlinks (a package whose realpath is outside ``node_modules`` is
*linked* and crawled as source). :meth:`Resolver.resolve_file` resolves the relative imports
between source files for the crawler.
"""

from __future__ import annotations

from .browser import BrowserMap, normalize_browser_map
from .exports import ExportsError, resolve_exports
from .resolver import (
    BuiltinModule,
    PackageNotFound,
    Resolution,
    ResolveError,
    Resolver,
    kind_of,
)

__all__ = [
    "BrowserMap",
    "BuiltinModule",
    "ExportsError",
    "PackageNotFound",
    "Resolution",
    "ResolveError",
    "Resolver",
    "kind_of",
    "normalize_browser_map",
    "resolve_exports",
]
