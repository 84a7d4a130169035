"""``prebundle build``: the app's own code for production, with everything its pages need in one
folder (``out_dir``, default ``dist/``):

* ``assets/``: the app's chunks, stylesheets, images and fonts, with content-hashed names;
* ``deps/``: the npm packages, pre-bundled for production, with ``importmap.json`` and
  ``manifest.json`` (a copy of ``<cache_dir>/build/deps``);
* the manifest in Vite's shape (``build.manifest``, default ``.prebundle/manifest.json``).

The entries (``entries.py``) go through esbuild (``build_bundle.py``); the manifest comes from
its metafile (``manifest.py``); the deps from a production optimize (``build_deps.py``). The new
folder is staged beside ``out_dir`` and swapped in whole, so a failed build leaves the previous
one as it was, and a server never sees half of one.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commit import OutputLock, commit_dir, make_temp_dir
from .build_bundle import bundle_app
from .build_deps import BUILD_CACHE, optimize_build_deps
from .build_errors import AppBuildError
from .build_report import WrittenFile, written_files
from .entries import BuildEntry, build_entries
from .manifest import make_manifest, manifest_bytes

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import Service
    from ..optimizer import OptimizeResult

__all__ = ["DEPS_FOLDER", "AppBuildResult", "build_app"]

log = logging.getLogger("prebundle.app")

DEPS_FOLDER = "deps"
"""The folder of ``out_dir`` that holds the copy of the production deps."""
STAGING_SUFFIX = "-build-"
"""A staged build is ``.<out_dir name>-build-<random>`` beside ``out_dir`` (a hidden name: watchers skip it)."""


@dataclass(frozen=True)
class AppBuildResult:
    out_dir: Path
    manifest_path: Path
    manifest: dict[str, dict[str, Any]] = field(repr=False)
    files: tuple[WrittenFile, ...]
    """The app's files written (assets and manifest), in the report's order; not the deps."""
    deps: OptimizeResult
    """The production deps optimize whose output ``<out_dir>/deps`` copies."""
    entries: tuple[BuildEntry, ...]
    warnings: tuple[str, ...]
    seconds: float


def build_app(config: Config, *, service: Service | None = None,
              on_progress: Callable[[int, int], None] | None = None) -> AppBuildResult:
    """Build the app's code and its deps into ``config.out_dir``. Raises ``PrebundleError`` (one
    line per problem) and leaves the previous output as it was when anything fails."""
    started = time.perf_counter()
    out_dir = _checked_out_dir(config)
    entries = build_entries(config)
    _check_entries(entries, out_dir)
    with OutputLock(config.cache_dir / BUILD_CACHE / "app"):
        _remove_leftovers(out_dir)
        bundle = bundle_app(config, entries, out_dir, service=service)
        for warning in bundle.warnings:
            log.warning("warning: %s", warning)
        manifest = make_manifest(bundle.outputs, root=config.root, out_dir=out_dir,
                                 entries={entry.key for entry in entries})
        deps = optimize_build_deps(config, entries, bundle.externals, bundle.sources, on_progress=on_progress)
        files = {**bundle.files, config.build.manifest: manifest_bytes(manifest)}
        _publish(files, deps.deps_dir, out_dir)
    return AppBuildResult(out_dir, out_dir / config.build.manifest, manifest, written_files(files), deps, entries,
                          bundle.warnings, time.perf_counter() - started)


def _publish(files: dict[str, bytes], deps_dir: Path, out_dir: Path) -> None:
    """Stage ``files`` and a copy of ``deps_dir`` beside ``out_dir``, then swap the stage in."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = make_temp_dir(out_dir.parent, f".{out_dir.name}{STAGING_SUFFIX}")
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        shutil.copytree(deps_dir, staging / DEPS_FOLDER)
        commit_dir(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _remove_leftovers(out_dir: Path) -> None:
    """Staged builds a killed run left beside ``out_dir`` (the lock is held: none is in use)."""
    for path in out_dir.parent.glob(f".{out_dir.name}{STAGING_SUFFIX}*"):
        shutil.rmtree(path, ignore_errors=True)


def _checked_out_dir(config: Config) -> Path:
    """``out_dir`` as an absolute path, refused when replacing it would replace the project."""
    out_dir = Path(os.path.normpath(config.root / config.out_dir))
    root = config.root
    if out_dir == root or out_dir in root.parents or out_dir == config.cache_dir or out_dir in config.cache_dir.parents:
        raise AppBuildError(f"out_dir {config.out_dir!r} would replace {out_dir}, which holds the project or its "
                            "cache; give a folder of its own, such as 'dist'")
    assets = Path(config.build.assets_dir).parts
    if assets[:1] == (DEPS_FOLDER,) or Path(config.build.manifest).parts[:1] == (DEPS_FOLDER,):
        raise AppBuildError(f"build.assets_dir and build.manifest must not be in {DEPS_FOLDER}/ (the npm "
                            "packages go there); choose another folder, such as 'assets'")
    return out_dir


def _check_entries(entries: tuple[BuildEntry, ...], out_dir: Path) -> None:
    for entry in entries:
        if out_dir in entry.path.parents:
            raise AppBuildError(f"{entry.key}: an entry inside out_dir {out_dir}, which each build replaces; "
                                "move it, or set out_dir to another folder")
