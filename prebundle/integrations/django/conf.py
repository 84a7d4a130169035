"""The ``PREBUNDLE`` setting, read into one ``Assets`` (rebuilt when settings change in tests).

Keys: ``root`` (the frontend folder), ``deps_dir`` (instead of root), ``vite_manifest``, ``base``
(default ``STATIC_URL + static_prefix``), ``static_prefix`` (default ``"prebundle/"``: where the
finder and ``collectstatic`` put the files), ``mode``, ``integrity``, ``crossorigin``,
``daemon_origin``. When the deps dir is not built but ``collectstatic`` copied a build to
``STATIC_ROOT/<static_prefix>`` (a server without node_modules), that copy is read.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ...metadata import IMPORTMAP
from ..core import Assets

__all__ = ["get_assets", "options", "static_prefix"]

_SOURCE_KEYS = ("root", "deps_dir", "vite_manifest")
"""The keys that say where the assets are: each picks one of ``Assets``' constructors."""
_ASSET_KEYS = {*_SOURCE_KEYS, "base", "mode", "integrity", "crossorigin", "daemon_origin"}
_lock = threading.Lock()
_assets: Assets | None = None


def options() -> dict[str, Any]:
    value = getattr(settings, "PREBUNDLE", None)
    if not isinstance(value, dict):
        raise ImproperlyConfigured('settings.PREBUNDLE must be a dict, e.g. PREBUNDLE = {"root": BASE_DIR / "frontend"}')
    unknown = set(value) - _ASSET_KEYS - {"static_prefix"}
    if unknown:
        raise ImproperlyConfigured(f"settings.PREBUNDLE: unknown key {sorted(unknown)[0]!r} "
                                   f"(known: {', '.join(sorted(_ASSET_KEYS | {'static_prefix'}))})")
    return value


def static_prefix() -> str:
    prefix = options().get("static_prefix", "prebundle/")
    return prefix.strip("/") + "/"


def get_assets() -> Assets:
    """The project's ``Assets`` from ``settings.PREBUNDLE``."""
    global _assets
    with _lock:
        if _assets is None:
            _assets = _build()
        return _assets


def _build() -> Assets:
    opts = {k: v for k, v in options().items() if k in _ASSET_KEYS}
    if "base" not in opts:
        static_url = settings.STATIC_URL or "/static/"
        opts["base"] = (static_url if static_url.endswith("/") else static_url + "/") + static_prefix()
    if not any(opts.get(k) for k in _SOURCE_KEYS):
        raise ImproperlyConfigured('settings.PREBUNDLE needs "root" (the frontend folder with node_modules), '
                                   '"deps_dir" or "vite_manifest"')
    assets = Assets(**opts)  # the setting's keys pick the constructor
    collected = _collected_copy()
    if collected is not None and assets.vite_manifest is None and not (assets.deps_dir / IMPORTMAP).is_file():
        assets = Assets.for_deps_dir(collected, **{k: v for k, v in opts.items() if k not in _SOURCE_KEYS})
    return assets


def _collected_copy() -> Path | None:
    root = getattr(settings, "STATIC_ROOT", None)
    if not root:
        return None
    folder = Path(root) / static_prefix()
    return folder if (folder / IMPORTMAP).is_file() else None


def reset(**_: Any) -> None:
    global _assets
    with _lock:
        _assets = None


def connect_signals() -> None:
    def changed(setting: str, **kwargs: Any) -> None:
        if setting in ("PREBUNDLE", "STATIC_URL", "STATIC_ROOT"):
            reset()

    setting_changed.connect(changed, dispatch_uid="prebundle-settings", weak=False)
