"""``prebundle outdated``: ``npm outdated --json --all`` for the packages that reach the browser."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .browser import BrowserPackages, browser_packages
from .npm import HealthError, run_npm

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["OutdatedPackage", "OutdatedReport", "outdated", "parse_outdated"]


@dataclass(frozen=True)
class OutdatedPackage:
    """One browser package npm calls outdated."""

    name: str
    current: str | None
    """The installed version (None: not installed)."""
    wanted: str | None
    """The newest version ``package.json``'s range allows."""
    latest: str | None
    """The registry's ``latest``."""
    location: str
    """Where it is installed (``node_modules/react``)."""
    dependent: str | None
    """The package (or project) that depends on it."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OutdatedReport:
    packages: tuple[OutdatedPackage, ...]
    """The outdated browser packages, by name."""
    browser_packages: int
    """How many packages reach the browser (outdated or not)."""

    def to_json(self) -> dict[str, Any]:
        return {"outdated": [p.to_json() for p in self.packages], "browserPackages": self.browser_packages}


def outdated(config: Config) -> OutdatedReport:
    """Ask npm which packages are outdated and keep those the pages load."""
    browser = browser_packages(config, command="outdated")
    if not (config.root / "package.json").is_file():
        raise HealthError(f"{config.root}: no package.json for `npm outdated`; run prebundle outdated in the "
                          "frontend folder")
    data = run_npm(config.root, "outdated", "--json", "--all")
    return parse_outdated(data, config.root, browser)


def parse_outdated(data: Any, root: Path, browser: BrowserPackages) -> OutdatedReport:
    """The browser packages of ``npm outdated --json --all``'s answer: one record per package, or
    a list of them, one per copy installed or (npm 11) per package that depends on the same
    copy; a copy is one row, named with its first dependent."""
    if not isinstance(data, dict):
        raise HealthError(f"`npm outdated --json` answered something else than an object in {root}")
    found: dict[tuple[str, str], OutdatedPackage] = {}
    for name, value in data.items():
        for record in value if isinstance(value, list) else [value]:
            if not isinstance(record, dict):
                continue
            location = _relative(root, record.get("location"))
            if location is None or (name, location) in found or browser.reaches(name, [location]) is None:
                continue
            found[name, location] = OutdatedPackage(name, _text(record.get("current")), _text(record.get("wanted")),
                                                    _text(record.get("latest")), location,
                                                    _text(record.get("dependent")))
    return OutdatedReport(tuple(sorted(found.values(), key=lambda p: (p.name, p.location))), len(browser))


def _relative(root: Path, location: Any) -> str | None:
    """npm's ``location`` (an absolute folder) as a location relative to the project."""
    if not isinstance(location, str) or not location:
        return None
    path = Path(location)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
