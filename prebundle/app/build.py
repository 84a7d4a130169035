"""``prebundle build``: the app's own code for production, with everything its pages need in one
folder (``out_dir``, default ``dist/``):

* ``assets/``: the app's chunks, stylesheets, images and fonts, with content-hashed names;
* ``deps/``: the npm packages, pre-bundled for production, with ``importmap.json`` and
  ``manifest.json`` (a copy of ``<cache_dir>/build/deps``);
* the manifest in Vite's shape (``build.manifest``, default ``.prebundle/manifest.json``).

The entries (``entries.py``) go through esbuild (``build_bundle.py``); the manifest comes from
its metafile (``manifest.py``); the deps from a production optimize (``build_deps.py``), decided
on a thread of its own while esbuild bundles the app: the two are independent (the app's bare
imports stay bare) until the deps are checked against the bundle's bare imports. The new
folder is staged beside ``out_dir`` and swapped in whole, so a failed build leaves the previous
one as it was, and a server never sees half of one.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..commit import OutputLock, commit_dir, make_temp_dir
from .build_bundle import AppBundle, bundle_app
from .build_deps import BUILD_CACHE, BuildDeps, BuildDepsRun
from .build_errors import AppBuildError
from .build_report import WrittenFile, written_files
from .entries import BuildEntry, build_entries
from .manifest import make_manifest, manifest_bytes

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import Service

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
    deps: BuildDeps
    """The production deps that ``<out_dir>/deps`` copies."""
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
        owned = (out_dir.name, f".{out_dir.name}{STAGING_SUFFIX}*")
        deps_run = BuildDepsRun(config, entries, beside=(out_dir.parent, owned), on_progress=on_progress)
        bundle = _beside(deps_run.prepare, lambda: bundle_app(config, entries, out_dir, service=service))
        deps = deps_run.finish(bundle.externals)
        for warning in bundle.warnings:
            log.warning("warning: %s", warning)
        manifest = make_manifest(bundle.outputs, root=config.root, out_dir=out_dir,
                                 entries={entry.key for entry in entries})
        files = {**bundle.files, config.build.manifest: manifest_bytes(manifest)}
        linked = _publish(files, deps.deps_dir, out_dir)
        deps_run.remember(linked)
    return AppBuildResult(out_dir, out_dir / config.build.manifest, manifest, written_files(files), deps, entries,
                          bundle.warnings, time.perf_counter() - started)


def _beside(prepare_deps: Callable[[], None], bundle: Callable[[], AppBundle]) -> AppBundle:
    """Run ``bundle`` with ``prepare_deps`` on a thread beside it (esbuild, and the deps' own
    builds and compression, run on the other cores meanwhile). The bundle's failure is the
    build's first: it is raised once the deps' step is done, whatever became of it. The thread
    ends with the process when the build is interrupted, as a killed run does (the next run
    recovers what it left)."""
    failed: list[BaseException] = []

    def prepare() -> None:
        try:
            prepare_deps()
        except BaseException as error:  # raised in the build's own thread, below
            failed.append(error)

    thread = threading.Thread(target=prepare, name="prebundle-build-deps", daemon=True)
    thread.start()
    try:
        built = bundle()
    except Exception:
        thread.join()
        raise
    thread.join()
    if failed:
        raise failed[0]
    return built


def _publish(files: dict[str, bytes], deps_dir: Path, out_dir: Path) -> list[str]:
    """Stage ``files`` and a copy of ``deps_dir`` beside ``out_dir``, then swap the stage in.
    Returns the files of ``deps_dir`` hard-linked (:func:`_link_or_copy`)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = make_temp_dir(out_dir.parent, f".{out_dir.name}{STAGING_SUFFIX}")
    linked: list[str] = []
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        shutil.copytree(deps_dir, staging / DEPS_FOLDER,
                        copy_function=lambda source, target: _link_or_copy(source, target, linked))
        commit_dir(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return linked


def _link_or_copy(source: str, target: str, linked: list[str]) -> None:
    """A hard link where the file system allows, else a copy: the deps dir's files are never
    changed in place (each optimize writes new files and swaps the folder), so the copy in
    ``out_dir`` stays as it is whatever later runs do to the cache."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    else:
        linked.append(source)


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
