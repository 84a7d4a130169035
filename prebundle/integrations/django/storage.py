"""Manifest storages that leave prebundle's files as they are.

prebundle names its production files by their content already (``react-3F9A1C2B.js``,
``chunk-*.js``, a build's ``assets/main-*.js``), the import map it renders points at those names,
and chunks import each other by them. ``ManifestStaticFilesStorage`` would add a second hash
(``react-3F9A1C2B.5e0f1a2b3c4d.js``), rewrite the files' contents and, with WhiteNoise's
``WHITENOISE_KEEP_ONLY_HASHED_FILES``, delete the names the import map uses. These storages copy
the files under each frontend's static folder (``prebundle/``) unchanged, record them in
``staticfiles.json`` under their own names (so ``{% static %}`` and ``manifest_strict`` work),
and hash everything else as Django does::

    STORAGES = {"staticfiles": {"BACKEND": "prebundle.integrations.django.storage.ManifestStaticFilesStorage"}}

With WhiteNoise, ``prebundle.integrations.django.whitenoise.CompressedManifestStaticFilesStorage``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.staticfiles import storage as django_storage
from django.core.exceptions import ImproperlyConfigured

from .conf import frontends

__all__ = ["KeepPrebundleNames", "ManifestStaticFilesStorage", "prebundle_prefixes"]

DEFAULT_PREFIXES = ("prebundle/",)
"""Where the files are when ``PREBUNDLE`` cannot be read (the finder's default folder)."""


def prebundle_prefixes() -> tuple[str, ...]:
    """The static folder of every frontend (``prebundle/``, ``prebundle/admin/``, ...)."""
    try:
        return tuple(frontend.static_prefix for frontend in frontends().values())
    except ImproperlyConfigured:  # the system check reports it; the files still keep their names
        return DEFAULT_PREFIXES


class KeepPrebundleNames:
    """Mixin for a ``ManifestFilesMixin`` storage: the files under the frontends' static folders
    are neither hashed nor rewritten, and ``staticfiles.json`` maps each to itself."""

    _kept: tuple[str, ...] = ()

    def keeps_name(self, name: str) -> bool:
        """True for a static path prebundle already named by content (or reads by name)."""
        return name.replace("\\", "/").lstrip("/").startswith(prebundle_prefixes())

    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any) -> Iterator[tuple]:
        self._kept = tuple(sorted(path for path in paths if self.keeps_name(path)))
        rest = {path: value for path, value in paths.items() if path not in self._kept}
        yield from super().post_process(rest, dry_run=dry_run, **options)  # type: ignore[misc]

    def save_manifest(self) -> None:
        for name in self._kept:
            clean = self.clean_name(name)  # type: ignore[attr-defined]
            self.hashed_files[self.hash_key(clean)] = clean  # type: ignore[attr-defined]
        super().save_manifest()  # type: ignore[misc]

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        if self.keeps_name(name):
            return self.clean_name(name)  # type: ignore[attr-defined]
        return super().hashed_name(name, content, filename)  # type: ignore[misc]


class ManifestStaticFilesStorage(KeepPrebundleNames, django_storage.ManifestStaticFilesStorage):
    """Django's ``ManifestStaticFilesStorage``, leaving prebundle's files as they are."""
