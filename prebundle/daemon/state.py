"""The daemon's orchestrator: the last good state, and the runs that replace it.

State machine (``status``): ``optimizing`` while a run is in flight (the first one, or any
later one), then ``ready`` or ``error``. Requests are always answered from the last committed
deps dir, whatever the state. Runs are strictly sequential on one worker thread; changes that
arrive during a run are merged into one pending batch and handled by the next run (so a
``git checkout`` of 500 files costs one or two runs, never 500).

A run: (config change → reload the config) → (config/install change → clear the resolver and
re-optimize: the hashes decide what to rebuild) → rescan (warm: stats, re-parses changed files)
→ optimize only when the scan found an id not optimized yet, or after a failure (to recover).
Afterwards, ``reload`` is broadcast when ``importmap.json`` changed (or a tsconfig, which
changes every compiled module), ``error`` when the run failed, and ``ok`` when a run succeeded
after an error without changing the import map; then ``update`` with the URL paths of the app's
files that changed (``{"paths": ["/src/App.tsx"]}``): each page's client reloads when it loaded
one of them, and swaps a changed stylesheet in place.

The app's own modules are compiled on request by ``app_code`` (``prebundle.app.dev_serve``);
the ones that failed are kept in ``app_errors`` (by URL path) until they are served again, so a
page that connects later is told too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import esbuild
from ..app.dev_serve import AppModules, url_of
from ..app.dev_tsconfig import NAMES as TSCONFIG_NAMES
from ..config import Config, load_config
from ..errors import PrebundleError
from ..metadata import IMPORTMAP, METADATA, parse_importmap, parse_metadata
from ..optimizer import missing_error, optimize
from ..plan import is_excluded
from ..plugins.lifecycle import PluginLifetime
from ..plugins.module_info import record_scan
from ..resolve import Resolver
from ..scanner import scan, scan_cache_for
from .error_frames import error_frames
from .served import ServedContent
from .events import Broadcaster
from .hooks import filter_hot_updates
from .watch import Changes, config_files

if TYPE_CHECKING:
    from ..app.dev_errors import AppCodeProblem
    from ..optimizer import OptimizeResult
    from .hooks import PluginServer

__all__ = ["DaemonState", "RunReport", "RunState"]

log = logging.getLogger("prebundle.daemon")

APP_ERRORS_KEPT = 200
"""App modules whose errors the pages are told about at once, newest kept."""
DEBOUNCE_SECONDS = 0.0
"""Extra quiet time after a batch before a run starts: none, the watcher already waits for 50 ms
of quiet, and changes arriving during a run are coalesced into the next one."""


class RunState(StrEnum):
    """``state`` in ``/@prebundle/status`` and the events' ``hello``: a ``str``, so it is sent as
    the bare word."""

    OPTIMIZING = "optimizing"
    """A run is in flight (the first one, or a later one); the last committed deps are served."""
    READY = "ready"
    """The last run succeeded: what is served matches the sources."""
    ERROR = "error"
    """The last run failed: the previous good deps are served, ``error`` says why."""


@dataclass
class RunReport:
    """What one run did: shown in ``/@prebundle/status`` as ``last_run``."""

    trigger: str
    ok: bool = True
    rescanned: bool = False
    optimized: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    reload: bool = False
    seconds: float = 0.0
    scan_seconds: float = 0.0
    optimize_seconds: float = 0.0
    at: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Pipeline:
    """Scan + optimize with long-lived caches. Used only on the worker thread."""

    def __init__(self, config: Config) -> None:
        self.service = None
        self.last_found: set[str] | None = None
        self.last_unbundled: tuple | None = None
        """The excluded and linked packages of the last scan: the import map serves them too."""
        self.forced = False
        """The config key ``force`` was honoured: it re-bundles when the daemon starts and when
        the config is reloaded (as Vite's ``optimizeDeps.force`` does on a server start), not
        on every saved file."""
        self.last_result: OptimizeResult | None = None
        """The last optimize run's result (for a command that asked the daemon to run)."""
        self.plugin_hooks = PluginLifetime()
        """``build_start`` once before the first run (and after a config reload), ``build_end``
        when the daemon stops."""
        self._set_config(config, _config_stamps(config))

    def _set_config(self, config: Config, stamps: dict[Path, tuple[int, int, int] | None]) -> None:
        self.config = config
        self.config_stamps = stamps
        """The ``stat`` of the files a config comes from, taken before it was loaded."""
        self.resolver = Resolver.for_config(config)
        old = getattr(self, "scan_cache", None)
        if old is not None:
            old.close()
        self.scan_cache = scan_cache_for(config)

    def run(self, changes: Changes, *, known: set[str], force_optimize: bool, report: RunReport,
            rebuild: bool = False):
        """Returns ``(scan_result, optimize_result or None)``; raises ``PrebundleError``.
        ``force_optimize`` runs the optimizer even when no new id was found (its hashes decide
        what to rebuild); ``rebuild`` rebuilds everything (``prebundle --force`` beside the
        daemon)."""
        stamps = _config_stamps(self.config) if changes.config else self.config_stamps
        if stamps != self.config_stamps:
            # Not for an event seen twice (the watches overlap while they are re-armed): that
            # would restart the plugins again. Stamped before loading, so a save during the load
            # is loaded by the next event.
            config = load_config(self.config.root, config_file=self.config.config_arg, command="serve",
                                 overrides=self.config.overrides)
            self._set_config(config, stamps)
            self.forced = False
        self.plugin_hooks.started_for(self.config)
        needs = force_optimize or rebuild or bool(changes.config or changes.install or changes.watched)
        if changes.install:
            self.resolver.clear()
        started = time.perf_counter()
        result = scan(self.config, resolver=self.resolver, cache=self.scan_cache)
        record_scan(self.config, result)
        report.rescanned = True
        report.scan_seconds = round(time.perf_counter() - started, 4)
        # With ``no_discovery`` only ``include`` is optimized: an import the scan finds adds nothing.
        found = set() if self.config.no_discovery else {
            spec for spec in result.deps if not is_excluded(spec, self.config.exclude)}
        report.added = sorted(found - known)
        if self.last_found is not None:
            report.removed = sorted(self.last_found - found)
        self.last_found = found
        unbundled = tuple((spec, dep.src) for deps in (result.excluded, result.linked) for spec, dep in deps.items())
        needs = needs or unbundled != (self.last_unbundled or ())
        self.last_unbundled = unbundled
        if result.missing:
            raise missing_error(result)
        if not needs and not report.added:
            return result, None
        if self.service is None:
            self.service = esbuild.get_service(self.config.root)
        started = time.perf_counter()
        force_key = self.config.force and not self.forced
        optimized = optimize(self.config, scan_result=result, resolver=self.resolver, service=self.service,
                             force=rebuild or force_key, plugin_hooks=False, trigger=report.trigger)
        self.forced = True
        self.last_result = optimized
        report.optimized = not optimized.up_to_date
        report.optimize_seconds = round(time.perf_counter() - started, 4)
        report.built, report.reused = list(optimized.built), list(optimized.reused)
        return result, optimized

    def close(self, error: BaseException | None = None) -> None:
        """Stop esbuild, close the scan cache and run the plugins' end hooks (given ``error``,
        what stopped the daemon, if anything did)."""
        if self.service is not None:
            try:
                self.service.close()
            except Exception:  # the process may already be gone
                pass
        self.scan_cache.close()
        try:
            self.plugin_hooks.end(error)
        except PrebundleError as hook_error:  # stopping anyway: say it
            log.error("error: %s", hook_error)


def _config_stamps(config: Config) -> dict[Path, tuple[int, int, int] | None]:
    """(mtime, size, inode) of each file the daemon watches as config; None when absent."""
    stamps: dict[Path, tuple[int, int, int] | None] = {}
    for path in config_files(config):
        try:
            stat = path.stat()
            stamps[path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamps[path] = None
    return stamps


class DaemonState:
    """Holds what is served and runs the pipeline; the ASGI app reads it, the watcher feeds it."""

    def __init__(self, config: Config, *, broadcaster: Broadcaster | None = None) -> None:
        self.config = config
        self.broadcaster = broadcaster or Broadcaster()
        self.state = RunState.OPTIMIZING
        self.error: str | None = None
        self.error_frame = ""
        self.served = ServedContent()
        """The app's files answered with, by content: only their real changes reach the pages."""
        """The code frames of the places ``error`` names (for the overlay)."""
        self.importmap: dict[str, Any] = {"imports": {}}
        self.importmap_bytes = b""
        self.browser_hash = ""
        self.linked: tuple[Path, ...] = ()
        self.last_run: RunReport | None = None
        self.runs = 0
        self._pipeline = _Pipeline(config)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prebundle-run")
        self._pending = Changes()
        self.control_token: str | None = None
        """The secret a ``prebundle`` command presents to ask for a run (see ``control.py``)."""
        self._requests: list[tuple[bool, asyncio.Future]] = []
        """Runs asked for by commands beside the daemon: (rebuild everything, answer)."""
        self._wake = asyncio.Event()
        self.plugin_server: PluginServer | None = None
        """The ``server`` plugins get (its ``ws`` carries messages to and from pages); set by
        ``create_app``."""
        self.plan_changed = asyncio.Event()
        """Set after each run: what to watch may have changed (linked packages, files plugins
        asked to watch), so the watcher looks again."""
        self._closing = False
        self._served_stamp: tuple[int, int, int] | None = None
        """The ``_metadata.json`` the served state was read from: another stamp on disk means
        another process replaced the output."""
        self.app_code = AppModules(lambda: self.config)
        """The app's own modules, compiled on request."""
        self.app_errors: dict[str, dict[str, Any]] = {}
        """URL path -> the ``error`` event of an app module that could not be served."""
        self._logged_app_errors: dict[str, str] = {}
        """URL path -> the error last logged for it (each is logged once, not per request)."""
        self._load_current()

    # -- what is served ---------------------------------------------------------------------------

    def _load_current(self) -> None:
        deps_dir = self.config.deps_dir
        self._served_stamp = self._output_stamp()
        try:
            data = (deps_dir / IMPORTMAP).read_bytes()
            self.importmap = {"imports": dict(parse_importmap(data).imports)}
            self.importmap_bytes = data
        except (OSError, ValueError):  # MetadataError is a ValueError
            pass
        try:
            self.browser_hash = parse_metadata((deps_dir / METADATA).read_text(encoding="utf-8")).browser_hash
        except (OSError, ValueError):
            pass

    def _output_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = (self.config.deps_dir / METADATA).stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def output_changed(self) -> None:
        """The output folder changed on disk. A run of the daemon's own reloads what it serves
        when it ends; a change made by another process is taken up now (the import map must
        match the files served), then a run brings the output back to the daemon's config."""
        if self.state is RunState.OPTIMIZING or self._output_stamp() == self._served_stamp:
            return
        before = self.importmap_bytes
        self._load_current()
        log.info("the optimized deps were replaced by another process; serving them")
        if self.importmap_bytes != before:
            self.broadcaster.publish("reload", {"browserHash": self.browser_hash, "added": [], "built": []})
        self._pending.install.add(str(self.config.deps_dir))
        self._wake.set()

    async def run_now(self, *, rebuild: bool) -> tuple[RunReport, OptimizeResult | None]:
        """Run as soon as the current run (if any) ends, and return what it did."""
        answer: asyncio.Future = asyncio.get_running_loop().create_future()
        self._requests.append((rebuild, answer))
        self._wake.set()
        return await answer

    @property
    def deps(self) -> list[str]:
        return sorted(self.importmap.get("imports", {}))

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "browserHash": self.browser_hash, "deps": self.deps,
                "error": self.error, "runs": self.runs, "transforms": self.app_code.counts.to_json(),
                "app_errors": [event["message"] for event in self.app_errors.values()],
                "last_run": self.last_run.to_json() if self.last_run else None}

    # -- feeding and running ----------------------------------------------------------------------

    def notify(self, changes: Changes) -> None:
        """Queue a batch of changes; runs are coalesced. Plugins' ``handle_hot_update`` may take
        source files over first."""
        if changes.output:
            self.output_changed()
        if changes.source and self.config.plugins:
            try:
                changes.source = filter_hot_updates(self, changes.source)
            except PrebundleError as error:
                self.broadcaster.publish("error", {"message": str(error)})
        self.app_code.forget(changes.source, installed=bool(changes.install))
        for path in self._urls(changes.source):
            self.app_errors.pop(path, None)  # what failed was the previous content
        self._pending.merge(changes)
        self._wake.set()

    async def run_forever(self) -> None:
        """The first run, then one run per (coalesced) batch of changes, until ``close()``."""
        await self._run(Changes(install={"startup"}), trigger="startup", force=True)
        while not self._closing:
            await self._wake.wait()
            await asyncio.sleep(DEBOUNCE_SECONDS)
            if self._closing:
                break
            self._wake.clear()
            batch, self._pending = self._pending, Changes()
            requests, self._requests = self._requests, []
            if requests:
                rebuild = any(wanted for wanted, _ in requests)
                report = await self._run(batch, trigger="prebundle --force" if rebuild else "prebundle",
                                         force=True, rebuild=rebuild)
                for _, answer in requests:
                    if not answer.done():
                        answer.set_result((report, self._pipeline.last_result if report.ok else None))
            elif batch.source or batch.install or batch.config or batch.watched:
                await self._run(batch, trigger=batch.describe(self.config.root))
        for _, answer in self._requests:
            if not answer.done():
                answer.cancel()

    async def _run(self, batch: Changes, *, trigger: str, force: bool = False, rebuild: bool = False) -> RunReport:
        loop = asyncio.get_running_loop()
        previous_state = self.state
        self.state = RunState.OPTIMIZING
        report = RunReport(trigger=trigger, at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        started = time.perf_counter()
        try:
            scan_result, _ = await loop.run_in_executor(
                self._executor, lambda: self._pipeline.run(
                    batch, known=set(self.importmap.get("imports", {})),
                    force_optimize=force or previous_state is RunState.ERROR, report=report, rebuild=rebuild))
        except PrebundleError as error:
            frame = await loop.run_in_executor(self._executor, error_frames, str(error), self.config.root)
            self._failed(report, str(error), started, frame=frame)
            return report
        except Exception as error:  # a bug must not kill the daemon: report it like a failure
            if self._closing:
                return report
            log.debug("unexpected error", exc_info=True)
            self._failed(report, f"internal error: {type(error).__name__}: {error} (run the daemon with "
                                 "--log-level debug for the traceback)", started)
            return report
        finally:
            self.runs += 1
            self.plan_changed.set()
        self.config = self._pipeline.config
        self.linked = tuple(sorted({dep.package_dir for dep in scan_result.linked.values()}))
        before = self.importmap_bytes
        self._load_current()
        # at startup too: a page that connected while the first run went on (``--open``, a page
        # left open across a restart) was served the import map from before it
        report.reload = self.importmap_bytes != before
        report.seconds = round(time.perf_counter() - started, 4)
        self.last_run = report
        self.state, self.error = RunState.READY, None
        if report.reload:
            self.broadcaster.publish("reload", {"browserHash": self.browser_hash, "added": report.added,
                                                "built": report.built})
        elif previous_state is RunState.ERROR:
            self.broadcaster.publish("ok", {"browserHash": self.browser_hash})
        if not report.reload and trigger != "startup":
            await self._announce(batch)
        log.info("%s", _describe(report))
        return report

    async def _announce(self, batch: Changes) -> None:
        """After a run: tell the pages which of the app's files they may have loaded from here
        changed content (``update``), or to reload when a tsconfig changed (every compiled
        module may differ)."""
        changed = batch.source | batch.watched
        if any(os.path.basename(name) in TSCONFIG_NAMES for name in changed):
            self.broadcaster.publish("reload", {"browserHash": self.browser_hash, "added": [], "built": []})
            return
        files = {os.path.abspath(name) for name in changed}
        loop = asyncio.get_running_loop()
        paths = self._urls(await loop.run_in_executor(self._executor, self.served.changed, files))
        if paths:
            self.broadcaster.publish("update", {"paths": paths})

    def _urls(self, files: set[str]) -> list[str]:
        """The URL paths (decoded) of those of ``files`` that are under the root."""
        root = os.path.abspath(self.config.root)
        return sorted({url for name in files if (url := url_of(root, os.path.abspath(name))) is not None})

    def app_failed(self, problem: AppCodeProblem) -> None:
        """An app module could not be served: tell the pages (and the terminal, once per error)."""
        event = problem.to_event()
        where = problem.url or problem.file
        self.app_errors.pop(where, None)
        self.app_errors[where] = event  # the newest last
        while len(self.app_errors) > APP_ERRORS_KEPT:  # many URLs of one file (a link loop): a bound
            self.app_errors.pop(next(iter(self.app_errors)))
        if len(self._logged_app_errors) >= APP_ERRORS_KEPT:
            self._logged_app_errors.clear()
        self.app_code.counts.errors += 1
        self.broadcaster.publish("error", event)
        if self._logged_app_errors.get(where) != event["message"]:
            self._logged_app_errors[where] = event["message"]
            log.error("error: %s", event["message"])

    def app_served(self, url: str) -> None:
        """An app module was served: whatever was wrong with it is fixed."""
        self.app_errors.pop(url, None)
        self._logged_app_errors.pop(url, None)

    def _failed(self, report: RunReport, message: str, started: float, *, frame: str = "") -> None:
        """A run failed: the previous output stays served; pages show ``message`` and the code
        ``frame`` of the places it names."""
        report.ok = False
        report.seconds = round(time.perf_counter() - started, 4)
        self.last_run = report
        self.state, self.error, self.error_frame = RunState.ERROR, message, frame
        if self._closing:
            return
        self.broadcaster.publish("error", {"message": message, "frame": frame})
        first, *rest = message.splitlines() or [message]
        log.error("%s: error: %s%s", report.trigger, first, f" (+{len(rest)} more lines)" if rest else "")
        for line in rest:
            log.error("  %s", line)

    def stopping(self) -> None:
        """Begin to stop (on the event loop): end the event streams, run nothing new."""
        self._closing = True
        self._wake.set()
        self.broadcaster.close()

    def close(self, error: BaseException | None = None) -> None:
        """Stop esbuild (a build in flight fails fast), join the worker, and end the plugins'
        build (``error``: what stopped the daemon, if anything did); blocking."""
        self._closing = True
        if self._pipeline.service is not None:
            try:
                self._pipeline.service.close(timeout=1.0)
            except Exception:
                pass
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._pipeline.close(error)


def _describe(report: RunReport) -> str:
    parts = [f"{report.trigger}:"]
    if report.added:
        parts.append("new " + ", ".join(report.added) + ";")
    if report.removed:
        parts.append("no longer imported " + ", ".join(report.removed) + " (kept);")
    if report.built:
        parts.append(f"built {', '.join(report.built)} (reused {len(report.reused)})")
    elif report.optimized or report.rescanned and not report.added:
        parts.append("dependencies unchanged" if not report.optimized else "rebuilt nothing")
    parts.append(f"in {report.seconds * 1000:.0f} ms")
    if report.reload:
        parts.append("→ reload")
    return " ".join(parts)
