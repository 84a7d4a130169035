"""The terminal reports of ``prebundle outdated`` and ``prebundle audit`` (rich tables on stdout)."""

from __future__ import annotations

from ..console import echo, out_console
from .audit import AuditReport
from .outdated import OutdatedReport

__all__ = ["print_audit", "print_outdated"]

SEVERITY_STYLES = {"critical": "bold red", "high": "red", "moderate": "yellow", "low": "cyan", "info": ""}
PIPED_WIDTH = 200
"""Columns of a table written to a pipe or file (a CI log): wide enough that titles and URLs stay whole."""


def _print(table: object) -> None:
    console = out_console()
    if not console.is_terminal:
        from rich.console import Console  # rich loads when something is printed

        console = Console(highlight=False, width=max(console.width, PIPED_WIDTH))
    console.print(table)


def print_outdated(report: OutdatedReport) -> None:
    from rich.table import Table  # rich loads when something is printed

    if report.packages:
        table = Table(show_edge=False, header_style="bold")
        for column in ("package", "current", "wanted", "latest", "location"):
            table.add_column(column)
        for p in report.packages:
            behind = p.current != p.wanted
            table.add_row(p.name, f"[yellow]{p.current}[/]" if behind else (p.current or "missing"),
                          p.wanted or "", p.latest or "", p.location)
        _print(table)
    echo(f"{len(report.packages)} of {report.browser_packages} packages that reach the browser are outdated")


def print_audit(report: AuditReport, fail_on: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    if report.advisories:
        table = Table(show_edge=False, header_style="bold", show_lines=False)
        for column in ("package", "severity", "title", "advisory", "fix"):
            table.add_column(column, overflow="fold")
        for a in report.advisories:
            style = SEVERITY_STYLES.get(a.severity, "")
            severity = f"[{style}]{a.severity}[/]" if style else a.severity
            table.add_row(escape(f"{a.name}@{a.version or '?'}"), severity, escape(a.title), escape(a.url),
                          escape(a.fix))
        _print(table)
    counts = ", ".join(f"{n} {severity}" for severity, n in reversed(report.counts().items()) if n)
    count = len(report.advisories)
    echo(f"{count} {'advisory' if count == 1 else 'advisories'} on the {report.browser_packages} packages that "
         "reach the browser"
         + (f" ({counts})" if counts else ""))
    if report.elsewhere:
        echo(f"not in the browser, left out: {', '.join(report.elsewhere)} (npm audit lists them)")
    if report.fails(fail_on):
        echo(f"failing: an advisory of {fail_on} severity or worse affects a package the pages load", err=True)
