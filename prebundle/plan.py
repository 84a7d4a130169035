"""The plan: which ids to optimize, grouped by the package they belong to.

ids = discovered ∪ ``include`` − ``exclude`` (``include`` − ``exclude`` with ``no_discovery``).
``exclude`` also covers an id's subpaths; ``include`` accepts ``a > b`` (``b`` as ``a`` sees it)
and globs over the subpaths a package offers (``lodash-es/*.js``, ``pkg/sub/*``). Each package
(name + resolved folder) is bundled on its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import PrebundleError
from .filetypes import read_text
from .flatten import flatten_id
from .resolve import ResolveError
from .scanner.globs import compile_glob, expand_braces, walk_files
from .specifiers import split_package

if TYPE_CHECKING:
    from .resolve import Resolver
    from .scanner import ScanResult

__all__ = ["Plan", "PlannedId", "PlannedPackage", "is_excluded", "make_plan", "plan_ids", "plugins_make_code"]

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
    """The ids of a scan plus ``include``, minus ``exclude``, resolved and grouped. With
    ``no_discovery`` the scan's ids count only where ``include`` names them; a warning names
    the others, which get no bundle and no import-map entry."""
    includes = _expand_includes(config, resolver)
    included = {spec for spec, _ in includes}
    planned: list[PlannedId] = []
    left_out: list[str] = []
    for spec, dep in scan_result.deps.items():
        if dep.src is None or is_excluded(spec, config.exclude):
            continue
        if config.no_discovery and spec not in included:
            left_out.append(spec)
            continue
        planned.append(PlannedId(spec, dep.src, dep.package_name, dep.package_dir, dep.version))
    if left_out:
        log.warning("warning: %s", _left_out_warning(sorted(left_out)))
    known = {p.id for p in planned}
    for spec, from_glob in includes:
        if spec in known or is_excluded(spec, config.exclude):
            continue
        resolved = resolve_include(spec, config, resolver, from_glob=from_glob)
        if resolved is not None:
            planned.append(resolved)
            known.add(spec)
    return plan_ids(planned)


def _left_out_warning(specifiers: list[str]) -> str:
    """One line for the app's bare imports that ``no_discovery`` leaves out of the plan."""
    shown = ", ".join(specifiers[:5]) + (f" and {len(specifiers) - 5} more" if len(specifiers) > 5 else "")
    return (f"no_discovery is set and the app imports {shown}, which include does not name: not "
            "pre-bundled and not in the import map (add them to include to pre-bundle them, or to "
            "exclude to serve their own files)")


def resolve_include(spec: str, config: Config, resolver: Resolver, *, from_glob: bool = False) -> PlannedId | None:
    """Resolve one include entry (``a > b`` walks from ``a``'s folder). Errors name the entry.
    An id a glob expanded to that does not resolve to JavaScript (``pkg/package.json``, a
    subpath this browser build does not offer) is left out quietly: the glob asked for many."""
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
        if from_glob:
            log.debug("include %r: %s", spec, error)
            return None
        raise PrebundleError(f"include {spec!r}: {error}") from None
    if resolution.entry is None or not (resolution.kind == "js" or plugins_make_code(config, resolution.entry)):
        (log.debug if from_glob else log.warning)("include %r: not a JavaScript module, skipped", spec)
        return None
    id_ = " > ".join(parts)
    return PlannedId(id_, resolution.entry, resolution.package_name, resolution.package_dir,
                     resolution.version)


def plugins_make_code(config: Config, entry: Path) -> bool:
    """Whether the plugins' ``load``/``transform`` turn ``entry``, a file that is not JavaScript
    (``index.notjs``, ``.vue``, ``.mdx``), into code: a package with such an entry is bundled
    through them, as Vite bundles it through its plugins. CSS and JSON entries never are."""
    if entry.suffix.lower() in (".css", ".json"):
        return False
    plugins = config.plugins_for("load", "transform")
    if plugins is None:
        return False
    return plugins.load_and_transform([str(entry)], read_text).get(str(entry)) is not None


def _expand_includes(config: Config, resolver: Resolver) -> list[tuple[str, bool]]:
    """``include`` with its globs expanded (:func:`expand_include_glob`): ``(id, from a glob)``."""
    out: list[tuple[str, bool]] = []
    for spec in config.include:
        if any(ch in spec for ch in "*?{"):
            name, *subpaths = expand_include_glob(spec, config.root, resolver)
            out.append((name, False))
            out.extend((subpath, True) for subpath in subpaths)
        else:
            out.append((spec, False))
    return out


def expand_include_glob(spec: str, root: Path, resolver: Resolver) -> list[str]:
    """The ids an ``include`` glob stands for, as Vite (since 4.4) expands them: the package
    itself, then each subpath its ``exports`` offers (a pattern key such as ``"./*"`` offers one
    per file its target matches) or, without ``exports``, each of its files, that the glob
    matches. ``*`` stays within a folder, ``**`` spans folders, ``{a,b}`` is either."""
    name, pattern = split_package(spec)
    folder = resolver.find_package_dir(name, root)
    if folder is None:
        raise PrebundleError(f"include {spec!r}: package {name!r} is not installed")
    regexes = [compile_glob(part) for part in expand_braces(pattern.removeprefix("./"))]
    matched = [f"{name}/{subpath}" for subpath in _offered_subpaths(folder, resolver.package_json(folder))
               if any(regex.match(subpath) for regex in regexes)]
    if not matched:
        log.warning("include %r: matches no subpath of %s", spec, name)
    return [name, *matched]


def _offered_subpaths(folder: Path, package_json: Mapping[str, Any]) -> list[str]:
    """Subpaths (without ``./``) that importers may ask ``folder``'s package for."""
    exports = package_json.get("exports")
    files = sorted(walk_files(folder))  # node_modules and dot-folders are skipped
    if exports is None:
        return files
    if not isinstance(exports, dict):
        return []  # one entry (a string or a list of fallbacks): only the package itself
    subpaths: set[str] = set()
    for key, target in exports.items():
        if not key.startswith("./"):
            continue
        if "*" not in key:
            if target is not None:  # null blocks the subpath
                subpaths.add(key[2:])
            continue
        first = _first_string(target)
        if first is None:
            continue
        # "./dist/*.js" -> dist/(.*)\.js ; a target may repeat its "*", each time the same text
        target_regex = re.compile("(.*)".join(re.escape(part) for part in first.removeprefix("./").split("*")) + r"\Z")
        for file in files:
            found = target_regex.match(file)
            if found and len(set(found.groups())) == 1:
                subpaths.add(key[2:].replace("*", found.group(1), 1))
    return sorted(subpaths)


def _first_string(target: Any) -> str | None:
    """The first file an exports target names, over its conditions and fallbacks in order
    (Vite assumes every condition maps to the same set of files)."""
    if isinstance(target, str):
        return target
    values = target.values() if isinstance(target, dict) else target if isinstance(target, list) else ()
    for value in values:
        found = _first_string(value)
        if found is not None:
            return found
    return None


def exports_target_ok(exports: object, key: str) -> bool:
    """False for subpaths blocked with ``null``."""
    return not (isinstance(exports, dict) and exports.get(key, "") is None)
