"""Where prebundle keeps what is shared by every project on the machine: built packages
(``packages/``) and the pinned esbuild binary (``esbuild/``).

``$PREBUNDLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/prebundle``, else ``~/.cache/prebundle``.
``PREBUNDLE_CACHE_DIR=off`` turns the package cache off; esbuild still needs a home, so it then
lives in the default folder. A tiny module: the esbuild locator reads it on every run.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["machine_cache_dir", "package_cache_dir"]

_OFF = ("0", "off", "false", "no")


def _default() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "prebundle"


def machine_cache_dir() -> Path:
    """The machine-wide cache folder (the default one when the package cache is off)."""
    configured = os.environ.get("PREBUNDLE_CACHE_DIR", "")
    if configured and configured.lower() not in _OFF:
        return Path(configured)
    return _default()


def package_cache_dir() -> Path | None:
    """The machine-wide cache folder, or None when the package cache is turned off."""
    configured = os.environ.get("PREBUNDLE_CACHE_DIR", "")
    if configured.lower() in _OFF:
        return None
    return Path(configured) if configured else _default()
