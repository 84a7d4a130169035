"""What a full run records for the CLI's fast path (``fastpath.py``), and the checks that
make the record as good as the decision it stands for.

After ``prebundle scan``: the config and where the scan snapshot is. After ``prebundle [ROOT]``
in this process: every input of the "up to date" decision with its stamp: the files
``hashing.lockfile_hash`` reads (install state, lockfiles, ``package.json``, patches), the
paths the esbuild search looked at and the files that give its version, the deps dir and every
file of it; the stamps are taken first, then the decision is made again from the files
(hashes recomputed, the output checked, the plan's ids against ``_metadata.json``), so a change
in between shows at the next run. Not recorded: a run that printed warnings the fast path
would not print (a damaged lockfile), a project esbuild of another version (warned about on
every run), a config with ``include`` or ``force`` (which re-bundles on every run).

Imported only by the full path (``commands.py``), after the run. The package's modules are
imported by the function that needs them: recording a scan must not pay for loading the esbuild
client and the console that recording an optimize needs.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .fastpath import (
    FILE_HASH,
    FORMAT,
    ConfigSource,
    code_stamp,
    content_digest,
    deps_signature,
    environment,
    fall,
    memo_key,
    memo_path,
    racy_stamp,
    read_memo,
    scan_snapshot,
    stamp,
    write_memo,
)

if TYPE_CHECKING:
    from .config import Config
    from .esbuild import EsbuildBinary
    from .optimizer import OptimizeResult

__all__ = ["count_warnings", "remember_optimize", "remember_scan", "up_to_date_record"]


def _write_memo(source: ConfigSource, memo: dict) -> None:
    write_memo(memo_path(source.root), memo)


def _base_memo(source: ConfigSource | None, config: Config, log_level: str | None) -> dict | None:
    """The memo's config part, or None when this config never takes the fast path."""
    if source is None or not source.eligible or source.root != str(config.root):
        return None
    if config.plugins or config.cache_dir != config.root / "node_modules" / ".vite":
        return None
    from .scanner import scan_cache_for, scan_key

    key = scan_key(config)
    if key is None:
        return None
    return {
        "format": FORMAT,
        "key": memo_key(source, log_level),
        "config": source.data,
        "code": code_stamp(),
        "cache_dir": str(config.cache_dir),
        "log_level": config.log_level,
        "scan": {"file": str(scan_cache_for(config).file_for(config.root)), "key": key},
        "optimize": None,
    }


def remember_scan(source: ConfigSource | None, config: Config, log_level: str | None) -> None:
    """After a full ``prebundle scan``: remember the config and where its snapshot is (keeping
    what a no-op run remembered, when it is for the same config). Best effort."""
    try:
        memo = _base_memo(source, config, log_level)
        if memo is None:
            return
        old = read_memo(source, log_level)
        if old is not None and old.get("scan") == memo["scan"]:
            return
        _write_memo(source, memo)
    except Exception as error:  # a memo is an optimisation; the run itself succeeded
        fall(f"no memo written: {type(error).__name__}: {error}")


def count_warnings():
    """A logging handler on the ``prebundle`` logger that counts the warnings a run prints
    (``.count``; ``.close()`` detaches it): a run that printed more than the scan's warnings
    (a damaged lockfile, say) is not remembered, since the fast path would not print them."""
    class WarningCount(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.count = 0
            logging.getLogger("prebundle").addHandler(self)

        def emit(self, record: logging.LogRecord) -> None:
            self.count += 1

        def close(self) -> None:
            logging.getLogger("prebundle").removeHandler(self)
            super().close()

    return WarningCount()


def remember_optimize(source: ConfigSource | None, config: Config, log_level: str | None, result: OptimizeResult,
                      warnings_printed: int) -> None:
    """After a full ``prebundle [ROOT]`` that succeeded in this process and printed
    ``warnings_printed`` warnings: remember every input of the "up to date" decision with its
    stamp, once the decision is re-checked against them. Best effort."""
    try:
        memo = _base_memo(source, config, log_level)
        if memo is None:
            return
        noop = None if config.include or config.force else _noop_record(config, result, memo)
        if noop is not None and noop.pop("warnings") == warnings_printed:
            memo["optimize"] = noop
        _write_memo(source, memo)  # without a decision, at least none that went stale
    except Exception as error:
        fall(f"no memo written: {type(error).__name__}: {error}")


def _noop_record(config: Config, result: OptimizeResult, memo: dict) -> dict | None:
    """The no-op answer of ``prebundle [ROOT]``: the decision's stamps and the line it prints."""
    from .console import optimize_summary

    record = up_to_date_record(config, memo["scan"])
    if record is None:
        return None
    summary = replace(result, up_to_date=True, ids=record.pop("optimized"))
    return {**record, "line": optimize_summary(summary, config)}


def up_to_date_record(config: Config, scan: dict, *, also: tuple[str, ...] = (),
                      listed: dict | None = None) -> dict | None:
    """Every input of the decision that ``config.deps_dir`` is up to date for the scan whose
    snapshot ``scan`` names (``{"file": ..., "key": ...}``; ``listed`` as ``scan_snapshot``
    takes it) and the ids ``also`` (bare imports found beside the scan), each with its stamp:
    ``env``, ``stamps``, ``deps`` (the scan's ``deps_signature``), ``warnings`` (how many the
    scan has) and ``optimized`` (the ids of the deps dir). Stamps first, then the decision
    re-made from the files: what changes in between shows in a stamp at the next run. None when
    the decision does not hold."""
    from . import __version__
    from .esbuild import PINNED_VERSION
    from .esbuild._locate import find_esbuild
    from .hashing import cache_hashes
    from .metadata import METADATA, read_metadata
    from .plan import is_excluded
    from .scanner.snapshot import RACY_NS

    racy_after = time.time_ns() - RACY_NS
    env = environment()
    found = find_esbuild(config.root, download=False)
    if found.origin == "project" and found.version != PINNED_VERSION:
        return None  # the full path warns about it on every run
    deps_dir = config.deps_dir
    metadata = read_metadata(deps_dir)
    if metadata is None:
        return None
    paths = _lockfile_inputs(config.root)
    paths += _esbuild_inputs(config.root, found)
    folder = str(deps_dir)
    recorded = {os.path.join(folder, name): (name, info.hash) for package in metadata.packages.values()
                for name, info in package.files.items()}  # a package's files: by their paths
    paths += [folder, *recorded] + [os.path.join(folder, name) for name in (*metadata.documents, METADATA)]
    paths = list(dict.fromkeys(paths))
    values = [stamp(path) for path in paths]
    sizes = {}  # the packages' files as stamped: the decision below checks them, not a later look
    stamps = []
    for path, value in zip(paths, values, strict=True):
        name, file_hash = recorded.get(path, (None, None))
        if name is not None:
            sizes[name] = None if value is None else value[2]
        stamps.append(_trusted(path, value, racy_after, file_hash))

    snapshot = scan_snapshot({"scan": scan}, refresh=False, listed=listed)
    if snapshot is None or env != environment():
        return None
    hashes = cache_hashes(config, esbuild_version=found.version, prebundle_version=__version__)
    if metadata.hash != hashes.hash or metadata.fault(deps_dir, sizes) is not None:
        return None
    deps = deps_signature(snapshot["result"])
    ids = {spec for spec, src, *_rest in snapshot["result"][1] if src is not None and not is_excluded(spec, config.exclude)}
    if not ids | set(also) <= set(metadata.optimized):
        return None
    return {"env": env, "stamps": (tuple(paths), tuple(stamps)), "deps": deps, "warnings": len(snapshot["result"][4]),
            "optimized": tuple(metadata.optimized)}


def _trusted(path: str, value: tuple | None, racy_after: int, file_hash: str | None) -> tuple | str | None:
    """A stamp; for a file that changed so recently that another change in the same tick of the
    file system's clock could keep its stamp (a run that just wrote it), the stamp with what its
    content must be (``racy_stamp``): for an output file the ``fileHash`` ``_metadata.json``
    records (nothing to read now; the first answer checks it), else a digest taken after the
    stamp and before the decision is re-made; ``"racy"`` (which matches nothing) when the
    content cannot be read."""
    if value is None or max(value[0], value[1]) < racy_after:
        return value
    if file_hash is not None:
        return racy_stamp(value, (FILE_HASH, file_hash))
    digest = content_digest(path)
    return "racy" if digest is None else racy_stamp(value, digest)


def _lockfile_inputs(root: Path) -> list[str]:
    """Every path ``hashing.lockfile_hash(root)`` looks at: the install state and lockfiles in
    each folder it searches, the ``package.json`` files, the patches folder and its files."""
    from .hashing import INSTALL_STATE_FILES, LOCKFILES, find_lockfile_dir

    names = (*INSTALL_STATE_FILES, *LOCKFILES)
    folder = find_lockfile_dir(root)
    searched = []
    for candidate in (root, *root.parents):  # up to the folder found, or all the way up
        searched.append(candidate)
        if candidate == folder and any((candidate / name).is_file() for name in names):
            break
    paths = [str(f / name) for f in searched for name in names]
    paths += [str(root / "package.json"), str(folder / "package.json")]
    patches = folder / "patches"
    paths.append(str(patches))
    if patches.is_dir():
        for here, dirs, files in os.walk(patches):
            paths += [os.path.join(here, name) for name in sorted(dirs) + sorted(files)]
    return paths


def _esbuild_inputs(root: Path, found: EsbuildBinary | None) -> list[str]:
    """Every path the search for esbuild (``esbuild._locate.find_esbuild``) and its version
    looked at, up to the binary it found."""
    from .esbuild._binary import platform_package
    from .esbuild._binary_cache import cached_binary_path
    from .esbuild._pinned import PINNED_VERSION, binary_subpath

    platform = platform_package()
    configured = os.environ.get("ESBUILD_BINARY_PATH")
    paths: list[str] = [os.path.realpath(configured)] if configured else []
    if found.origin == "env":
        return paths + [str(found.path.parent.parent / "package.json"), str(found.path.parent / "package.json")]
    start = Path(root).resolve()
    for folder in (start, *start.parents):
        modules = folder / "node_modules"
        candidates = [modules / "@esbuild" / platform / binary_subpath(platform),
                      modules / "esbuild" / "lib" / f"downloaded-@esbuild-{platform}-esbuild",
                      modules / "esbuild" / "bin" / "esbuild"]
        paths += [str(candidate) for candidate in candidates]
        if found.origin == "project" and found.path in candidates:
            return paths + [str(found.path.parent.parent / "package.json"), str(found.path.parent / "package.json")]
    cached = cached_binary_path(PINNED_VERSION, platform)
    return paths + [str(cached), str(cached.with_name(cached.name + ".stamp"))]
