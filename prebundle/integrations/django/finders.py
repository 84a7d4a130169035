"""A staticfiles finder for the deps dir: ``runserver`` serves the files under
``STATIC_URL + static_prefix`` and ``collectstatic`` copies them, although they live in the hidden
``node_modules/.vite`` folder that Django's default finders and ignore patterns skip. Hidden names,
paths out of the deps dir and the deny list of ``prebundle.static`` are never found or copied."""

from __future__ import annotations


import os
from collections.abc import Iterable
from urllib.parse import quote

from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage

from ...static import DEFAULT_DENY_LIST, safe_path
from .conf import get_assets, static_prefix


__all__ = ["PrebundleFinder"]


class PrebundleFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path: str, find_all: bool = False, **kwargs):
        find_all = find_all or kwargs.get("all", False)
        prefix = static_prefix()
        if not path.startswith(prefix):
            return []
        relative = path[len(prefix):]
        assets = get_assets()
        found = assets.extra_files().get(relative)
        if found is None:
            real = safe_path(assets.deps_dir, quote(relative, safe="/"))
            found = real
        if found is None:
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Iterable[str] | None):
        assets = get_assets()
        if not assets.deps_dir.is_dir():
            return
        storage = FileSystemStorage(location=str(assets.deps_dir))
        storage.prefix = static_prefix().rstrip("/")
        for path in get_files(storage, ignore_patterns):
            if not DEFAULT_DENY_LIST.denies(path):
                yield path, storage
        for name, file in assets.extra_files().items():
            folder, _, base = name.rpartition("/")
            extra = FileSystemStorage(location=str(file.parent))
            extra.prefix = static_prefix() + folder
            if os.path.basename(file) == base:
                yield base, extra
