"""prebundle: pre-bundle npm dependencies into browser ES modules served through an import map.

The public API is small and importable; the ``prebundle`` command only parses flags and calls it.
Heavy modules are imported lazily so that ``prebundle`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Config", "define_config", "load_config", "optimize", "scan", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config, define_config, load_config
    from .optimizer import optimize
    from .scanner import scan

_LAZY = {
    "Config": ".config",
    "define_config": ".config",
    "load_config": ".config",
    "optimize": ".optimizer",
    "scan": ".scanner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'prebundle' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
