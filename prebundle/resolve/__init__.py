"""The ``resolve`` stage: bare specifier -> package folder + entry file, for browsers.

Node's rules as a browser bundler applies them: the ``node_modules`` walk-up (scoped names,
nested copies), ``exports`` with the conditions ``browser``, ``import``, ``module``,
``default`` and ``development``/``production`` (plus configured ones), the main fields
``browser`` (string), ``module``, ``main``, the ``browser`` object map, extension and
``index`` probing, and symlinks (a package whose realpath is outside ``node_modules`` is
*linked* and crawled as source). :meth:`Resolver.resolve_file` resolves the relative imports
between source files for the crawler; :mod:`.tsconfig_paths` maps tsconfig ``paths`` and
``baseUrl`` aliases to the files :meth:`Resolver.resolve_path` probes.
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
from .tsconfig_paths import AliasMatch, PathAliases, may_be_alias, path_aliases

__all__ = [
    "AliasMatch",
    "BrowserMap",
    "BuiltinModule",
    "ExportsError",
    "PackageNotFound",
    "PathAliases",
    "Resolution",
    "ResolveError",
    "Resolver",
    "kind_of",
    "may_be_alias",
    "normalize_browser_map",
    "path_aliases",
    "resolve_exports",
]
