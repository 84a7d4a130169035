"""How the app's own JSX is compiled, and which runtime module that makes it import.

The daemon compiles JSX with esbuild's automatic runtime by default, so every JSX module imports
``<jsx_import_source>/jsx-runtime`` (``/jsx-dev-runtime`` in development, as Vite's React plugin
does: React then names the file and line of a component in its warnings). That import is bare:
the page's import map must hold it, so the scan adds it for every JSX file it meets (see
``prebundle.scanner.crawl``). Both share these definitions. Imports nothing heavy: the crawler
loads this module.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["JSX_SUFFIXES", "esbuild_jsx_options", "is_jsx_file", "jsx_dev", "jsx_runtime_ids", "runtime_note"]

JSX_SUFFIXES = (".jsx", ".tsx")
"""Files that hold JSX whatever the config says."""
JS_SUFFIXES = (".js", ".mjs")
"""Files that hold JSX when the config key ``jsx_in_js`` is on."""


def is_jsx_file(config: Config, path: str) -> bool:
    """Whether ``path`` (a file name) is compiled as JSX."""
    suffix = os.path.splitext(path)[1].lower()
    return suffix in JSX_SUFFIXES or (config.jsx_in_js and suffix in JS_SUFFIXES)


def jsx_dev(config: Config) -> bool:
    """Whether JSX compiles to the development runtime (``jsxDEV`` with file, line and column)."""
    return config.mode != "production"


def jsx_runtime_ids(config: Config, source: str | None = None) -> tuple[str, ...]:
    """The bare ids compiled JSX imports, from the config's ``jsx_import_source`` or ``source``
    (a tsconfig's ``jsxImportSource``, a file's ``@jsxImportSource`` comment): none unless ``jsx``
    is ``automatic``. In development both runtimes (the daemon imports the dev one; a production
    build of the app against the same import map imports the other)."""
    if config.jsx != "automatic":
        return ()
    source = (source or config.jsx_import_source).rstrip("/")
    if jsx_dev(config):
        return (source + "/jsx-dev-runtime", source + "/jsx-runtime")
    return (source + "/jsx-runtime",)


def runtime_note(config: Config) -> str:
    """What a missing runtime is, for the missing-dependency error."""
    return (f"; it is the JSX runtime of the config key jsx_import_source = {config.jsx_import_source!r} "
            "(install that package, or set jsx_import_source or jsx)")


def esbuild_jsx_options(config: Config) -> dict[str, Any]:
    """esbuild's ``jsx*`` options for the config (its keys win over a tsconfig's)."""
    if config.jsx == "automatic":
        return {"jsx": "automatic", "jsx_import_source": config.jsx_import_source, "jsx_dev": jsx_dev(config)}
    return {"jsx": config.jsx}
