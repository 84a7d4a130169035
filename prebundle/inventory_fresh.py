"""Whether the deps dir still describes the app: ``ls`` and ``why`` report what is there, and a
report of an output that a run would replace would mislead.

The output is current when a run would keep it as it is: the same mode, the same hashes (config,
tool versions, installed packages), every id the plan asks for optimized, and every file as
recorded. The same checks as the optimizer's, without starting esbuild: its version is read
from the binary found, as the CLI's fast path does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import PrebundleError
from .esbuild import EsbuildError, find_esbuild
from .hashing import cache_hashes, lockfile_hash
from .plan import make_plan

if TYPE_CHECKING:
    from .config import Config
    from .metadata import Metadata
    from .resolve import Resolver
    from .scanner import ScanResult

__all__ = ["OutputMissing", "OutputStale", "require_current", "stale_reason"]


class OutputMissing(PrebundleError):
    """There is no optimized output to report on."""

    def __init__(self, deps_dir: Path, root: Path) -> None:
        super().__init__(f"no optimized dependencies in {_shown(deps_dir, root)}: run `prebundle` first")


class OutputStale(PrebundleError):
    """The optimized output no longer matches the app; ``reason`` says what changed."""

    def __init__(self, deps_dir: Path, root: Path, reason: str, fix: str = "run `prebundle` to update them") -> None:
        self.reason = reason
        super().__init__(f"the optimized dependencies in {_shown(deps_dir, root)} are out of date ({reason}): {fix}")


def require_current(config: Config, metadata: Metadata | None, scan_result: ScanResult, resolver: Resolver) -> None:
    """Raise ``OutputMissing`` when there is no output, ``OutputStale`` when a run would not
    keep it as it is."""
    if metadata is None:
        raise OutputMissing(config.deps_dir, config.root)
    reason = stale_reason(config, metadata, scan_result, resolver)
    if reason is None:
        return
    fix = "run `prebundle` to update them"
    if metadata.mode != config.mode:
        fix = f"add --mode {metadata.mode} to read them, or run `prebundle --mode {config.mode}`"
    raise OutputStale(config.deps_dir, config.root, reason, fix)


def stale_reason(config: Config, metadata: Metadata, scan_result: ScanResult, resolver: Resolver) -> str | None:
    """Why a run would not keep the output ``metadata`` describes, in a few words; None when it
    would."""
    if metadata.mode != config.mode:
        return f"built in {metadata.mode} mode"
    if scan_result.missing:
        names = sorted(scan_result.missing)
        return f"the app imports {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}, which does not resolve"
    try:
        esbuild_version = find_esbuild(config.root, download=False).version
    except EsbuildError:  # no esbuild here: what is installed can still be compared
        esbuild_version = None
    if esbuild_version is None:
        if metadata.lockfile_hash != lockfile_hash(config.root):
            return "the installed packages changed"
    else:
        hashes = cache_hashes(config, esbuild_version=esbuild_version, prebundle_version=__version__)
        if metadata.config_hash != hashes.config_hash:
            return "the config, prebundle or esbuild changed"
        if metadata.lockfile_hash != hashes.lockfile_hash:
            return "the installed packages changed"
    new = sorted(set(make_plan(config, scan_result, resolver).ids) - set(metadata.optimized))
    if new:
        return f"new dependencies: {', '.join(new[:3])}{', ...' if len(new) > 3 else ''}"
    return metadata.fault(config.deps_dir)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
