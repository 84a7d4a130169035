"""Where the production build of the app's own code is: ``prebundle build`` writes
``<out_dir>/assets/`` (hashed modules, CSS, images), ``<out_dir>/deps/`` (a production deps dir)
and a manifest in Vite's shape at ``<out_dir>/<build.manifest>``. ``AppBuild`` names those
places and reads the manifest as a graph, re-reading it when it changes."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .graph import AssetsError, Graph
from .vite_manifest import load_vite_manifest

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["DEPS_FOLDER", "MANIFEST_PATHS", "AppBuild"]

DEPS_FOLDER = "deps"
"""The folder of the out dir that holds the production deps dir (served under ``base + "deps/"``)."""
MANIFEST_PATHS = (".prebundle/manifest.json", ".vite/manifest.json")
"""Where the manifest is looked for in an out dir when no path is given (``build.manifest``'s
default, then Vite's)."""


@dataclass(frozen=True)
class AppBuild:
    """One out dir of ``prebundle build``; the manifest may appear (or change) after this exists."""

    out_dir: Path
    """The build's folder (absolute); the manifest's ``file`` paths are relative to it."""
    manifest: Path
    """The manifest file (absolute)."""
    _cache: dict = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def of_project(cls, config: Config) -> AppBuild:
        """The build a project's config says ``prebundle build`` writes."""
        out_dir = (config.root / config.out_dir).resolve()
        return cls(out_dir, out_dir / config.build.manifest)

    @classmethod
    def at(cls, out_dir: str | os.PathLike[str], manifest: str | os.PathLike[str] | None = None) -> AppBuild:
        """The build in ``out_dir``; ``manifest`` is relative to it (default: the first of
        ``MANIFEST_PATHS`` that exists, else the first)."""
        folder = Path(out_dir).resolve()
        if manifest is None:
            manifest = next((p for p in MANIFEST_PATHS if (folder / p).is_file()), MANIFEST_PATHS[0])
        path = folder / manifest
        if not path.resolve().is_relative_to(folder):
            raise AssetsError(f"{manifest}: the build manifest must be inside {folder}; give a path relative to it")
        return cls(folder, path)

    @property
    def deps_dir(self) -> Path:
        return self.out_dir / DEPS_FOLDER

    def exists(self) -> bool:
        """True once the manifest is written (it is written last, so the build is complete)."""
        return self.manifest.is_file()

    def graph(self) -> Graph:
        """The manifest's graph; re-read when its mtime, size or inode changed."""
        try:
            st = self.manifest.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            raise AssetsError(f"{self.manifest}: no build of the app's code; run `prebundle build` in the frontend "
                              "folder (or start `prebundle daemon` for development)") from None
        with self._lock:
            if self._cache.get("stamp") != stamp or "graph" not in self._cache:
                self._cache["graph"] = load_vite_manifest(self.manifest, self.out_dir, kind="app")
                self._cache["stamp"] = stamp
            return self._cache["graph"]
