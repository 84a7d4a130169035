"""Terminal output for the CLI: logging set-up, a progress bar that only shows for slow work,
and the summaries. Everything here writes to stderr except the reports meant for stdout.

rich is imported only when a table or a progress bar is drawn: a no-op ``prebundle`` run prints
one plain line and should not pay for it at start-up.
"""

from __future__ import annotations

import logging
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .config import Config
    from .optimizer import OptimizeResult
    from .scanner import ScanResult

__all__ = ["DelayedProgress", "echo", "err_console", "optimize_summary", "out_console", "print_optimize",
           "print_scan", "setup_logging"]


@lru_cache(maxsize=1)
def out_console():
    from rich.console import Console  # rich loads when something is printed, not for --json

    return Console(highlight=False)


@lru_cache(maxsize=1)
def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def echo(message: str, *, err: bool = False) -> None:
    """One plain line (no markup), to stdout or stderr."""
    click.echo(message, err=err)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR, "silent": logging.CRITICAL + 1}


def setup_logging(level: str) -> None:
    """Send the ``prebundle`` loggers to stderr, one plain line per record."""
    logger = logging.getLogger("prebundle")
    logger.setLevel(_LEVELS.get(level, logging.INFO))
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class DelayedProgress:
    """A progress bar that appears only once work has taken longer than ``delay`` seconds."""

    def __init__(self, label: str, *, delay: float = 0.5, enabled: bool = True) -> None:
        self.label = label
        self.delay = delay
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self._progress = None  # a rich Progress once shown
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            if time.monotonic() - self.started < self.delay:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=err_console(), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=total)
        self._progress.update(self._task, completed=done, total=max(total, done))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _importers_cell(importers: tuple[str, ...], limit: int = 2) -> str:
    shown = ", ".join(importers[:limit])
    more = len(importers) - limit
    return f"{shown} (+{more} more)" if more > 0 else shown


def print_scan(result: ScanResult) -> None:
    """The human summary of a scan: a table of deps, then linked, missing and warnings."""
    from rich.table import Table

    for warning in result.warnings:
        err_console().print(f"[yellow]warning[/]: {warning}", markup=True, soft_wrap=True)
    if result.deps:
        table = Table(title=None, show_edge=False, header_style="bold")
        table.add_column("specifier")
        table.add_column("version")
        table.add_column("importers")
        for spec, dep in result.deps.items():
            table.add_row(spec, dep.version or "", _importers_cell(dep.importers))
        out_console().print(table)
    for spec, dep in result.linked.items():
        echo(f"linked: {spec} -> {dep.package_dir} (crawled as source)")
    stats = result.stats
    echo(
        f"{len(result.deps)} dependencies from {stats.files} files "
        f"({stats.parsed} parsed, {stats.cached} cached) in {stats.seconds * 1000:.0f} ms"
    )


def print_optimize(result: OptimizeResult, config: Config) -> None:
    """One summary line (and where the output is) after an optimize run."""
    echo(optimize_summary(result, config))


def optimize_summary(result: OptimizeResult, config: Config) -> str:
    """The line ``print_optimize`` prints (the CLI's fast path repeats it as it is)."""
    where = _relative(result.deps_dir, config.root)
    if result.up_to_date:
        return f"dependencies up to date ({len(result.ids)} ids in {where}); use --force to re-bundle"
    size = result.bytes / 1024
    return (
        f"optimized {len(result.ids)} ids: {len(result.built)} packages built, {len(result.reused)} reused; "
        f"{result.files} files, {size:,.0f} kB in {where} ({result.seconds * 1000:.0f} ms)"
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
