"""``prebundle audit``: ``npm audit --json`` (npm's current bulk advisory endpoint) for the packages
that reach the browser, and whether an advisory at or above a severity affects one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .browser import BrowserPackages, browser_packages
from .npm import HealthError, require_lockfile, run_npm

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["DEFAULT_FAIL_ON", "SEVERITIES", "Advisory", "AuditReport", "audit", "parse_audit", "read_report"]

SEVERITIES = ("info", "low", "moderate", "high", "critical")
"""npm's severities, mildest first."""
DEFAULT_FAIL_ON = "high"
"""``prebundle audit`` exits 1 for an advisory of this severity or worse."""


@dataclass(frozen=True)
class Advisory:
    """One advisory on one browser package."""

    name: str
    version: str | None
    """The installed version the pages load."""
    location: str
    severity: str
    title: str
    url: str
    vulnerable: str
    """The versions it affects (``<4.17.21``)."""
    fix: str
    """What npm says fixes it: ``npm audit fix``, an upgrade (``npm audit fix --force (x@2.0.0,
    semver-major)``), or ``no fix``."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "location": self.location, "severity": self.severity,
                "title": self.title, "url": self.url, "vulnerableVersions": self.vulnerable, "fix": self.fix}


@dataclass(frozen=True)
class AuditReport:
    advisories: tuple[Advisory, ...]
    """The advisories on browser packages, worst first."""
    elsewhere: tuple[str, ...]
    """Packages npm reports that the pages never load (build tools, test tools), by name."""
    browser_packages: int
    """How many packages reach the browser."""

    def counts(self) -> dict[str, int]:
        return {severity: sum(1 for a in self.advisories if a.severity == severity) for severity in SEVERITIES}

    def fails(self, fail_on: str) -> bool:
        """True when an advisory of ``fail_on`` or worse affects a browser package (``none``: never)."""
        if fail_on == "none":
            return False
        floor = SEVERITIES.index(fail_on)
        return any(_rank(a.severity) >= floor for a in self.advisories)

    def to_json(self, fail_on: str = DEFAULT_FAIL_ON) -> dict[str, Any]:
        return {"advisories": [a.to_json() for a in self.advisories], "counts": self.counts(),
                "failOn": fail_on, "failed": self.fails(fail_on), "browserPackages": self.browser_packages,
                "notInBrowser": list(self.elsewhere)}


def audit(config: Config, *, report: str | Path | None = None) -> AuditReport:
    """Ask npm for the advisories of the project's lockfile (or read ``report``, the output of
    ``npm audit --json`` saved earlier) and keep those on packages the pages load."""
    browser = browser_packages(config, command="audit")
    if report is not None:
        data = read_report(Path(report))
    else:
        require_lockfile(config.root, "audit")
        data = run_npm(config.root, "audit", "--json")
    return parse_audit(data, browser)


def read_report(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HealthError(f"{path}: cannot read the report ({error.strerror or error}); save it with "
                          "`npm audit --json > <file>`") from None
    except ValueError as error:
        raise HealthError(f"{path}: not the JSON `npm audit --json` writes ({str(error).splitlines()[0]})") from None


def parse_audit(data: Any, browser: BrowserPackages) -> AuditReport:
    """The advisories of an ``npm audit --json`` answer (report version 2, npm 7 and later) on
    the browser packages. An entry whose ``via`` names another package is that package's
    advisory: it is listed on its own entry, when the pages load it."""
    vulnerabilities = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(vulnerabilities, dict):
        raise HealthError("the audit report has no \"vulnerabilities\" object: it must be the JSON of "
                          "`npm audit --json` from npm 7 or later")
    found: list[Advisory] = []
    elsewhere: list[str] = []
    for name, entry in vulnerabilities.items():
        if not isinstance(entry, dict):
            continue
        nodes = [n for n in entry.get("nodes", []) if isinstance(n, str)]
        package = browser.reaches(name, nodes)
        own = [via for via in entry.get("via", []) if isinstance(via, dict)]
        if package is None:
            if own:
                elsewhere.append(name)
            continue
        fix = _fix(entry.get("fixAvailable"))
        for via in own:
            found.append(Advisory(name, package.version, package.location, str(via.get("severity", "info")),
                                  str(via.get("title", "")), str(via.get("url", "")), str(via.get("range", "")), fix))
    found.sort(key=lambda a: (-_rank(a.severity), a.name, a.url))
    return AuditReport(tuple(found), tuple(sorted(elsewhere)), len(browser))


def _fix(value: Any) -> str:
    if value is True:
        return "npm audit fix"
    if isinstance(value, dict) and value.get("name"):
        target = f"{value['name']}@{value.get('version', '')}"
        return f"npm audit fix --force ({target}, semver-major)" if value.get("isSemVerMajor") else target
    return "no fix"


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
