"""``prebundle report``: the dashboard as one HTML file, written without a daemon.

It reads what is on disk (the deps dir and the last scan, through the inventory), so it shows
the last run of whichever driver made it: the CLI's or a daemon's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..commit import atomic_write
from .data import dashboard_data
from .page import report_page

if TYPE_CHECKING:
    from pathlib import Path

    from ..config import Config

__all__ = ["REPORT_NAME", "report_path", "write_report"]

REPORT_NAME = "prebundle-report.html"
"""The report's file name in the cache dir when no output is given."""


def report_path(config: Config, output: Path | None = None) -> Path:
    """Where the report goes: ``output``, else ``REPORT_NAME`` in the cache dir (beside the deps
    it describes, and never among the project's own files)."""
    return output if output is not None else config.cache_dir / REPORT_NAME


def write_report(config: Config, output: Path | None = None) -> Path:
    """Write the report of ``config``'s project (atomically) and return its path."""
    path = report_path(config, output)
    atomic_write(path, report_page(dashboard_data(config)))
    return path
