"""The health of the packages that reach the browser: ``outdated`` and ``audit`` ask the user's
npm (``npm outdated --json --all``, ``npm audit --json``) and keep only the packages the deps dir
holds (the optimized ids' packages, the packages they import, the nested copies bundled into
them, and the packages served from their own files), so a vulnerable build tool does not fail
the build of a page that never loads it.

    report = prebundle.health.audit(prebundle.load_config("."))
    report.fails("high")        # an advisory of high or critical severity affects a browser package
"""

from __future__ import annotations

from .audit import SEVERITIES, Advisory, AuditReport, audit, parse_audit
from .browser import BrowserPackage, BrowserPackages, browser_packages
from .npm import HealthError
from .outdated import OutdatedPackage, OutdatedReport, outdated, parse_outdated

__all__ = ["SEVERITIES", "Advisory", "AuditReport", "BrowserPackage", "BrowserPackages", "HealthError",
           "OutdatedPackage", "OutdatedReport", "audit", "browser_packages", "outdated", "parse_audit",
           "parse_outdated"]
