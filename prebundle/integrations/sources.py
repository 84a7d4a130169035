"""Where an ``Assets`` reads from: what each of its constructors works out from its arguments
(a project root and its config, a deps dir, the output of ``prebundle build``, a Vite manifest)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import load_config
from .app_build import AppBuild
from .graph import AssetsError
from .vite_manifest import find_out_dir

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["DEFAULT_BASE", "Source", "build_source", "checked_mode", "deps_dir_source", "project_source",
           "vite_manifest_source"]

DEFAULT_BASE = "/node_modules/.vite/deps/"
"""The URL path of the deps when nothing says otherwise (the config's default ``base``)."""


@dataclass(frozen=True)
class Source:
    """Where an ``Assets`` reads its graph from: what one of the constructors worked out."""

    deps_dir: Path
    """The folder the files are served from (a deps dir, or a Vite build's out dir)."""
    root: Path | None = None
    """The frontend project's folder, when known (for ``node_modules`` and the plugins)."""
    config: Config | None = None
    """The project's config, when ``Assets`` was built from the project root."""
    vite_manifest: Path | None = None
    """A ``vite build`` manifest read instead of the deps dir's files."""
    config_base: str = DEFAULT_BASE
    """The URL path the daemon serves the files under (the config's ``base``)."""
    build: AppBuild | None = None
    """The production build of the app's own code (``prebundle build``'s out dir), when known."""
    build_only: bool = False
    """True for ``Assets.for_build``: the build is all there is (no daemon, no other deps dir)."""


def checked_mode(mode: str | None) -> str | None:
    """``mode`` as stored (``"auto"`` is None), or ``AssetsError`` for an unknown one."""
    if mode not in (None, "auto", "development", "production"):
        raise AssetsError(f"mode must be 'development', 'production' or None, not {mode!r}")
    return None if mode == "auto" else mode


def project_source(root: str | os.PathLike[str]) -> Source:
    """A project: its config gives the deps dir, the base and where ``prebundle build`` writes."""
    config = load_config(root)
    return Source(Path(config.deps_dir).resolve(), config.root, config, None, config.base,
                  build=AppBuild.of_project(config))


def deps_dir_source(deps_dir: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> Source:
    """A deps dir as it is, without a config."""
    return Source(Path(deps_dir).resolve(), Path(root).resolve() if root is not None else None)


def build_source(out_dir: str | os.PathLike[str], root: str | os.PathLike[str] | None,
                 manifest: str | os.PathLike[str] | None = None) -> Source:
    """A ``prebundle build`` output as it is; its files default to ``/<folder name>/``."""
    build = AppBuild.at(out_dir, manifest)
    return Source(build.deps_dir, Path(root).resolve() if root is not None else None,
                  config_base="/" + build.out_dir.name + "/", build=build, build_only=True)


def vite_manifest_source(manifest: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> Source:
    """A ``vite build`` manifest; its files are served from the out dir it names."""
    path = Path(manifest).resolve()
    return Source(find_out_dir(path).resolve(), Path(root).resolve() if root is not None else None,
                  vite_manifest=path)
