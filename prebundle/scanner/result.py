"""What a scan found: the bare imports of the app, the missing ones, the linked packages."""

from __future__ import annotations

import json

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MissingDependencyError
from ..specifiers import split_package

if TYPE_CHECKING:
    from ..errors import MissingDependencyError

__all__ = ["Dependency", "MissingImport", "ScanResult", "ScanStats", "missing_error", "result_from_tuple",
           "result_tuple"]


@dataclass(frozen=True, slots=True)
class Dependency:
    specifier: str
    """The bare specifier exactly as written (``react-dom/client``)."""
    src: Path | None
    """The resolved entry file (realpath), or None when the package has no JS entry."""
    package_name: str
    package_dir: Path
    version: str | None
    importers: tuple[str, ...]
    """Importing files, relative to the root, POSIX separators, sorted."""


@dataclass(frozen=True, slots=True)
class MissingImport:
    specifier: str
    importers: tuple[str, ...]
    """``file:line`` of every import of it, relative to the root, sorted."""
    reason: str
    """Why it did not resolve (``package "x" is not installed``, ``... does not export ...``)."""
    package: bool = True
    """Whether installing a package is the fix: it is not installed (False: it is, but has no
    file for this import; or a tsconfig ``paths`` alias that names no file)."""


@dataclass(frozen=True, slots=True)
class ScanStats:
    files: int
    """Source files crawled."""
    parsed: int
    """Files whose imports had to be extracted (not served by the scan cache)."""
    cached: int
    """Files served by the scan cache."""
    seconds: float


@dataclass(frozen=True, slots=True)
class ScanResult:
    root: Path
    entries: tuple[Path, ...]
    deps: Mapping[str, Dependency]
    """Bare imports resolved into ``node_modules``, by specifier, sorted."""
    missing: Mapping[str, MissingImport]
    linked: Mapping[str, Dependency]
    """Bare imports resolved outside ``node_modules``: crawled as source."""
    files: tuple[Path, ...]
    """Every source file crawled."""
    warnings: tuple[str, ...]
    stats: ScanStats
    excluded: Mapping[str, Dependency] = field(default_factory=dict)
    """Bare imports of packages that ``exclude`` names: served from their own files, which
    are crawled too (their bare imports count)."""

    def to_json(self) -> dict[str, Any]:
        """The ``prebundle scan --json`` object (CONTRACT.md)."""

        def dep(record: Dependency) -> dict[str, Any]:
            return {"src": str(record.src) if record.src else None, "importers": list(record.importers)}

        return {
            "deps": {spec: dep(record) for spec, record in self.deps.items()},
            "missing": {
                spec: {"src": None, "importers": list(record.importers), "reason": record.reason}
                for spec, record in self.missing.items()
            },
            "linked": {spec: dep(record) for spec, record in self.linked.items()},
        }


def missing_error(scan_result: ScanResult) -> MissingDependencyError:
    """One line per missing specifier: where it is imported, what is wrong, then what to do."""
    lines = []
    for spec, missing in scan_result.missing.items():
        first, others = missing.importers[0], missing.importers[1:]
        also = ""
        if others:
            also = f" (also imported by {', '.join(others[:3])}{', ...' if len(others) > 3 else ''})"
        lines.append(f"{first}: cannot resolve {spec!r}: {missing.reason}{also}")
    # Only packages that are not installed: reinstalling one that is would not help.
    names = sorted({split_package(spec)[0] for spec, missing in scan_result.missing.items() if missing.package})
    if names:
        lines.append(f"install the missing packages with: {install_command(scan_result.root)} {' '.join(names)}")
    return MissingDependencyError("\n".join(lines))


_INSTALLERS = (("pnpm-lock.yaml", "pnpm add"), ("yarn.lock", "yarn add"), ("bun.lock", "bun add"),
               ("bun.lockb", "bun add"), ("package-lock.json", "npm install"))
"""The lockfile each package manager writes, and its command that adds a package."""


def install_command(root: Path) -> str:
    """How the project adds a package: its ``package.json``'s ``packageManager``, else the
    lockfile nearest above ``root`` (a workspace's is at its top), else npm's."""
    try:
        with open(root / "package.json", encoding="utf-8") as handle:
            manager = json.load(handle).get("packageManager")
    except (OSError, ValueError, AttributeError):
        manager = None
    if isinstance(manager, str):
        name = manager.partition("@")[0]
        for _lockfile, command in _INSTALLERS:
            if command.split()[0] == name:
                return command
    for folder in (root, *root.parents):
        for lockfile, command in _INSTALLERS:
            if (folder / lockfile).is_file():
                return command
        if (folder / "package.json").is_file() and folder != root:
            break  # above the workspace: another project's
    return "npm install"


def result_tuple(result: ScanResult) -> tuple:
    """A scan result as plain tuples of str (the snapshot stores it so); the files are stored
    apart, with their stamps."""
    def deps(records: Mapping[str, Dependency]) -> tuple:
        return tuple((spec, None if d.src is None else str(d.src), d.package_name, str(d.package_dir),
                      d.version, d.importers) for spec, d in records.items())

    return (
        tuple(str(entry) for entry in result.entries),
        deps(result.deps),
        tuple((spec, m.importers, m.reason, m.package) for spec, m in result.missing.items()),
        deps(result.linked),
        result.warnings,
        deps(result.excluded),
    )


def result_from_tuple(data: tuple, root: Path, files: tuple[str, ...], parsed: int, seconds: float) -> ScanResult:
    """The ``ScanResult`` :func:`result_tuple` stored; ``parsed`` files were re-extracted."""
    entries, deps, missing, linked, warnings, excluded = data

    def dependencies(records: tuple) -> dict[str, Dependency]:
        return {spec: Dependency(spec, None if src is None else Path(src), name, Path(folder), version, importers)
                for spec, src, name, folder, version, importers in records}

    return ScanResult(
        root=root,
        entries=tuple(Path(entry) for entry in entries),
        deps=dependencies(deps),
        missing={spec: MissingImport(spec, importers, reason, package)
                 for spec, importers, reason, package in missing},
        linked=dependencies(linked),
        files=tuple(Path(path) for path in files),
        warnings=warnings,
        stats=ScanStats(files=len(files), parsed=parsed, cached=len(files) - parsed, seconds=seconds),
        excluded=dependencies(excluded),
    )
