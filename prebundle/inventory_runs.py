"""The run history: the last ``KEEP`` optimize runs of a project, from the CLI, the daemon or the
Python API, in ``<cache_dir>/runs.json``.

The deps dir says what is there, not how it got there: this file says which packages the last
runs built or reused, how long each package's esbuild build took, and which runs failed, so
``prebundle ls`` and the dashboard can tell a fresh build from a reused one. Each run appends
its record after it ends (the file is replaced whole, under a lock of its own, so two runs
never lose each other's record). A no-op run answered by the CLI's fast path appends nothing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .commit import atomic_write

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: appends are not serialised between processes
    fcntl = None

if TYPE_CHECKING:
    from .bundle import PackageBuild
    from .config import Config
    from .optimizer import OptimizeResult

__all__ = ["DAEMON_REQUESTS", "KEEP", "RUNS", "TRIGGERS", "RunRecord", "append_run", "build_ms_shares", "read_runs", "record_run",
           "utc_now"]

log = logging.getLogger("prebundle.inventory")

RUNS = "runs.json"
"""The history's name inside the cache dir."""
KEEP = 20
"""Runs kept: the oldest is dropped when a run appends the 21st."""
TRIGGERS = ("cli", "api", "startup", "change")
"""What starts a run: ``prebundle`` (also when a running daemon does the work for it), a call of
``prebundle.optimize``, the daemon's first run, a change the daemon saw."""
DAEMON_REQUESTS = ("prebundle", "prebundle --force")
"""The daemon's names of the runs a ``prebundle`` command asked it for."""


def utc_now() -> str:
    """The time now as the history and the inventory write it: ``2026-11-30T08:00:00Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RunRecord:
    """One optimize run as the history keeps it."""

    at: str
    """When it ended (UTC, ``utc_now``'s format)."""
    trigger: str
    """One of ``TRIGGERS``."""
    ok: bool
    error: str | None
    """The error it stopped with (its first line); None when it succeeded."""
    built: tuple[str, ...] = ()
    """Packages esbuild built (``name@version``)."""
    reused: tuple[str, ...] = ()
    """Packages whose earlier files were kept (this project's or the machine-wide cache's)."""
    ms: float = 0.0
    """How long the run took."""
    build_ms: Mapping[str, float] = field(default_factory=dict)
    """Built package -> milliseconds of esbuild build. Packages built together in one esbuild
    build share its time in proportion to their output size."""
    up_to_date: bool = False
    """Nothing was written: the deps dir was current."""
    browser_hash: str | None = None
    """The ``browserHash`` of the output it left (None when it failed)."""
    mode: str | None = None
    detail: str | None = None
    """What the daemon said started it (``src/main.js``, ``prebundle --force``), when it did."""
    cache: Mapping[str, Any] | None = None
    """What the package cache's tiers did (``cache_stats.CacheStats.to_json``), when it was asked."""

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "trigger": self.trigger, "ok": self.ok, "error": self.error,
                "built": list(self.built), "reused": list(self.reused), "ms": round(self.ms, 1),
                "buildMs": {label: round(ms, 1) for label, ms in self.build_ms.items()},
                "upToDate": self.up_to_date, "browserHash": self.browser_hash, "mode": self.mode,
                "detail": self.detail, "cache": dict(self.cache) if self.cache is not None else None}

    @classmethod
    def from_json(cls, value: Any) -> RunRecord:
        """The record in ``value`` (parsed JSON); ``ValueError`` when it is of another shape."""
        try:
            build_ms = value.get("buildMs") or {}
            return cls(
                at=str(value["at"]), trigger=str(value["trigger"]), ok=bool(value["ok"]),
                error=None if value.get("error") is None else str(value["error"]),
                built=tuple(str(label) for label in value.get("built") or ()),
                reused=tuple(str(label) for label in value.get("reused") or ()),
                ms=float(value.get("ms") or 0.0),
                build_ms={str(label): float(ms) for label, ms in build_ms.items()},
                up_to_date=bool(value.get("upToDate", False)), browser_hash=value.get("browserHash"),
                mode=value.get("mode"), detail=value.get("detail"),
                cache=value.get("cache") if isinstance(value.get("cache"), dict) else None,
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            raise ValueError("a run record of another shape") from None


def read_runs(cache_dir: Path) -> list[RunRecord]:
    """The runs recorded in ``cache_dir``, oldest first; none when the file is missing or
    damaged (a damaged record is skipped: the history is informative, never load-bearing)."""
    try:
        data = json.loads((cache_dir / RUNS).read_bytes())
    except (OSError, ValueError):
        return []
    runs = []
    for value in data.get("runs", []) if isinstance(data, dict) else []:
        try:
            runs.append(RunRecord.from_json(value))
        except ValueError:
            continue
    return runs


def append_run(cache_dir: Path, record: RunRecord) -> None:
    """Add ``record`` to the history, keeping the last ``KEEP``."""
    import orjson  # as the deps dir's JSON files are written

    cache_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache_dir / f"{RUNS}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        runs = [*read_runs(cache_dir), record][-KEEP:]
        data = {"runs": [run.to_json() for run in runs]}
        try:  # orjson: the layout of an indented json.dumps, in 0.2 ms instead of 4 ms
            text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:  # a path that is not UTF-8 (a lone surrogate): json escapes it
            text = (json.dumps(data, indent=2) + "\n").encode()
        atomic_write(cache_dir / RUNS, text)
    finally:
        os.close(fd)  # closing releases the lock


def record_run(config: Config, trigger: str, seconds: float, *, result: OptimizeResult | None = None,
               error: BaseException | None = None) -> None:
    """Append the run that ended with ``result`` (or failed with ``error``) to the project's
    history. A history that cannot be written costs the run nothing: it is said at debug level."""
    kind, detail = _trigger(trigger)
    if result is not None:
        record = RunRecord(utc_now(), kind, True, None, result.built, result.reused, result.seconds * 1000,
                           dict(result.build_ms), result.up_to_date, result.browser_hash, config.mode, detail,
                           result.cache)
    else:
        message = str(error).splitlines()[0] if error is not None and str(error) else type(error).__name__
        record = RunRecord(utc_now(), kind, False, message, ms=seconds * 1000, mode=config.mode, detail=detail)
    try:
        append_run(config.cache_dir, record)
    except OSError as failure:
        log.debug("run history not written: %s: %s", config.cache_dir / RUNS, failure.strerror or failure)


def _trigger(trigger: str) -> tuple[str, str | None]:
    """``(kind, detail)``: one of ``TRIGGERS``, and the daemon's own words when they say more
    (its runs are triggered by ``startup``, ``prebundle``, ``prebundle --force`` or the changed
    paths)."""
    if trigger in TRIGGERS:
        return trigger, None
    if trigger in DAEMON_REQUESTS:  # a `prebundle` command that ran through the daemon
        return "cli", trigger
    return "change", trigger


def build_ms_shares(builds: Iterable[PackageBuild], seconds: float) -> dict[str, float]:
    """Each package's share (``label -> ms``) of one esbuild build that made ``builds``, in
    proportion to the bytes of output each got (esbuild reports no time per entry point)."""
    builds = list(builds)
    sizes = {build.package.label: build.output_size for build in builds}
    total = sum(sizes.values())
    if not total:
        return {label: seconds * 1000 / len(sizes) for label in sizes}
    return {label: seconds * 1000 * size / total for label, size in sizes.items()}
