"""Terminal output for the CLI: logging set-up, a progress bar that only shows for slow work,
and the scan summary. Everything here writes to stderr except the reports meant for stdout."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from .config import Config
    from .optimizer import OptimizeResult
    from .scanner import ScanResult

__all__ = ["DelayedProgress", "err_console", "out_console", "print_optimize", "print_scan", "setup_logging"]

out_console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

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
        self.enabled = enabled and err_console.is_terminal
        self.started = time.monotonic()
        self._progress: Progress | None = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            if time.monotonic() - self.started < self.delay:
                return
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=err_console, transient=True,
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
    for warning in result.warnings:
        err_console.print(f"[yellow]warning[/]: {warning}", markup=True, soft_wrap=True)
    if result.deps:
        table = Table(title=None, show_edge=False, header_style="bold")
        table.add_column("specifier")
        table.add_column("version")
        table.add_column("importers")
        for spec, dep in result.deps.items():
            table.add_row(spec, dep.version or "", _importers_cell(dep.importers))
        out_console.print(table)
    for spec, dep in result.linked.items():
        out_console.print(f"linked: {spec} -> {dep.package_dir} (crawled as source)")
    stats = result.stats
    out_console.print(
        f"{len(result.deps)} dependencies from {stats.files} files "
        f"({stats.parsed} parsed, {stats.cached} cached) in {stats.seconds * 1000:.0f} ms"
    )


def print_optimize(result: OptimizeResult, config: Config) -> None:
    """One summary line (and where the output is) after an optimize run."""
    where = _relative(result.deps_dir, config.root)
    if result.up_to_date:
        out_console.print(f"dependencies up to date ({len(result.ids)} ids in {where}); use --force to re-bundle")
        return
    size = result.bytes / 1024
    out_console.print(
        f"optimized {len(result.ids)} ids: {len(result.built)} packages built, {len(result.reused)} reused; "
        f"{result.files} files, {size:,.0f} kB in {where} ({result.seconds * 1000:.0f} ms)"
    )


def _relative(path, root) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
