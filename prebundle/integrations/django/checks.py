"""System checks: the deps are built, and a production site serves a production build."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import checks

from ...metadata import METADATA, parse_metadata
from ..graph import AssetsError
from .conf import get_assets

if TYPE_CHECKING:
    from django.apps import AppConfig


@checks.register(checks.Tags.templates)
def check_prebundle(app_configs: Sequence[AppConfig] | None = None, **kwargs):
    try:
        assets = get_assets()
    except Exception as error:  # ImproperlyConfigured, ConfigError
        return [checks.Error(str(error), id="prebundle.E001")]
    if assets.vite_manifest is not None:
        return []
    try:
        assets.graph()
    except AssetsError as error:
        return [checks.Warning(str(error), hint="run `prebundle` (or `prebundle daemon`) in the frontend folder",
                               id="prebundle.W001")]
    try:
        mode = parse_metadata((assets.deps_dir / METADATA).read_text(encoding="utf-8")).mode
    except (OSError, ValueError):  # MetadataError is a ValueError
        mode = None
    if not settings.DEBUG and mode == "development":
        return [checks.Warning(f"{assets.deps_dir} holds a development build while DEBUG is off",
                               hint="build with `prebundle --mode production` for minified, content-hashed files",
                               id="prebundle.W002")]
    return []
