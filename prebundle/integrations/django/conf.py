"""The ``PREBUNDLE`` setting, read into one ``Assets`` per frontend (rebuilt when settings change
in tests).

One frontend::

    PREBUNDLE = {"root": BASE_DIR / "frontend"}

Several, each with its own deps, import map and static folder; the tags take ``app="admin"``
(``get_assets("admin")``) and without it use ``"default"`` (the key), else the first app::

    PREBUNDLE = {
        "apps": {"site": {"root": BASE_DIR / "site"}, "admin": {"root": BASE_DIR / "admin_ui"}},
        "default": "site",
        "integrity": True,          # keys beside "apps" apply to every app
    }

Keys of a frontend: ``root`` (the frontend folder), ``deps_dir`` or ``build`` (a ``prebundle
build`` output, e.g. its collected copy) instead of root, ``vite_manifest``, ``base`` (default
``STATIC_URL + static_prefix``), ``static_prefix`` (where the finder and ``collectstatic`` put the
files: ``"prebundle/"``, or ``"prebundle/<app>/"`` for each of several apps), ``mode``,
``integrity``, ``crossorigin``, ``daemon_origin`` and ``pins`` (``prebundle.integrations.django.pins``).
When the deps dir is not built but ``collectstatic`` copied a build to
``STATIC_ROOT/<static_prefix>`` (a server without node_modules), that copy is read.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ...metadata import IMPORTMAP
from ..core import Assets
from .pins import Pin, PinnedAssets, parse_pins, reset_pins

__all__ = ["DEFAULT_APP", "Frontend", "frontends", "get_assets", "options", "static_prefix"]

DEFAULT_APP = "default"
"""The name of the frontend of a one-frontend ``PREBUNDLE``, and the tags' ``app`` default."""
_SOURCE_KEYS = ("root", "deps_dir", "build", "vite_manifest")
"""The keys that say where the assets are: each picks one of ``Assets``' constructors."""
_ASSET_KEYS = {*_SOURCE_KEYS, "base", "mode", "integrity", "crossorigin", "daemon_origin"}
"""The keys passed on to ``Assets``."""
_FRONTEND_KEYS = _ASSET_KEYS | {"static_prefix", "pins"}
"""Every key one frontend takes."""
_SHARED_KEYS = _FRONTEND_KEYS - {*_SOURCE_KEYS, "base", "static_prefix"}
"""Keys beside ``apps`` that every app inherits (each app's own value wins)."""
_APP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""App names appear in static paths (``prebundle/<app>/``)."""
_lock = threading.Lock()
_frontends: dict[str, Frontend] | None = None
_assets: dict[str, Assets] = {}


@dataclass(frozen=True)
class Frontend:
    """One frontend of ``PREBUNDLE``: its name, its keys and where ``collectstatic`` puts it."""

    name: str
    """``"default"`` for a one-frontend setting, else its key in ``apps``."""
    options: Mapping[str, Any]
    """Its keys, with the shared ones filled in."""
    static_prefix: str
    """Its folder under ``STATIC_ROOT`` / path under ``STATIC_URL`` (``prebundle/``, with a slash)."""
    pins: tuple[Pin, ...]
    """Its own ``pins`` (reusable apps' ``AppConfig.prebundle_pins`` are added to every frontend)."""


def options() -> dict[str, Any]:
    """``settings.PREBUNDLE``, checked: ``ImproperlyConfigured`` names the first bad key."""
    value = getattr(settings, "PREBUNDLE", None)
    if not isinstance(value, dict):
        raise ImproperlyConfigured('settings.PREBUNDLE must be a dict, e.g. PREBUNDLE = {"root": BASE_DIR / "frontend"}')
    known = _FRONTEND_KEYS if "apps" not in value else _SHARED_KEYS | {"apps", "default"}
    unknown = set(value) - known
    if unknown:
        shown = known if "apps" in value else known | {"apps"}
        raise ImproperlyConfigured(f"settings.PREBUNDLE: unknown key {sorted(unknown)[0]!r} "
                                   f"(known: {', '.join(sorted(shown))})")
    return value


def frontends() -> dict[str, Frontend]:
    """Every frontend of ``PREBUNDLE`` by name, the default one first."""
    global _frontends
    with _lock:
        if _frontends is None:
            _frontends = _read_frontends(options())
        return _frontends


def _read_frontends(value: dict[str, Any]) -> dict[str, Frontend]:
    if "apps" not in value:
        return {DEFAULT_APP: _frontend(DEFAULT_APP, value, "prebundle/")}
    apps = value["apps"]
    if not isinstance(apps, dict) or not apps:
        raise ImproperlyConfigured('settings.PREBUNDLE["apps"] must be a dict of app name -> its keys, '
                                   'e.g. {"site": {"root": BASE_DIR / "site"}}')
    shared = {k: v for k, v in value.items() if k in _SHARED_KEYS}
    found: dict[str, Frontend] = {}
    for name, keys in apps.items():
        if not isinstance(name, str) or not _APP_NAME.fullmatch(name):
            raise ImproperlyConfigured(f'settings.PREBUNDLE["apps"]: {name!r} is not a usable app name '
                                       "(letters, digits, '_', '-', '.')")
        if not isinstance(keys, dict):
            raise ImproperlyConfigured(f'settings.PREBUNDLE["apps"][{name!r}] must be a dict, '
                                       'e.g. {"root": BASE_DIR / "frontend"}')
        unknown = set(keys) - _FRONTEND_KEYS
        if unknown:
            raise ImproperlyConfigured(f'settings.PREBUNDLE["apps"][{name!r}]: unknown key {sorted(unknown)[0]!r} '
                                       f"(known: {', '.join(sorted(_FRONTEND_KEYS))})")
        found[name] = _frontend(name, {**shared, **keys}, f"prebundle/{name}/")
    default = value.get("default", DEFAULT_APP if DEFAULT_APP in found else next(iter(found)))
    if default not in found:
        raise ImproperlyConfigured(f'settings.PREBUNDLE["default"] is {default!r}, which is not in "apps" '
                                   f"({', '.join(found)})")
    _check_prefixes(found.values())
    return {default: found[default], **{k: v for k, v in found.items() if k != default}}


def _frontend(name: str, keys: dict[str, Any], prefix: str) -> Frontend:
    where = "settings.PREBUNDLE" if name == DEFAULT_APP else f'settings.PREBUNDLE["apps"][{name!r}]'
    prefix = str(keys.get("static_prefix", prefix)).strip("/")
    if not prefix:
        raise ImproperlyConfigured(f'{where}["static_prefix"] must name a folder, e.g. "prebundle/"')
    try:
        pins = parse_pins(keys.get("pins", ()))
    except ValueError as error:
        raise ImproperlyConfigured(f'{where}["pins"]: {error}') from None
    return Frontend(name, keys, prefix + "/", pins)


def _check_prefixes(found: Iterable[Frontend]) -> None:
    """Two frontends in one static folder would overwrite each other's files."""
    seen: list[Frontend] = []
    for frontend in found:
        for other in seen:
            a, b = frontend.static_prefix, other.static_prefix
            if a.startswith(b) or b.startswith(a):
                raise ImproperlyConfigured(f"settings.PREBUNDLE: apps {other.name!r} and {frontend.name!r} share "
                                           f"the static folder {min(a, b, key=len)!r}; give one another static_prefix")
        seen.append(frontend)


def frontend(app: str | None = None) -> Frontend:
    """The frontend named ``app`` (None or ``"default"``: the default one)."""
    found = frontends()
    if app is None or (app == DEFAULT_APP and DEFAULT_APP not in found):
        return next(iter(found.values()))
    try:
        return found[app]
    except KeyError:
        raise ImproperlyConfigured(f"settings.PREBUNDLE has no app {app!r} (apps: {', '.join(found)}); "
                                   "add it to PREBUNDLE['apps'] or fix the tag's app=") from None


def static_prefix(app: str | None = None) -> str:
    """Where a frontend's files are under ``STATIC_URL`` and ``STATIC_ROOT`` (ends with ``/``)."""
    return frontend(app).static_prefix


def get_assets(app: str | None = None) -> Assets:
    """The ``Assets`` of a frontend of ``settings.PREBUNDLE`` (None: the default one)."""
    chosen = frontend(app)
    with _lock:
        assets = _assets.get(chosen.name)
        if assets is None:
            assets = _assets[chosen.name] = _build(chosen)
        return assets


def _build(chosen: Frontend) -> Assets:
    where = "settings.PREBUNDLE" if chosen.name == DEFAULT_APP else f'settings.PREBUNDLE["apps"][{chosen.name!r}]'
    opts = {k: v for k, v in chosen.options.items() if k in _ASSET_KEYS}
    if "base" not in opts:
        static_url = settings.STATIC_URL or "/static/"
        opts["base"] = (static_url if static_url.endswith("/") else static_url + "/") + chosen.static_prefix
    if not any(opts.get(k) for k in _SOURCE_KEYS):
        raise ImproperlyConfigured(f'{where} needs "root" (the frontend folder with node_modules), '
                                   '"deps_dir", "build" or "vite_manifest"')
    assets = PinnedAssets(**opts)  # the setting's keys pick the constructor
    collected = _collected_copy(chosen)
    if collected is not None and assets.vite_manifest is None and not (assets.deps_dir / IMPORTMAP).is_file():
        assets = PinnedAssets.for_deps_dir(collected, **{k: v for k, v in opts.items() if k not in _SOURCE_KEYS})
    assets.pins = chosen.pins
    return assets


def _collected_copy(chosen: Frontend) -> Path | None:
    root = getattr(settings, "STATIC_ROOT", None)
    if not root:
        return None
    folder = Path(root) / chosen.static_prefix
    return folder if (folder / IMPORTMAP).is_file() else None


def reset(**_: Any) -> None:
    global _frontends
    with _lock:
        _frontends = None
        _assets.clear()
    reset_pins()


def connect_signals() -> None:
    def changed(setting: str, **kwargs: Any) -> None:
        if setting in ("PREBUNDLE", "STATIC_URL", "STATIC_ROOT", "INSTALLED_APPS", "STATICFILES_DIRS",
                       "STORAGES", "DEBUG"):
            reset()

    setting_changed.connect(changed, dispatch_uid="prebundle-settings", weak=False)
