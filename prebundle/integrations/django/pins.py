"""Import-map entries for the app's own ES modules in static folders, as django-importmap's
``pin_all_from``: each file a pin matches becomes ``"<name>": <its static URL>``, so pages and
other modules import it by a bare name (hashed by the storage in production).

A reusable Django app pins its own modules with an ``AppConfig`` attribute, matched in the app's
``static/`` folder::

    class ChartsConfig(AppConfig):
        name = "charts"
        prebundle_pins = ["charts/widgets/**/*.js"]   # charts/widgets/line.js -> "charts/widgets/line"

A project pins files of any static location with ``PREBUNDLE["pins"]`` (or an app's ``pins``),
found through the staticfiles finders. A pin is a glob over static paths, or a dict
``{"from": "charts/widgets", "glob": "**/*.js", "under": "widgets"}`` whose ``under`` replaces
``from`` in the names (``"widgets/line"``). ``index.js`` is also its folder's name.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

from ...scanner.globs import compile_glob, expand_braces, walk_files
from ..core import Assets
from ..graph import AssetsError, UnknownAsset

__all__ = ["APP_ATTRIBUTE", "Pin", "PinnedAssets", "app_pins", "parse_pins", "pinned_files", "reset_pins"]

APP_ATTRIBUTE = "prebundle_pins"
"""The ``AppConfig`` attribute a reusable app lists its pins in."""
MODULE_SUFFIXES = (".js", ".mjs")
"""Files a pin can match: what a browser runs as an ES module by its static URL."""

_lock = threading.Lock()
_resolved: dict[tuple[Pin, ...], dict[str, str]] = {}


@dataclass(frozen=True)
class Pin:
    """One ``pin_all_from``: the files under ``source`` matching ``glob``, named ``under/<rest>``."""

    source: str
    """A static path folder (``charts/widgets``), without slashes at its ends."""
    glob: str
    """Files under ``source`` (``**/*.js``)."""
    under: str
    """The name prefix of their entries (``source`` unless given)."""
    app_static: Path | None = None
    """The ``static/`` folder of the app that declared it; None: any static location."""

    def names(self, static_paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        """``(import name, static path)`` for each of ``static_paths`` this pin matches."""
        regexes = [compile_glob(p) for p in expand_braces(self.glob)]
        lead = self.source + "/" if self.source else ""
        for path in static_paths:
            if not path.startswith(lead) or not path.endswith(MODULE_SUFFIXES):
                continue
            rest = path[len(lead):]
            if not any(rx.match(rest) for rx in regexes):
                continue
            stem = rest.rsplit(".", 1)[0]
            name = posixpath.join(self.under, stem) if self.under else stem
            yield name, path
            if posixpath.basename(stem) == "index" and posixpath.dirname(name):
                yield posixpath.dirname(name), path


def parse_pins(value: Any, app_static: Path | None = None) -> tuple[Pin, ...]:
    """Pins as written (a glob, a dict, or a list of them); ``ValueError`` saying what is wrong."""
    items = [value] if isinstance(value, (str, dict)) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError(f"expected a list of globs or dicts, not {type(value).__name__}")
    return tuple(_pin(item, app_static) for item in items)


def _pin(item: Any, app_static: Path | None) -> Pin:
    if isinstance(item, str):
        parts = item.strip("/").split("/")
        fixed = []
        for part in parts[:-1]:
            if any(ch in part for ch in "*?[{"):
                break
            fixed.append(part)
        source = "/".join(fixed)
        glob = "/".join(parts[len(fixed):])
        return Pin(source, glob, source, app_static)
    if isinstance(item, dict):
        unknown = set(item) - {"from", "glob", "under"}
        if unknown:
            raise ValueError(f"unknown pin key {sorted(unknown)[0]!r} (known: from, glob, under)")
        source = item.get("from")
        if not isinstance(source, str):
            raise ValueError(f'a pin needs "from", the static folder of the modules: {item!r}')
        source = source.strip("/")
        glob = item.get("glob", "**/*.js")
        under = item.get("under", source)
        if not isinstance(glob, str) or not isinstance(under, str):
            raise ValueError(f'"glob" and "under" of a pin are strings: {item!r}')
        return Pin(source, glob.strip("/"), under.strip("/"), app_static)
    raise ValueError(f'a pin is a glob ("charts/widgets/*.js") or a dict with "from", not {item!r}')


def app_pins() -> tuple[Pin, ...]:
    """The pins every installed app declares in ``AppConfig.prebundle_pins``."""
    found: list[Pin] = []
    for config in django_apps.get_app_configs():
        value = getattr(config, APP_ATTRIBUTE, None)
        if value is None:
            continue
        try:
            found.extend(parse_pins(value, Path(config.path) / "static"))
        except ValueError as error:
            raise AssetsError(f"{type(config).__module__}.{type(config).__name__}.{APP_ATTRIBUTE}: {error}") from None
    return tuple(found)


def pinned_files(pins: tuple[Pin, ...]) -> dict[str, str]:
    """Import name -> static path of every file ``pins`` match (the first match of a name wins)."""
    out: dict[str, str] = {}
    any_location = [pin for pin in pins if pin.app_static is None]
    paths = sorted(_finder_paths()) if any_location else []
    for pin in pins:
        if pin.app_static is None:
            candidates: Iterable[str] = paths
        else:
            start = pin.app_static / pin.source if pin.source else pin.app_static
            lead = pin.source + "/" if pin.source else ""
            candidates = sorted(lead + rel for rel in walk_files(start)) if start.is_dir() else ()
        for name, path in pin.names(candidates):
            out.setdefault(name, path)
    return out


def _finder_paths() -> set[str]:
    """Every static path the finders know, except the deps they serve themselves."""
    from .finders import PrebundleFinder  # the finder module imports this package's conf

    found: set[str] = set()
    for finder in finders.get_finders():
        if isinstance(finder, PrebundleFinder):
            continue
        for path, storage in finder.list(None):
            prefix = (getattr(storage, "prefix", None) or "").strip("/")
            found.add(posixpath.join(prefix, path.replace("\\", "/")) if prefix else path.replace("\\", "/"))
    return found


def pinned_urls(pins: tuple[Pin, ...]) -> dict[str, str]:
    """Import name -> URL (``staticfiles_storage.url``: hashed in production) of every pinned file.
    Cached until settings change, except with ``DEBUG`` on, where new files show up at once."""
    if not pins:
        return {}
    if not settings.DEBUG:
        with _lock:
            cached = _resolved.get(pins)
        if cached is not None:
            return cached
    urls = {}
    for name, path in pinned_files(pins).items():
        try:
            urls[name] = staticfiles_storage.url(path)
        except ValueError as error:  # a manifest storage that has not collected the file
            raise AssetsError(f"pinned module {path}: {error} (run `manage.py collectstatic`)") from None
    if not settings.DEBUG:
        with _lock:
            _resolved[pins] = urls
    return urls


def reset_pins() -> None:
    with _lock:
        _resolved.clear()


class PinnedAssets(Assets):
    """``Assets`` whose import map also holds the pinned modules of the Django project."""

    pins: tuple[Pin, ...] = ()
    """The frontend's own pins; the installed apps' ``prebundle_pins`` are added to them."""

    def all_pins(self) -> tuple[Pin, ...]:
        return (*self.pins, *app_pins())

    def importmap(self) -> dict[str, Any]:
        result = super().importmap()
        if self.graph().kind == "prebundle":
            for name, url in pinned_urls(self.all_pins()).items():
                result["imports"].setdefault(name, url)  # an npm package of the same name wins
        return result

    def url(self, name: str) -> str:
        try:
            return super().url(name)
        except UnknownAsset:
            pinned = pinned_urls(self.all_pins()).get(name)
            if pinned is None:
                raise
            return pinned
