"""The object form of package.json's ``browser`` field, normalized.

``{"./lib/node.js": "./lib/browser.js", "fs": false}`` maps files and modules for browsers.
Keys and values written as paths (``./``, ``../``, ``/``) become normalized ``./``-relative
POSIX paths; anything else stays as written. Values are ``False`` (an empty module), a
``./`` path, or a module name. A key without ``./`` (``"lib/node.js"``) may name a module
subpath or a file; the resolver tries it both ways, as esbuild does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["BrowserMap", "normalize_browser_map", "is_path_key"]

BrowserMap = Mapping[str, "str | bool"]
"""A normalized browser map: ``{"./lib/node.js": "./lib/browser.js", "fs": False}``."""

_EMPTY: BrowserMap = MappingProxyType({})


def is_path_key(key: str) -> bool:
    """True when a browser-map key or value is written as a path (``./x``, ``../x``, ``/x``)."""
    return key.startswith(("./", "../", "/")) or key in (".", "..")


def normalize_browser_map(field: Any) -> BrowserMap:
    """The normalized, read-only map of a ``browser`` field; empty unless it is an object."""
    if not isinstance(field, dict):
        return _EMPTY
    out: dict[str, str | bool] = {}
    for key, value in field.items():
        if not isinstance(key, str) or not key:
            continue
        if value is False:
            target: str | bool = False
        elif isinstance(value, str) and value:
            target = _normalize_path(value) if is_path_key(value) else value
        else:
            continue  # ``true`` and other values have no meaning
        out[_normalize_path(key) if is_path_key(key) else key] = target
    return MappingProxyType(out)


def _normalize_path(value: str) -> str:
    path = posixpath.normpath(value.lstrip("/"))
    return path if path.startswith("../") else "./" + path
