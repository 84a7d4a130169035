"""Errors a user sees: each renders as one line saying what, where, and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .daemon.pidfile import DaemonInfo

__all__ = ["PrebundleError", "ConfigError", "DaemonServing", "MissingDependencyError"]


class PrebundleError(Exception):
    """Base of every error prebundle reports to a user (CLI exit code 1)."""


class ConfigError(PrebundleError):
    """A config file or option is invalid. The message names the file, line and key."""


class MissingDependencyError(PrebundleError):
    """Bare imports that resolve to nothing installed."""


class DaemonServing(PrebundleError):
    """A running ``prebundle daemon`` owns the output folder: a run of its own would replace
    what the daemon serves. ``info`` says which daemon (pid, URL, mode)."""

    def __init__(self, info: DaemonInfo, cache_dir: Path) -> None:
        self.info = info
        self.cache_dir = cache_dir
        super().__init__(f"{info.describe()} serves {cache_dir} and keeps its deps up to date; stop it "
                         "before running prebundle here, or give this run another cache_dir")
