"""A staticfiles finder for the deps dir, or for the build of the app's code: ``runserver``
serves the files under ``STATIC_URL + static_prefix`` and ``collectstatic`` copies them, although
the deps live in the hidden ``node_modules/.vite`` folder that Django's default finders and
ignore patterns skip.

``runserver`` finds what the tags point at right now (``Assets.served_dir()``). ``collectstatic``
copies the build (``dist/``: its hashed files, ``deps/`` and the build manifest, so a server with
only the collected copy renders from ``PREBUNDLE = {"build": STATIC_ROOT / "prebundle"}``) when
there is one, else the deps dir. Hidden names (but the build manifest), paths out of the folder
and the deny list of ``prebundle.static`` are never found or copied."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage

from ...static import DEFAULT_DENY_LIST, safe_path
from .conf import frontends, get_assets, static_prefix


__all__ = ["PrebundleFinder"]


class PrebundleFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        find_all = find_all or kwargs.get("all", False)
        found = [hit for app in frontends() for hit in self._find(app, path)]  # each frontend's folder
        return found if find_all else (found[0] if found else [])

    def _find(self, app: str, path: str) -> list[str]:
        prefix = static_prefix(app)
        if not path.startswith(prefix):
            return []
        relative = path[len(prefix):]
        assets = get_assets(app)
        found = assets.extra_files().get(relative)
        if found is None:
            real = safe_path(assets.served_dir(), quote(relative, safe="/"))
            found = real
        if found is None:
            return []
        return [str(found)]

    def list(self, ignore_patterns: Iterable[str] | None):
        for app in frontends():  # each frontend's files under its own static folder
            yield from self._list(app, ignore_patterns)

    def _list(self, app: str, ignore_patterns: Iterable[str] | None):
        assets = get_assets(app)
        build = assets.build if assets.build is not None and assets.build.exists() and assets.mode != "development" \
            else None
        folder = build.out_dir if build is not None else assets.served_dir()
        if not folder.is_dir() or _inside_static_root(folder):
            return
        storage = FileSystemStorage(location=str(folder))
        storage.prefix = static_prefix(app).rstrip("/")
        for path in get_files(storage, ignore_patterns):
            if not DEFAULT_DENY_LIST.denies(path):
                yield path, storage
        if build is not None:
            yield build.manifest.relative_to(folder).as_posix(), storage
        for name, file in assets.extra_files().items():
            folder, _, base = name.rpartition("/")
            extra = FileSystemStorage(location=str(file.parent))
            extra.prefix = static_prefix(app) + folder
            if os.path.basename(file) == base:
                yield base, extra


def _inside_static_root(folder: Path) -> bool:
    """True for a collected copy (``PREBUNDLE = {"build": STATIC_ROOT / ...}``): never copied onto itself."""
    root = getattr(settings, "STATIC_ROOT", None)
    return bool(root) and folder.resolve().is_relative_to(Path(root).resolve())
