"""System checks: ``PREBUNDLE`` is valid, every frontend's deps are built, a production site serves
production builds, pins are well formed, and WhiteNoise and the manifest storage are set up so
that prebundle's files are cached forever and not hashed twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ...errors import PrebundleError
from ...metadata import METADATA, parse_metadata
from ..graph import AssetsError
from .conf import DEFAULT_APP, frontends, get_assets
from .pins import app_pins

if TYPE_CHECKING:
    from django.apps import AppConfig

__all__ = ["check_prebundle", "check_static_storage"]

IMMUTABLE_TEST = "prebundle.integrations.django.whitenoise.immutable_file_test"
"""The test's dotted path, which WhiteNoise would take for a regular expression."""
MANIFEST_STORAGES = {
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage":
        "prebundle.integrations.django.storage.ManifestStaticFilesStorage",
    "whitenoise.storage.CompressedManifestStaticFilesStorage":
        "prebundle.integrations.django.whitenoise.CompressedManifestStaticFilesStorage",
}
"""Storages that hash prebundle's files a second time -> the one that does not."""


@checks.register(checks.Tags.templates)
def check_prebundle(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        found = frontends()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="prebundle.E001")]
    messages: list[checks.CheckMessage] = []
    for name in found:
        messages += _check_frontend(name)
    try:
        app_pins()
    except AssetsError as error:
        messages.append(checks.Error(str(error), id="prebundle.E002"))
    return messages


def _check_frontend(name: str) -> list[checks.CheckMessage]:
    which = "" if name == DEFAULT_APP else f"app {name!r}: "
    try:
        assets = get_assets(name)
    except (ImproperlyConfigured, PrebundleError) as error:
        return [checks.Error(f"{which}{error}", id="prebundle.E001")]
    if assets.vite_manifest is not None:
        return []
    try:
        assets.graph()
    except AssetsError as error:
        return [checks.Warning(f"{which}{error}", hint="run `prebundle` (or `prebundle daemon`) in the frontend folder",
                               id="prebundle.W001")]
    try:
        mode = parse_metadata((assets.deps_dir / METADATA).read_text(encoding="utf-8")).mode
    except (OSError, ValueError):  # MetadataError is a ValueError
        mode = None
    if not settings.DEBUG and mode == "development":
        return [checks.Warning(f"{which}{assets.deps_dir} holds a development build while DEBUG is off",
                               hint="build with `prebundle --mode production` for minified, content-hashed files",
                               id="prebundle.W002")]
    return []


@checks.register(checks.Tags.staticfiles)
def check_static_storage(app_configs: Sequence[AppConfig] | None = None,
                         **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if getattr(settings, "WHITENOISE_IMMUTABLE_FILE_TEST", None) == IMMUTABLE_TEST:
        messages.append(checks.Error(
            "settings.WHITENOISE_IMMUTABLE_FILE_TEST is the test's dotted path, which WhiteNoise reads as a "
            "regular expression", hint="import the function: from prebundle.integrations.django.whitenoise "
            "import immutable_file_test", id="prebundle.E003"))
    backend = (getattr(settings, "STORAGES", None) or {}).get("staticfiles", {}).get("BACKEND", "")
    better = MANIFEST_STORAGES.get(backend)
    if better is not None:
        messages.append(checks.Warning(
            f"{backend} hashes prebundle's content-named files a second time (the import map points at the "
            "names it leaves behind, which WHITENOISE_KEEP_ONLY_HASHED_FILES deletes)",
            hint=f'use "BACKEND": "{better}"', id="prebundle.W003"))
    return messages
