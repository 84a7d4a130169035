"""Terminal output for the CLI: logging set-up, a progress bar that only shows for slow work,
and the summaries. Everything here writes to stderr except the reports meant for stdout.

rich is imported only when a table or a progress bar is drawn: a no-op ``prebundle`` run prints
one plain line and should not pay for it at start-up.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config
    from .inventory import Inventory
    from .optimizer import OptimizeResult
    from .scanner import ScanResult
    from .why import Answer

__all__ = ["DelayedProgress", "echo", "err_console", "not_in_browser", "optimize_summary", "out_console",
           "print_built", "print_inventory", "print_optimize", "print_scan", "print_why", "setup_logging",
           "shows_built_table"]


@lru_cache(maxsize=1)
def out_console():
    from rich.console import Console  # rich loads when something is printed, not for --json

    return Console(highlight=False)


@lru_cache(maxsize=1)
def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def echo(message: str, *, err: bool = False) -> None:
    """One plain line (no markup), to stdout or stderr, as ``click.echo`` writes it (style codes
    stripped when the stream is not a terminal), without loading click: ``prebundle build``
    runs without it. A stream click would re-encode (an ASCII one) goes through click."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if _ascii_stream(stream):
        import click

        click.echo(message, err=err)
        return
    line = message + "\n"
    if "\033" in line and not _isatty(stream):
        import re

        line = re.sub(r"\033\[[0-?]*[ -/]*[@-~]", "", line)  # click's strip_ansi
    stream.write(line)
    stream.flush()


def _ascii_stream(stream: object) -> bool:
    """Whether click takes ``stream`` for misconfigured (an ASCII encoding) and writes UTF-8 past it."""
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def _isatty(stream: object) -> bool:
    try:
        return stream.isatty()
    except Exception:  # noqa: BLE001 - as click asks it: any failure is "not a terminal"
        return False

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR, "silent": logging.CRITICAL + 1}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes: while a progress bar shows, that
    is the bar's proxy, which prints the line above the bar instead of through it."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(level: str) -> None:
    """Send the ``prebundle`` loggers to stderr, one plain line per record."""
    logger = logging.getLogger("prebundle")
    logger.setLevel(_LEVELS.get(level, logging.INFO))
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class DelayedProgress:
    """A progress bar (``label``, a bar, ``done/total``, elapsed time) on a terminal's stderr that
    appears once work has taken longer than ``delay`` seconds, even while no progress is reported
    (a long build of one group), and goes away when the work ends. ``__call__`` may come from
    any thread."""

    def __init__(self, label: str, *, delay: float = 0.5, enabled: bool = True) -> None:
        self.label = label
        self.delay = delay
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self._progress = None  # a rich Progress once shown
        self._task = None
        self._last: tuple[int, int] | None = None
        """The last ``(done, total)`` reported."""
        self._timer: threading.Timer | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._closed:
                return
            self._last = (done, total)
            if self._progress is None:
                waited = time.monotonic() - self.started
                if waited < self.delay:
                    if self._timer is None:  # shows the bar on time even if nothing is reported until then
                        self._timer = threading.Timer(self.delay - waited, self._appear)
                        self._timer.daemon = True
                        self._timer.start()
                    return
                self._show()
            self._update()

    def _appear(self) -> None:
        with self._lock:
            if self._progress is None and not self._closed:
                self._show()
                self._update()

    def _show(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err_console(), transient=True,
        )
        done, total = self._last
        self._task = self._progress.add_task(self.label, total=max(total, done), completed=done)
        self._progress.start()

    def _update(self) -> None:
        done, total = self._last
        self._progress.update(self._task, completed=done, total=max(total, done))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
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


def shows_built_table(config: Config) -> bool:
    """Whether a command's run is followed by the table of the packages it built (with their
    gzip sizes: such a run learns them as it writes its output)."""
    return config.log_level in ("debug", "info")


def print_optimize(result: OptimizeResult, config: Config) -> None:
    """After an optimize run: the packages it built (at ``info`` and ``debug``), then one
    summary line saying where the output is."""
    if result.built and shows_built_table(config):
        print_built(result, config)
    if result.cache is not None and config.log_level in ("debug", "info"):
        from .cache_stats import CacheStats, describe_cache_stats

        stats = CacheStats.from_json(result.cache)
        if stats is not None and (stats.remote is not None or stats.local_hits or stats.local_misses):
            echo(describe_cache_stats(stats))
    echo(optimize_summary(result, config))


def print_built(result: OptimizeResult, config: Config) -> None:
    """The packages a run built, as Vite lists a build's files: name, version, the files pages
    load, their size raw and gzipped, and the package's esbuild time."""
    if result.built_sizes is not None:  # learned as the run wrote its output
        sizes = [(row["name"], row["version"], row["files"], row["size"], row["gzip"], row["label"])
                 for row in result.built_sizes]
    else:
        sizes = _measured_sizes(result, config)
        if sizes is None:
            return
    rows = [[name, version or "", str(files), _kb(size), _kb(packed), _ms(result.build_ms.get(label))]
            for name, version, files, size, packed, label in sorted(sizes, key=lambda row: (row[0], row[1] or ""))]
    _table(["package", "version", "files", "size", "gzip", "time"], rows, right=(2, 3, 4, 5))


def _measured_sizes(result: OptimizeResult, config: Config) -> list[tuple[str, str | None, int, int, int, str]] | None:
    """Name, version, files pages load, size, gzip size and label of each package ``result``
    built, from its files in the deps dir (a run that did not learn them as it wrote them);
    None when the deps dir's metadata cannot be read."""
    # Loaded here: a scan and a run that built nothing should not pay for the metadata's classes.
    from .inventory_sizes import SizeCache, is_loaded, loaded_sizes, total
    from .metadata import read_metadata

    metadata = read_metadata(result.deps_dir)
    if metadata is None:
        return None
    cache = SizeCache(config.cache_dir)
    built = [record for record in metadata.packages.values() if record.label in result.built]
    cache.measure(result.deps_dir / name for record in built for name in record.files if is_loaded(name))
    sizes = []
    for record in built:
        loaded = loaded_sizes(result.deps_dir, sorted(record.files), record.files, cache)
        size = total(loaded.values())
        sizes.append((record.name, record.version, len(loaded), size.size, size.gzip, record.label))
    cache.save()  # `prebundle ls` compresses none of these again
    return sizes


def print_inventory(inventory: Inventory) -> None:
    """``prebundle ls``: one row per optimized package, the packages served from their own
    files, and the totals."""
    rows = []
    for package in inventory.packages:
        size = package.size
        status = package.status or "-"
        if package.status == "built" and package.build_ms is not None:
            status = f"built {_ms(package.build_ms)}"
        rows.append([package.name, package.version or "", _importers_cell(package.ids), str(len(package.files)),
                     _kb(size.size), _kb(size.gzip), status])
    _table(["package", "version", "ids", "files", "size", "gzip", "status"], rows, right=(3, 4, 5))
    for item in inventory.served_as_is:
        echo(f"{item.kind}: {item.id} (served from its own files)")
    totals = inventory.totals()
    echo(f"{totals['packages']} packages, {totals['ids']} ids, {totals['files']} files: {_kb(totals['size'])} "
         f"(gzip {_kb(totals['gzip'])}) in {_relative(inventory.deps_dir, inventory.root)}")


def print_why(answer: Answer) -> None:
    """``prebundle why``: each shortest chain that brings the package in, and who else imports it."""
    versions = sorted({p.version for p in answer.packages if p.version})
    name = f"{answer.asked} {', '.join(versions)}" if versions else answer.asked
    if answer.chains:
        plural = "s" if answer.count != 1 else ""
        echo(f"{name} reaches the browser through {answer.count} import chain{plural}:")
        for chain in answer.chains:
            echo("  " + " → ".join(chain))
        if answer.count > len(answer.chains):
            echo(f"  ... and {answer.count - len(answer.chains)} more")
    elif answer.included:
        echo(f"{name} is optimized because `include` asks for it (or for a package that imports it); "
             "nothing the app loads imports it")
    for id_ in answer.served_as_is:
        echo(f"{id_} is served from its own files (excluded or linked), not bundled")
    importers = sorted({importer for p in answer.packages for importer in p.importers.packages})
    if importers:
        echo(f"imported by packages: {', '.join(importers)}")


def not_in_browser(answer: Answer) -> str:
    """The one line ``prebundle why`` says of a package that does not reach the browser."""
    if answer.installed is None:
        return f"{answer.asked} does not reach the browser: it is not installed"
    version = f" {answer.installed}" if answer.installed else ""
    return (f"{answer.asked} does not reach the browser: it is installed ({answer.asked}{version}) but nothing "
            "the app loads imports it")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> None:
    """A table on stdout: drawn by rich on a terminal, plain aligned columns otherwise (logs,
    pipes), so the columns can be read by a script too."""
    if sys.stdout.isatty():
        from rich.table import Table

        table = Table(title=None, show_edge=False, header_style="bold")
        for index, header in enumerate(headers):
            table.add_column(header, justify="right" if index in right else "left",
                             style="cyan" if index == 0 else None)
        for row in rows:
            table.add_row(*row)
        out_console().print(table)
        return
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    for row in (headers, *rows):
        cells = [cell.rjust(width) if index in right else cell.ljust(width)
                 for index, (cell, width) in enumerate(zip(row, widths))]
        echo("  ".join(cells).rstrip())


def _kb(size: int) -> str:
    return f"{size / 1024:,.2f} kB"


def _ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:,.1f} s"


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
