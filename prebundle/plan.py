"""The plan: which ids to optimize, grouped by the package they belong to.

ids = discovered ∪ ``include`` − ``exclude``. ``exclude`` also covers an id's subpaths;
``include`` accepts ``a > b`` (``b`` as ``a`` sees it) and globs over a package's ``exports``
keys (``lodash-es/*.js``). Each package (name + resolved folder) is bundled on its own.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .errors import PrebundleError
from .flatten import flatten_id
from .resolve import ResolveError
from .specifiers import split_package

if TYPE_CHECKING:
    from .resolve import Resolver
    from .scanner import ScanResult

__all__ = ["Plan", "PlannedId", "PlannedPackage", "is_excluded", "make_plan", "plan_ids"]

log = logging.getLogger("prebundle.plan")


@dataclass(frozen=True, slots=True)
class PlannedId:
    id: str
    """The specifier pages import (``react-dom/client``), or ``a > b`` for a nested include."""
    src: Path
    """The entry file it resolves to."""
    package_name: str
    package_dir: Path
    version: str | None

    @property
    def flat(self) -> str:
        """Its output file stem (``react-dom_client``)."""
        return flatten_id(self.id)


@dataclass(frozen=True, slots=True)
class PlannedPackage:
    name: str
    dir: Path
    version: str | None
    ids: tuple[PlannedId, ...]
    """Sorted by id."""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


@dataclass(frozen=True)
class Plan:
    packages: tuple[PlannedPackage, ...]
    """Sorted by name, then folder."""
    ids: Mapping[str, PlannedId] = field(default_factory=dict)


def is_excluded(specifier: str, exclude: Iterable[str]) -> bool:
    """``exclude`` names an id and all its subpaths."""
    return any(specifier == x or specifier.startswith(x + "/") for x in exclude)


def plan_ids(ids: Iterable[PlannedId]) -> Plan:
    """Group ids by package (name + folder)."""
    groups: dict[tuple[str, Path], list[PlannedId]] = {}
    by_id: dict[str, PlannedId] = {}
    for planned in ids:
        by_id[planned.id] = planned
    for planned in by_id.values():
        groups.setdefault((planned.package_name, planned.package_dir), []).append(planned)
    packages = tuple(
        PlannedPackage(name, folder, members[0].version, tuple(sorted(members, key=lambda p: p.id)))
        for (name, folder), members in sorted(groups.items(), key=lambda item: (item[0][0], str(item[0][1])))
    )
    return Plan(packages=packages, ids=dict(sorted(by_id.items())))


def make_plan(config: Config, scan_result: ScanResult, resolver: Resolver) -> Plan:
    """The ids of a scan plus ``include``, minus ``exclude``, resolved and grouped."""
    planned: list[PlannedId] = []
    for spec, dep in scan_result.deps.items():
        if dep.src is not None and not is_excluded(spec, config.exclude):
            planned.append(PlannedId(spec, dep.src, dep.package_name, dep.package_dir, dep.version))
    known = {p.id for p in planned}
    for spec in _expand_includes(config, resolver):
        if spec in known or is_excluded(spec, config.exclude):
            continue
        resolved = resolve_include(spec, config, resolver)
        if resolved is not None:
            planned.append(resolved)
            known.add(spec)
    return plan_ids(planned)


def resolve_include(spec: str, config: Config, resolver: Resolver) -> PlannedId | None:
    """Resolve one include entry (``a > b`` walks from ``a``'s folder). Errors name the entry."""
    parts = [part.strip() for part in spec.split(">")]
    importer = config.root / "index.html"
    try:
        for outer in parts[:-1]:
            folder = resolver.find_package_dir(split_package(outer)[0], importer.parent)
            if folder is None:
                raise PrebundleError(f"include {spec!r}: package {outer!r} is not installed")
            importer = folder / "package.json"
        resolution = resolver.resolve(parts[-1], importer)
    except ResolveError as error:
        raise PrebundleError(f"include {spec!r}: {error}") from None
    if resolution.entry is None or resolution.kind != "js":
        log.warning("include %r: not a JavaScript module, skipped", spec)
        return None
    id_ = " > ".join(parts)
    return PlannedId(id_, resolution.entry, resolution.package_name, resolution.package_dir,
                     resolution.version)


def _expand_includes(config: Config, resolver: Resolver) -> list[str]:
    """``include`` with globs over ``exports`` keys expanded (``pkg/*`` -> every subpath)."""
    out: list[str] = []
    for spec in config.include:
        if not any(ch in spec for ch in "*?["):
            out.append(spec)
            continue
        name, pattern = split_package(spec)
        folder = resolver.find_package_dir(name, config.root)
        if folder is None:
            raise PrebundleError(f"include {spec!r}: package {name!r} is not installed")
        out.append(name)
        exports = resolver.package_json(folder).get("exports")
        keys = [key for key in exports if key.startswith("./")] if isinstance(exports, dict) else []
        if not keys:  # no exports map: glob the package's files
            keys = ["./" + p.relative_to(folder).as_posix() for p in folder.rglob("*")
                    if p.is_file() and "node_modules" not in p.relative_to(folder).parts]
        for key in sorted(keys):
            if "*" not in key and fnmatch.fnmatchcase(key, pattern) and exports_target_ok(exports, key):
                out.append(name + key[1:])
    return out


def exports_target_ok(exports: object, key: str) -> bool:
    """False for subpaths blocked with ``null``."""
    return not (isinstance(exports, dict) and exports.get(key, "") is None)
