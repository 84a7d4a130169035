"""Which installed packages reach the browser, by npm's name for where each is installed
(``node_modules/react``, ``node_modules/a/node_modules/b``): what ``outdated`` and ``audit`` keep
of npm's answers.

They are read from the deps dir, never guessed from ``package.json``: every package record of
``_metadata.json`` (the optimized ids' packages and the packages they import, which are
optimized too), the nested copies installed inside those (bundled into them), and the packages
the import map serves from their own files (``exclude``, linked packages).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..metadata import IMPORTMAP, METADATA, MetadataError, parse_importmap, read_metadata
from ..specifiers import split_package
from .npm import NPM_LOCKFILES, HealthError

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["BrowserPackage", "BrowserPackages", "browser_packages"]

MODULES = "node_modules"


@dataclass(frozen=True)
class BrowserPackage:
    """One installed package whose code the pages load."""

    name: str
    version: str | None
    location: str
    """Where npm says it is installed, relative to the project (``node_modules/react``)."""
    why: str
    """``optimized``, ``nested`` (bundled into the package that holds it) or ``own files``."""


@dataclass(frozen=True)
class BrowserPackages:
    """The packages of one deps dir, by location."""

    by_location: dict[str, BrowserPackage]

    def reaches(self, name: str, locations: list[str]) -> BrowserPackage | None:
        """The browser package ``name`` at one of npm's ``locations``, or None when none of them
        is one the pages load (another copy of the same name, a build tool's)."""
        for location in locations:
            package = self.by_location.get(location)
            if package is not None and package.name == name:
                return package
        return None

    def __len__(self) -> int:
        return len(self.by_location)


def browser_packages(config: Config, *, command: str = "audit") -> BrowserPackages:
    """The packages of ``config``'s deps dir; ``HealthError`` when nothing is pre-bundled yet."""
    deps_dir = config.deps_dir
    metadata = read_metadata(deps_dir)
    if metadata is None:
        raise HealthError(f"{deps_dir / METADATA}: nothing pre-bundled yet; run `prebundle` in {config.root} first, "
                          f"so `prebundle {command}` knows which packages reach the browser")
    root = config.root
    found: dict[str, BrowserPackage] = {}
    for folder, record in metadata.packages.items():
        location = _location(root, Path(os.path.normpath(deps_dir / folder)))
        if location is not None:
            found.setdefault(location, BrowserPackage(record.name, record.version, location, "optimized"))
    for location, name in _own_files(deps_dir).items():
        found.setdefault(location, BrowserPackage(name, _installed_version(root / location), location, "own files"))
    for location, (name, version) in _nested(root, found).items():
        found.setdefault(location, BrowserPackage(name, version, location, "nested"))
    return BrowserPackages(dict(sorted(found.items())))


def _location(root: Path, folder: Path) -> str | None:
    """npm's location of a package folder: its path from the project, or (a linked
    ``node_modules``, a workspace) from the first ``node_modules`` on its real path."""
    try:
        return folder.relative_to(root).as_posix()
    except ValueError:
        pass
    parts = folder.parts
    if MODULES in parts:
        return "/".join(parts[parts.index(MODULES):])
    return None


def _own_files(deps_dir: Path) -> dict[str, str]:
    """Packages the import map serves from their own files (``/node_modules/<name>/...``)."""
    try:
        importmap = parse_importmap((deps_dir / IMPORTMAP).read_bytes())
    except (OSError, MetadataError):
        return {}
    found = {}
    for url in importmap.imports.values():
        path = unquote(urlsplit(url).path)
        marker = f"/{MODULES}/"
        if path.startswith(marker) and not path.startswith(f"{marker}.vite/"):
            name, _ = split_package(path[len(marker):])
            found[f"{MODULES}/{name}"] = name
    return found


def _installed_version(folder: Path) -> str | None:
    try:
        version = json.loads((folder / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def _nested(root: Path, found: dict[str, BrowserPackage]) -> dict[str, tuple[str, str | None]]:
    """The lockfile's packages installed inside a browser package (``node_modules/a/node_modules/b``),
    which the bundle of ``a`` holds when it imports them."""
    records = _lockfile_packages(root)
    nested = {}
    prefixes = tuple(f"{location}/{MODULES}/" for location in found)
    for location, record in records.items():
        if location.startswith(prefixes) and location not in found and isinstance(record, dict) \
                and not record.get("dev"):
            name = record.get("name") or location.rsplit(f"{MODULES}/", 1)[-1]
            version = record.get("version")
            nested[location] = (str(name), version if isinstance(version, str) else None)
    return nested


def _lockfile_packages(root: Path) -> dict[str, object]:
    for name in NPM_LOCKFILES:
        try:
            data = json.loads((root / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        packages = data.get("packages") if isinstance(data, dict) else None
        if isinstance(packages, dict):
            return packages
    return {}
