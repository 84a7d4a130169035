"""What a plugin contributes to the config hash, so a changed plugin never serves old bundles.

A plugin may declare ``cache_key``: a string that changes whenever its output may change (its
version and options, typically). Without one, prebundle fingerprints the plugin itself: the code
of its hooks and the values they close over or read from the plugin object (its options, as a
factory passes them). That fingerprint is good enough to rebuild this project's deps when an
option changes, but it cannot prove two machines run the same code (imported helpers, files the
plugin reads), so builds of a project whose code-transforming plugins lack a ``cache_key`` are
never shared through the machine-wide cache.
"""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any

from .plugin import HOOKS, plugin_name

__all__ = ["CODE_HOOKS", "plugin_cache_key", "shareable"]

CODE_HOOKS = ("resolve_id", "load", "transform")
"""Hooks that change what a bundle contains."""

_MAX_DEPTH = 4


def _attribute(plugin: Any, name: str) -> Any:
    return plugin.get(name) if isinstance(plugin, Mapping) else getattr(plugin, name, None)


def declared_key(plugin: Any) -> str | None:
    """The plugin's own ``cache_key`` (a string, or a callable returning one)."""
    key = _attribute(plugin, "cache_key")
    if callable(key):
        key = key()
    return None if key is None else str(key)


def transforms_code(plugin: Any) -> bool:
    return any(_attribute(plugin, hook) is not None for hook in CODE_HOOKS)


def shareable(plugins: Iterable[Any]) -> bool:
    """True when every code-transforming plugin declares a ``cache_key``."""
    return all(declared_key(plugin) is not None for plugin in plugins if transforms_code(plugin))


def plugin_cache_key(plugin: Any) -> dict[str, Any]:
    """The plugin's part of the config hash: name, order, ``apply`` and its ``cache_key``, else a
    fingerprint of its hooks."""
    apply = _attribute(plugin, "apply")
    key = declared_key(plugin)
    if key is None:
        digest = hashlib.sha256()
        for hook in (*HOOKS, "apply"):
            value = _attribute(plugin, hook)
            if value is not None:
                digest.update(hook.encode())
                _feed(digest, value, 0)
        key = "fingerprint:" + digest.hexdigest()[:16]
    return {"name": plugin_name(plugin), "enforce": _attribute(plugin, "enforce"),
            "apply": apply if isinstance(apply, str) or apply is None else "function", "key": key}


def _feed(digest: Any, value: Any, depth: int) -> None:
    """Hash what a hook's behaviour depends on: code, constants, defaults, closed-over values
    and, for a bound method, the attributes of its object."""
    if depth > _MAX_DEPTH:
        digest.update(b"...")
        return
    if isinstance(value, types.MethodType):
        _feed(digest, value.__func__, depth + 1)
        _feed(digest, vars(value.__self__) if hasattr(value.__self__, "__dict__") else repr(value.__self__),
              depth + 1)
    elif isinstance(value, types.FunctionType):
        _feed(digest, value.__code__, depth + 1)
        _feed(digest, value.__defaults__, depth + 1)
        _feed(digest, value.__kwdefaults__, depth + 1)
        for cell in value.__closure__ or ():
            try:
                _feed(digest, cell.cell_contents, depth + 1)
            except ValueError:  # an empty cell
                digest.update(b"<empty>")
    elif isinstance(value, types.CodeType):
        digest.update(value.co_code)
        digest.update(repr(value.co_names).encode())
        for const in value.co_consts:
            _feed(digest, const, depth + 1)
    elif isinstance(value, Mapping):
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _feed(digest, value[key], depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        for item in items:
            _feed(digest, item, depth + 1)
    elif isinstance(value, (str, bytes, int, float, bool, type(None))):
        digest.update(repr(value).encode())
    elif callable(value) and hasattr(value, "__call__") and hasattr(type(value), "__call__"):
        digest.update(type(value).__qualname__.encode())
        if hasattr(value, "__dict__"):
            _feed(digest, vars(value), depth + 1)
    else:
        digest.update(_stable_repr(value).encode())


def _stable_repr(value: Any) -> str:
    """``repr`` without memory addresses, which change on every run."""
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
