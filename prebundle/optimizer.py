"""``optimize``: scan → plan → hash → bundle → commit → publish, for the CLI and the daemon.

The run holds the cache dir's lock throughout. Nothing changed → no esbuild work at all. Else
each package whose cache key (identity, ids, config hash) is unchanged keeps its files; the
others are built concurrently on one esbuild service. Bare imports that the bundles leave
external join the plan until it is closed. The new deps dir is staged and swapped in
atomically, so a failure or a kill leaves the previous output served.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, esbuild
from .bundle import BundleError, PackageBuild
from .bundle.install_layout import install_layout
from .commit import OutputLock, commit_dir, new_staging_dir, recover
from .config import Config
from .daemon.pidfile import PIDFILE, read_daemon
from .errors import DaemonServing, PrebundleError
from .esbuild import EsbuildError, ServiceStopped
from .hashing import CacheHashes, InstallState, cache_hashes, interop_key, interop_rule, package_key
from .inventory_runs import DAEMON_REQUESTS, build_ms_shares, record_run
from .machine_cache import package_cache_dir, prune_due, start_prune_clock
from .metadata import METADATA, FileInfo, Metadata, PackageRecord, bundles_workers, note_written, read_metadata
from .plan import Plan, PlannedId, PlannedPackage, is_excluded, make_plan, plan_ids
from .plugins.cache_key import shareable
from .plugins.lifecycle import build_hooks
from .plugins.module_info import record_scan
from .records import build_from_record, importmap_differs, package_record, package_record_key, render
from .resolve import ResolveError, Resolver
from .scanner import scan
from .scanner.result import missing_error
from .shared_cache import SharedCache, finish_adopting, installed, shared_cache
from .staging_files import StagingWriter, place, reconcile
from .unbundled import Unbundled, unbundled, unreachable_excluded

if TYPE_CHECKING:
    from .bundle import PackageBundler
    from .bundle.services import ServiceLease
    from .esbuild import Service
    from .interop import DefaultRule, InteropCache
    from .inventory_sizes import SizeCache
    from .plan import PlannedPackage
    from .remote.artifact import OpenedArtifact
    from .resolve import Resolver
    from .scanner import ScanResult

__all__ = ["OptimizeResult", "OptimizeRun", "missing_error", "optimize"]

log = logging.getLogger("prebundle.optimizer")

MAX_CONCURRENT_BUILDS = 2
"""Builds in flight. esbuild spreads each over every core; two at once overlap one build's
serial linking with the other's parsing. A command's run gives each its own esbuild service
process (``bundle.services``); a daemon's share its one service."""
GROUP_BYTES = 3_000_000
"""Output a build of several packages aims at: bounds the syntax trees esbuild holds at once."""
DEFAULT_PACKAGE_BYTES = 150_000
"""Output expected of a package no earlier build describes."""


@dataclass(frozen=True)
class OptimizeResult:
    deps_dir: Path
    up_to_date: bool
    """True when the cache was valid and nothing was written."""
    ids: tuple[str, ...]
    built: tuple[str, ...]
    """Packages bundled by esbuild in this run (labels like ``react@19.3.1``)."""
    reused: tuple[str, ...]
    files: int
    bytes: int
    browser_hash: str
    warnings: tuple[str, ...]
    seconds: float
    build_ms: dict[str, float] = field(default_factory=dict)
    """Each package built (label) -> ms of its esbuild build (a shared build split by output size)."""
    cache: dict[str, Any] | None = None
    """What the package cache's tiers did (``CacheStats.to_json``); None when the run wrote
    nothing or the machine-wide cache is off."""
    built_sizes: list[dict[str, Any]] | None = None
    """Each package built: its label, name, version, and the files pages load with their size
    raw and gzipped (``inventory_sizes.built_sizes``), when the run learned them as it wrote
    its output (a command's run whose table shows them); else None."""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "deps_dir": str(self.deps_dir)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OptimizeResult:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}  # a daemon may be older
        values["deps_dir"] = Path(values["deps_dir"])
        for name in ("ids", "built", "reused", "warnings"):
            values[name] = tuple(values[name])
        return cls(**values)


@dataclass(frozen=True)
class _Published:
    """What ``_publish`` put into the staging folder."""

    metadata: Metadata
    """The ``_metadata.json`` written."""
    files: int
    """Output files placed (each once, however many packages list it)."""
    bytes: int
    """Their total size."""


def optimize(
    config: Config,
    *,
    force: bool | None = None,
    scan_result: ScanResult | None = None,
    resolver: Resolver | None = None,
    service: Service | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    plugin_hooks: bool = True,
    trigger: str = "api",
    one_shot: bool = False,
) -> OptimizeResult:
    """Bring ``config.deps_dir`` up to date with the app's imports. Raises ``PrebundleError``
    (one line per problem) and leaves the previous output in place when anything fails.
    ``force``: re-bundle everything, ignoring caches (None: as the config key ``force`` says).
    ``plugin_hooks``: run the plugins' ``options``/``build_start`` first and
    ``build_end``/``close_bundle`` last (the daemon runs them once for its life instead).
    ``trigger``: what started the run, for the run history (``inventory_runs``).
    ``one_shot``: the process ends with the run, as a command's does: an esbuild service the
    run starts may trade memory for speed (``bundle.go_memory``), and the run learns the gzip
    sizes its table shows (``console.shows_built_table``)."""
    started = time.perf_counter()
    try:
        with build_hooks(config) if plugin_hooks else nullcontext():
            result = _optimize(config, force=force, scan_result=scan_result, resolver=resolver, service=service,
                               on_progress=on_progress, on_wait=on_wait, offer_snapshot=not _follows_edits(trigger),
                               one_shot=one_shot)
    except DaemonServing:
        raise  # not a run: the daemon runs it (and records it)
    except PrebundleError as error:
        record_run(config, trigger, time.perf_counter() - started, error=error)
        raise
    record_run(config, trigger, time.perf_counter() - started, result=result)
    return result


def _optimize(config: Config, *, force: bool | None, scan_result: ScanResult | None, resolver: Resolver | None,
              service: Service | None, on_progress: Callable[[int, int], None] | None,
              on_wait: Callable[[str], None] | None, offer_snapshot: bool = True,
              one_shot: bool = False) -> OptimizeResult:
    """One run of :func:`optimize`. ``offer_snapshot``: hand the deps dir to the team's remote
    when this run builds it (not for a daemon's run after an edit: it follows a work in
    progress that no other machine will have, and would upload tens of MB each time).
    ``one_shot``: as :func:`optimize` says."""
    started = time.perf_counter()
    if resolver is None:
        resolver = Resolver.for_config(config)
    if scan_result is None:
        scan_result = scan(config, resolver=resolver)
        for warning in scan_result.warnings:  # a file skipped or unreadable: said once per run
            log.warning("warning: %s", warning)
    record_scan(config, scan_result)
    if scan_result.missing:
        raise missing_error(scan_result)
    _refuse_beside_daemon(config)

    with OutputLock(config.cache_dir, on_wait=on_wait):
        finish_adopting()  # a restore's packages are linked from the deps dir this run may replace
        recover(config.cache_dir)
        run = OptimizeRun(config, scan_result, resolver=resolver, service=service, force=force,
                          on_progress=on_progress, started=started, one_shot=one_shot)
        cached = run.cached()
        if cached is not None:
            return cached
        try:
            staging = new_staging_dir(config.cache_dir)
        except OSError as error:
            raise _write_failure(error, config.deps_dir) from None
        try:
            result = run.restore(staging)
            if result is None:
                run.build(staging)
                result = run.commit()
                if offer_snapshot and run.offer_snapshot():
                    result = replace(result, cache=run.cache_report())
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    run.keep_machine_cache_in_bounds()
    return result


def _go_settings(env: Mapping[str, str] | None, *, names: tuple[str, ...] = ("GOGC", "GOMEMLIMIT")) -> bool:
    """Whether the service's process gets Go settings ``names`` of the user's or a caller's own,
    from ``env`` (the service's) or this process's environment: they are kept as they are."""
    return any(name in os.environ or (env is not None and name in env) for name in names)


def _follows_edits(trigger: str) -> bool:
    """Whether a run was started by the daemon seeing files change (its trigger names them),
    rather than by a command, the API or the daemon's start."""
    return trigger not in ("cli", "api", "startup", *DAEMON_REQUESTS)


def _refuse_beside_daemon(config: Config) -> None:
    """Raise ``DaemonServing`` when another process's daemon serves this output folder."""
    if not (config.cache_dir / PIDFILE).exists():
        return

    info = read_daemon(config.cache_dir)
    if info is not None and info.pid != os.getpid():
        raise DaemonServing(info, config.cache_dir)


class OptimizeRun:
    """One optimize run, with the cache dir's lock held: :meth:`cached` when the deps dir is
    up to date, else :meth:`build` into a staging folder, then :meth:`commit`."""

    def __init__(self, config: Config, scan_result: ScanResult, *, resolver: Resolver, service: Service | None = None,
                 force: bool | None = None, on_progress: Callable[[int, int], None] | None = None,
                 started: float | None = None, one_shot: bool = False) -> None:
        self.config = config
        self.scan_result = scan_result
        self.resolver = resolver
        self.service = service
        self.force = config.force if force is None else force
        """Re-bundle everything: ``force`` when given, else the config key ``force``."""
        self.on_progress = on_progress
        self.started = time.perf_counter() if started is None else started
        self._one_shot = one_shot
        """The process ends with the run (``optimize``)."""
        self._service_memory_pending = one_shot
        """Go's collector settings are still to be chosen, before the service's first build
        (``_set_service_memory``)."""
        self._service_started_here = False
        """This run took the process's esbuild service before it was running (``_bundler``)."""
        self._service_env_before: dict[str, str] | None = None
        """The service's ``env`` before this run set it, given back when the run ends."""
        self._leases: list[ServiceLease] = []
        """The bundlers' services, whose companions (``bundle.services``) end with the run."""
        self.warned_before: set[Path] = set()
        """Packages reused from this project's previous output; a build from the machine-wide
        cache is new to the project, so its build-time warnings are shown again."""
        self._install = InstallState(config.root, realpath=resolver.realpath)
        self._root = str(config.root)
        self._keys: dict[tuple[Path, tuple[str, ...]], str] = {}
        self._hints: dict[str, PackageRecord | None] = {}
        """Package key -> the record of an earlier build with that key (its imports, its size)."""
        self._shared: SharedCache | None = None
        """The machine-wide cache (and its remote tier) of this run's builds, once they start."""
        self._restored = False
        """The deps dir came whole from the team's remote cache (``restore``)."""
        self._hashes: CacheHashes | None = None
        self._rule: DefaultRule = "bundler"
        """The ``default`` rule of ``__esModule`` CommonJS modules this run (``interop``)."""
        self._previous: Metadata | None = None
        self._plan: Plan | None = None
        self._unbundled = Unbundled()
        """The import-map entries of the packages served from their own files."""
        self._staging: Path | None = None
        self._builds: list[PackageBuild] = []
        self._published: _Published | None = None
        self._built_sizes: list[dict[str, Any]] | None = None
        """The table's sizes of the packages built (``_sizes_of_built``), when the run learned them."""
        self._build_ms: dict[str, float] = {}
        self._storing: ThreadPoolExecutor | None = None
        """The thread storing this run's builds in the machine-wide cache (``_store_later``)."""

    def _prepare(self) -> None:
        """The hashes of the project now, the previous output's metadata and the plan."""
        if self._plan is not None:
            return

        # the binary's version only: the esbuild client loads, and the service starts, for a build
        version = self.service.version if self.service is not None else esbuild.find_esbuild(self.config.root).version
        self._hashes = cache_hashes(self.config, esbuild_version=version, prebundle_version=__version__)
        self._rule = interop_rule(self.config)  # as configHash holds it (same file stamp, same read)
        self._previous = None if self.force else read_metadata(self.config.deps_dir)
        self._plan = make_plan(self.config, self.scan_result, self.resolver)
        self._unbundled = unbundled(self.config, self.scan_result, self._plan.ids, self.resolver)
        for warning in self._unbundled.warnings:  # said once per run, built or not
            log.warning("warning: %s", warning)

    def cached(self) -> OptimizeResult | None:
        """The result of keeping the deps dir as it is, when it is up to date and intact; None
        when the run must build (the reason is logged at debug level, a damaged file as a
        warning)."""
        self._prepare()
        previous = self._previous
        reason = self._stale_reason()
        if reason is not None:
            log.debug("the deps dir is out of date: %s", reason)
            return None
        fault = previous.fault(self.config.deps_dir)
        if fault is not None:  # damaged by hand or by a tool: the packages' intact files are reused
            log.warning("warning: %s; rewriting the deps dir", fault)
            return None
        if importmap_differs(self.config.deps_dir, previous, self.config.base, self._unbundled):
            log.debug("the deps dir is out of date: the import map's entries of excluded, linked or "
                      "nested packages changed")
            return None
        sizes = {name: info.size for package in previous.packages.values() for name, info in package.files.items()}
        return OptimizeResult(
            deps_dir=self.config.deps_dir, up_to_date=True, ids=tuple(previous.optimized), built=(), reused=(),
            files=len(sizes), bytes=sum(sizes.values()), browser_hash=previous.browser_hash,
            warnings=self._unbundled.warnings,
            seconds=time.perf_counter() - self.started,
        )

    def _stale_reason(self) -> str | None:
        """Why the previous output cannot be kept, in a few words (as Vite says it); None when
        its hashes and ids are current."""
        previous, hashes = self._previous, self._hashes
        if previous is None:
            return "--force" if self.force else "no metadata of this format"
        if previous.hash != hashes.hash:
            if previous.config_hash != hashes.config_hash:
                return "config changed"
            if previous.lockfile_hash != hashes.lockfile_hash:
                return "lockfile changed"
            return "hash changed"
        new = sorted(set(self._plan.ids) - set(previous.optimized))
        if new:
            return f"new dependencies: {', '.join(new[:5])}{', ...' if len(new) > 5 else ''}"
        return None

    def build(self, staging: Path) -> None:
        """Build (or reuse) every package of the plan into ``staging``, with the deps dir's JSON
        files (and, in production, their precompressed copies)."""
        self._prepare()
        deps_dir = self.config.deps_dir
        sizes = self._sizes_to_learn()
        writer = StagingWriter(staging, sizes, previous=deps_dir if deps_dir.is_dir() else None)
        try:
            self._builds = self._build_closed(self._plan, staging, writer)
            if self._one_shot:
                self._close_service_early()
            try:
                self._published = self._publish(self._builds, staging, writer)
                if sizes is not None:
                    sizes.save()
                    self._built_sizes = self._sizes_of_built(writer)
                if self.config.mode == "production":  # static servers can send .br/.gz as they are
                    from .integrations.compress import precompress  # gzip and brotli: for production only

                    machine = package_cache_dir()
                    # --force: every file compressed anew (its output may be the same files, linked)
                    precompress(staging, reuse_from=deps_dir if deps_dir.is_dir() and not self.force else None,
                                store=machine / "compressed" if machine is not None else None)
            except OSError as error:
                raise _write_failure(error, deps_dir) from None
        except BaseException:
            if self._one_shot:
                self._close_service_early()  # a command's run that failed: its services end with it
            raise
        finally:
            writer.close()
            self._close_companions()
            if self._service_env_before is not None and self.service is not None:
                self.service.env = self._service_env_before or None  # for a service started later
        self._staging = staging

    def _close_service_early(self) -> None:
        """A command's run has built everything once its plan is closed: the esbuild service
        it started may end now, on a thread of its own, while the output is published (a cold
        run's service takes 15 ms or more to give back its heap; the process would otherwise
        wait for that at exit)."""
        from .bundle.services import close_in_background

        self._close_companions()
        service = self.service
        if service is None or service.pid is None or not self._service_started_here:
            return
        close_in_background(service)

    def _sizes_to_learn(self) -> SizeCache | None:
        """The gzip sizes a command's run learns of the modules it writes, beside its builds,
        when the table after it shows them (``console.shows_built_table``): compressing a cold
        run's new output for the table took 0.3 s after the run, on every core."""
        from .console import shows_built_table

        if not self._one_shot or not shows_built_table(self.config):
            return None
        from .inventory_sizes import SizeCache

        return SizeCache(self.config.cache_dir)

    def _sizes_of_built(self, writer: StagingWriter) -> list[dict[str, Any]] | None:
        """The table's sizes of the packages this run built, from what ``writer`` learned."""
        from .inventory_sizes import built_sizes

        fresh = {build.package.label for build in self._builds if not build.reused}
        records = (record for record in self._published.metadata.packages.values() if record.label in fresh)
        return built_sizes(records, writer.gzip_size)

    def commit(self) -> OptimizeResult:
        """Swap the folder :meth:`build` filled into place, and say what the run did."""
        if self._staging is None or self._published is None:
            raise RuntimeError("OptimizeRun.commit() before build()")
        deps_dir = self.config.deps_dir
        try:
            commit_dir(self._staging, deps_dir)
        except OSError as error:
            raise _write_failure(error, deps_dir) from None
        builds, published = self._builds, self._published
        warnings = tuple(w for b in builds if b.package.dir not in self.warned_before for w in b.warnings)
        warnings += unreachable_excluded(builds, self.config.exclude, self._unbundled)
        for warning in warnings:
            log.warning("warning: %s", warning)
        return OptimizeResult(
            deps_dir=deps_dir,
            up_to_date=False,
            ids=tuple(published.metadata.optimized),
            built=tuple(sorted(b.package.label for b in builds if not b.reused)),
            reused=tuple(sorted(b.package.label for b in builds if b.reused)),
            files=published.files,
            bytes=published.bytes,
            browser_hash=published.metadata.browser_hash,
            warnings=warnings + self._unbundled.warnings,
            seconds=time.perf_counter() - self.started,
            build_ms={b.package.label: self._build_ms[b.package.label] for b in builds
                      if not b.reused and b.package.label in self._build_ms},
            cache=self.cache_report(),
            built_sizes=self._built_sizes,
        )

    # -- the team's remote cache: the whole deps dir at once --------------------------------------

    def restore(self, staging: Path) -> OptimizeResult | None:
        """The deps dir another machine made from these same inputs, downloaded from the team's
        remote cache (``deps_snapshot.py``), checked as this run's output and committed; None
        when there is no remote, no such deps dir, or it does not check out (said in one
        warning): the run then builds as usual, package by package (each may come from the remote)."""
        if self.force:
            return None
        self._prepare()
        shared = self._shared_for_run()
        if shared is None or shared.remote is None:
            return None
        build_digest = self._hashes.build_digest
        if all(shared.has(self._key(package, build_digest)) for package in self._plan.packages):
            return None  # this machine has the packages: no need to ask the remote
        from .deps_snapshot import is_snapshot, write_snapshot
        from .remote.artifact import ArtifactError

        key = self._snapshot_key()

        def download() -> tuple[OpenedArtifact | None, str | None]:
            """The deps dir of these inputs written into ``staging``, and what went wrong writing it."""
            artifact = shared.remote.fetch_opened(key)
            if artifact is None or not is_snapshot(artifact.record, key):
                return None, None
            try:
                write_snapshot(artifact, staging)
            except ArtifactError as error:
                return artifact, f"is damaged ({error})"
            except (OSError, ValueError) as error:  # names this file system refuses, say
                return artifact, f"cannot be written here ({type(error).__name__}: {error})"
            return artifact, None

        # Downloading, checking the digest, decompressing and writing files let go of the GIL:
        # on a thread of their own, while this one looks at the packages and computes the keys
        # the check needs.
        with ThreadPoolExecutor(1, thread_name_prefix="prebundle-restore") as pool:
            downloading = pool.submit(download)
            linked = not all(self._installed(package.dir) for package in self._plan.packages)
            for package in () if linked else self._plan.packages:
                self._key(package, build_digest)
            artifact, problem = downloading.result()
        if linked:  # its key does not follow its source: never shared (nor offered: a miss, usually)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            return None
        if artifact is None:
            return None
        deps_dir = self.config.deps_dir
        metadata = None
        if problem is None:
            try:
                metadata = read_metadata(staging)
                problem = self._snapshot_problem(metadata, staging, artifact.sizes())
            except (OSError, ValueError) as error:
                problem = f"cannot be read here ({type(error).__name__}: {error})"
        if problem is not None or metadata is None:
            log.warning("warning: remote cache %s: the deps dir it has for this project %s; building it here",
                        shared.remote.description, problem)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            return None
        try:
            commit_dir(staging, deps_dir)
        except OSError as error:
            raise _write_failure(error, deps_dir) from None
        self._restored = True
        shared.stats.restored = True
        shared.adopt(deps_dir, metadata.packages.values())  # this machine's now, package by package
        warnings = tuple(w for record in metadata.packages.values() for w in record.warnings)
        for warning in warnings:
            log.warning("warning: %s", warning)
        sizes = {name: info.size for record in metadata.packages.values() for name, info in record.files.items()}
        return OptimizeResult(
            deps_dir=deps_dir, up_to_date=False, ids=tuple(metadata.optimized), built=(),
            reused=tuple(sorted(record.label for record in metadata.packages.values())),
            files=len(sizes), bytes=sum(sizes.values()), browser_hash=metadata.browser_hash,
            warnings=warnings + self._unbundled.warnings, seconds=time.perf_counter() - self.started,
            cache=shared.report().to_json(),
        )

    def offer_snapshot(self) -> bool:
        """After a run that built or assembled the deps dir: hand it to the remote's uploader,
        for the next machine with the same inputs (read now: the next run may replace it).
        Whether it was queued."""
        shared = self._shared
        if shared is None or shared.remote is None or shared.remote.read_only or self._restored:
            return False
        if not all(self._installed(build.package.dir) for build in self._builds):
            return False  # a linked package's build is never shared
        from .deps_snapshot import snapshot_files, snapshot_record

        key = self._snapshot_key()
        try:
            files = snapshot_files(self.config.deps_dir)
        except OSError:
            return False  # replaced or removed already: nothing to offer
        if not shared.remote.upload(key, files, snapshot_record(key)):
            return False
        shared.stats.uploads += 1
        return True

    def _stored(self) -> None:
        """Wait until this run's builds are in the machine-wide cache (``_store_later``)."""
        if self._storing is not None:
            self._storing.shutdown(wait=True)
            self._storing = None

    def cache_report(self) -> dict[str, Any] | None:
        """What the package cache's tiers did in this run so far (``CacheStats.to_json``), its
        builds stored."""
        self._stored()
        return self._shared.report().to_json() if self._shared is not None else None

    def _snapshot_key(self) -> str:
        from .deps_snapshot import snapshot_key

        return snapshot_key(self._hashes.digest, self._plan.ids, self.config.mode)

    def _snapshot_problem(self, metadata: Metadata | None, staging: Path, files: Mapping[str, int]) -> str | None:
        """What makes a downloaded deps dir unfit to serve for this run, in a few words. Its
        records are checked as a stranger's: their keys and file names (they become entries of
        the machine-wide cache), the packages they name (installed here, at those versions), and
        the keys of the packages the plan holds (as this machine computes them). ``files``: the
        size of each file written into ``staging``."""
        from .deps_snapshot import PACKAGE_KEY
        from .remote.artifact import unsafe_name

        if metadata is None:
            return "has no readable _metadata.json"
        if metadata.hash != self._hashes.hash or metadata.mode != self.config.mode:
            return "was made from other inputs"
        missing = sorted(set(self._plan.ids) - set(metadata.optimized))
        if missing:
            return f"lacks {', '.join(missing[:3])}"
        for where, record in metadata.packages.items():
            if not PACKAGE_KEY.fullmatch(record.key) or any(unsafe_name(name) or name not in files
                                                            for name in record.files):
                return f"has a record of another shape ({record.label})"
            if not self._installed_as(self.config.deps_dir / where, record):
                return f"was made with {record.label}, which is not installed here as it was there"
        if any(unsafe_name(name) or name not in files for name in metadata.documents):
            return "has a record of another shape (documents)"
        build_digest = self._hashes.build_digest
        for package in self._plan.packages:
            record = metadata.packages.get(package_record_key(package.dir, self.config.deps_dir))
            if record is None or record.key != self._key(package, build_digest):
                return f"holds another build of {package.label}"
        fault = metadata.fault(staging, files)
        if fault is not None:
            return f"is damaged ({fault})"
        if importmap_differs(staging, metadata, self.config.base, self._unbundled):
            return "maps packages served as they are to other files"
        return None

    def _installed_as(self, package_dir: Path, record: PackageRecord) -> bool:
        """Whether the package a restored record was built from is installed here: a package
        folder inside ``node_modules``, of that name and version."""
        try:
            if not self._installed(package_dir):
                return False
            manifest = self.resolver.package_json(Path(self.resolver.realpath(str(package_dir))))
        except (OSError, ValueError, ResolveError):
            return False
        return manifest.get("name") == record.name and manifest.get("version") == record.version

    def _installed(self, package_dir: Path) -> bool:
        """``shared_cache.installed``, on the resolver's cached real paths (asked for every
        package of every run)."""
        return installed(package_dir, realpath=self.resolver.realpath)

    def _shared_for_run(self) -> SharedCache | None:
        """This run's machine-wide cache (one per run: it counts what the run took)."""
        if self._shared is None:
            self._shared = self._shared_cache()
        return self._shared

    def _store_later(self, shared: SharedCache, build: PackageBuild) -> None:
        """Put a fresh build into the machine-wide cache on a thread of its own: writing its
        files overlaps the builds still to run instead of holding up the next wave (about
        150 ms for the bench app's first run). :meth:`_stored` waits for it."""
        if self._storing is None:
            self._storing = ThreadPoolExecutor(1, thread_name_prefix="prebundle-store")

        def store() -> None:
            if not bundles_workers(build.file_infos):  # not shared: see ``bundles_workers``
                shared.put(build, package_record(build))

        self._storing.submit(store)

    def keep_machine_cache_in_bounds(self) -> None:
        """After a run that stored packages in the machine-wide cache (once they are all
        stored): its size limit, checked at most once a day (``cache_housekeeping.maybe_prune``;
        one ``stat`` otherwise). A cache this run began holds nothing to prune: its first check
        is a day later."""
        self._stored()
        if self._shared is not None and self._shared.stats.stored:
            base = self._shared.directory.parent
            if self._shared.new and start_prune_clock(base) or not prune_due(base):
                return
            from .cache_housekeeping import maybe_prune

            maybe_prune(base)

    # -- bundling until the plan is closed ----------------------------------------------------

    def _build_closed(self, plan: Plan, staging: Path, writer: StagingWriter) -> list[PackageBuild]:
        """Build (or reuse) every package of the plan, adding the packages the builds import
        until nothing new appears. What earlier builds of the same packages imported (this
        project's last output, the machine-wide cache) is planned up front, so the packages
        they lead to are built in the same pass instead of one pass per level of imports; an
        id planned that way that nothing imports after all is dropped again."""
        previous, cfg_hash = self._previous, self._hashes.build_digest
        bundler = None  # made for the first package to build (``_bundler``)
        shared = self._shared_for_run()
        asked = set(plan.ids)
        plan = self._predicted(plan, previous, shared, cfg_hash)
        builds: dict[Path, PackageBuild] = {}
        while True:
            todo = []
            for package in plan.packages:
                key = self._key(package, cfg_hash)
                current = builds.get(package.dir)
                if current is not None and current.key == key:
                    continue
                reused = self._reuse(package, key, previous)
                if reused is not None:
                    self.warned_before.add(package.dir)  # this project saw its warnings already
                else:
                    self.warned_before.discard(package.dir)
                    if shared is not None and not self.force and self._installed(package.dir):
                        reused = shared.get(package, key)
                        if reused is not None and bundles_workers(reused.file_infos):
                            reused = None  # not shared: see ``bundles_workers``
                        if reused is not None and not self._same_undeclared(reused):
                            reused = None  # built where what it imports was installed otherwise
                if reused is not None:
                    builds[package.dir] = reused
                else:
                    todo.append((package, key))
            if todo and bundler is None:
                bundler = self._bundler(staging)
            for build in self._build(bundler, todo, done=len(plan.packages) - len(todo), total=len(plan.packages),
                                     on_built=writer.add):
                builds[build.package.dir] = build
                if shared is not None and self._installed(build.package.dir) and not shared.has_everywhere(build.key):
                    self._store_later(shared, build)
            added = self._externals(builds.values(), plan)
            if added:
                plan = plan_ids([*plan.ids.values(), *added])
                continue
            needed = _needed(asked, plan, builds)
            if len(needed) == len(plan.ids):
                return [builds[package.dir] for package in plan.packages]
            plan = plan_ids([planned for id_, planned in plan.ids.items() if id_ in needed])

    def _bundler(self, staging: Path) -> PackageBundler:
        """The bundler of this run's builds into ``staging``, on this run's esbuild service (and,
        in a command's run, companions: ``bundle.services``): only a run with a package to build
        loads it (and the esbuild client) and starts the service."""
        from .bundle import PackageBundler

        if self.service is None:
            self.service = esbuild.get_service(self.config.root)
            self._service_started_here = self.service.pid is None
        # a limit of the user's on Go's heap or threads is per process: one process keeps it
        allowed = self._one_shot and self._service_started_here \
            and not _go_settings(self.service.env, names=("GOGC", "GOMEMLIMIT", "GOMAXPROCS"))
        bundler = PackageBundler(self.config, self.resolver, self.service, staging=staging,
                                 interop_cache=self._interop_cache(), rule=self._rule,
                                 companion=self._companion if allowed else None,
                                 most_services=MAX_CONCURRENT_BUILDS)
        self._leases.append(bundler.services)
        return bundler

    def _processes(self, groups: int) -> int:
        """How many service processes the run's builds may go to: two in a command's run that
        started its service, when it has two groups to build at once (a daemon's service, or a
        caller's, is shared as it is; so is one given Go settings of the caller's own)."""
        if not self._leases or self._leases[-1].shared:
            return 1
        return min(MAX_CONCURRENT_BUILDS, groups)

    def _companion(self) -> esbuild.Service:
        """A second service like this run's, for a build beside the one on it."""
        primary = self.service
        assert primary is not None
        return esbuild.Service(primary.binary, version=primary.version, cwd=primary.cwd,
                               stderr=primary.stderr, log_level=primary.log_level,
                               max_callback_workers=primary.max_callback_workers, env=primary.env)

    def _close_companions(self) -> None:
        for lease in self._leases:
            lease.close_companions()

    def _build(self, bundler: PackageBundler | None, todo: list[tuple[PlannedPackage, str]], *, done: int,
               total: int, on_built: Callable[[list[PackageBuild]], None] | None = None) -> list[PackageBuild]:
        """Build ``todo`` in groups, ``MAX_CONCURRENT_BUILDS`` at a time (``bundler``: None only
        when there is nothing to build); ``on_built`` gets each group's builds as it returns."""
        self._progress(done, total)
        if not todo:
            return []
        built: list[PackageBuild] = []
        errors: list[BundleError] = []
        service_failures: list[tuple[str, EsbuildError]] = []
        groups = self._groups(todo)
        if self._service_memory_pending:
            self._set_service_memory(groups)
        returned: dict[int, list[PackageBuild]] = {}
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_BUILDS, len(groups))) as pool:
            futures = {pool.submit(_timed, bundler.build_group, group): index for index, group in enumerate(groups)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    group_builds, seconds = future.result()
                except (BundleError, EsbuildError):
                    continue  # said below, in the groups' order
                returned[index] = group_builds
                if on_built is not None:
                    on_built(group_builds)
                self._build_ms.update(build_ms_shares(group_builds, seconds))
                done += len(groups[index])
                self._progress(done, total)
        for future, index in futures.items():  # results and failures in the groups' order
            if index in returned:
                built.extend(returned[index])
                continue
            try:
                future.result()
            except BundleError as error:
                errors.append(error)
            except EsbuildError as error:  # the service rejected the options, or stopped
                service_failures.append((", ".join(p.label for p, _ in groups[index]), error))
        if service_failures:
            raise PrebundleError(_service_failure(service_failures))
        if errors:
            raise PrebundleError(_describe_failures(errors))
        return built

    def _groups(self, todo: list[tuple[PlannedPackage, str]]) -> list[list[tuple[PlannedPackage, str]]]:
        """Packages split into builds of about ``GROUP_BYTES`` of output each, at least two when
        there are two packages (both cores busy), the biggest first (longest builds start first)."""
        sizes = {package.dir: self._expected_size(package, key) for package, key in todo}
        total = sum(sizes.values())
        count = max(min(2, len(todo)), min(len(todo), -(-total // GROUP_BYTES)))
        groups: list[tuple[int, list[tuple[PlannedPackage, str]]]] = [(0, []) for _ in range(count)]
        for package, key in sorted(todo, key=lambda item: (-sizes[item[0].dir], item[0].name)):
            index = min(range(count), key=lambda i: groups[i][0])
            size, members = groups[index]
            groups[index] = (size + sizes[package.dir], [*members, (package, key)])
        return [members for _size, members in sorted(groups, key=lambda g: -g[0]) if members]

    def _set_service_memory(self, groups: list[list[tuple[PlannedPackage, str]]]) -> None:
        """Go's collector settings for a one-shot run's service, from the first builds' expected
        output (``bundle.go_memory``); once, and only while the service has not started."""
        from .bundle.go_memory import held_at_once, service_env

        self._service_memory_pending = False
        if self.service is None or self.service.pid is not None:
            return
        if _go_settings(self.service.env):
            return  # the caller's own settings
        processes = self._processes(len(groups))
        if processes == 1 and self._leases:
            self._leases[-1].share_one()  # the setting is for one process: a later wave adds none
        sizes = None
        if all(self._hints.get(key) is not None for group in groups for _package, key in group):
            sizes = [sum(self._expected_size(package, key) for package, key in group) for group in groups]
        env = service_env(held_at_once(sizes, MAX_CONCURRENT_BUILDS, processes), processes=processes)
        if env is not None:
            self._service_env_before = dict(self.service.env or {})
            self.service.env = {**self._service_env_before, **env}

    def _expected_size(self, package: PlannedPackage, key: str) -> int:
        record = self._hints.get(key)
        if record is None:
            return DEFAULT_PACKAGE_BYTES
        return sum(info.size for info in record.files.values()) or DEFAULT_PACKAGE_BYTES

    def _key(self, package: PlannedPackage, cfg_hash: str) -> str:
        ids = tuple(p.id for p in package.ids)
        cached = self._keys.get((package.dir, ids))
        if cached is None:
            identity = self._install.identity(package.dir, package.name, package.version)
            cached = package_key(identity + self._layout(package), ids, cfg_hash,
                                 interop=interop_key(package, self.config, self._rule))
            self._keys[(package.dir, ids)] = cached
        return cached

    def _predicted(self, plan: Plan, previous: Metadata | None, shared: SharedCache | None,
                   cfg_hash: str) -> Plan:
        """``plan`` plus, transitively, the bare imports earlier builds of its packages made
        (records of the same package keys: this project's last output, the machine-wide cache).
        Only a plan; every id is still built or reused on its own merits."""
        while True:
            externals: set[str] = set()
            if shared is not None and not self.force:  # the remote's builds of this wave, side by side
                shared.prefetch(key for package in plan.packages
                                if (key := self._key(package, cfg_hash)) not in self._hints
                                and self._previous_record(package, key, previous) is None)
            for package in plan.packages:
                key = self._key(package, cfg_hash)
                record = self._hint(package, key, previous, shared)
                if record is not None:
                    externals |= _record_externals(record)
            added = self._resolve_ids(sorted(externals - set(plan.ids)), quiet=True)
            if not added:
                return plan
            plan = plan_ids([*plan.ids.values(), *added])

    def _hint(self, package: PlannedPackage, key: str, previous: Metadata | None,
              shared: SharedCache | None) -> PackageRecord | None:
        if key in self._hints:
            return self._hints[key]
        record = self._previous_record(package, key, previous)
        if record is None and shared is not None:
            record = shared.record(key)
        self._hints[key] = record
        return record

    def _previous_record(self, package: PlannedPackage, key: str, previous: Metadata | None) -> PackageRecord | None:
        """This project's last record of ``package``, if it is of the same key."""
        if previous is None:
            return None
        candidate = previous.packages.get(package_record_key(package.dir, self.config.deps_dir))
        return candidate if candidate is not None and candidate.key == key else None

    def _interop_cache(self) -> InteropCache:
        """Interop answers are shared machine-wide when the machine-wide cache is on, else kept
        in the project's cache dir. They are keyed and checked by the content they were computed
        from, so ``--force`` uses them too (see ``interop.cache``)."""
        from .interop import InteropCache

        base = package_cache_dir()
        return InteropCache(base / "interop" if base is not None else self.config.cache_dir / "interop")

    def _shared_cache(self) -> SharedCache | None:
        """The machine-wide cache, unless a plugin that changes code has no ``cache_key``."""
        if self.config.plugins:
            if not shareable(self.config.plugin_container.plugins):
                log.debug("machine-wide cache skipped: a plugin with resolve_id/load/transform has no cache_key")
                return None
        return shared_cache(self.config.remote_cache)

    def _layout(self, package: PlannedPackage) -> str:
        """How the packages this one declares are installed (``install_layout``): part of its key."""
        manifest = self.resolver.package_json(package.dir)
        names = {name for field in ("dependencies", "peerDependencies", "optionalDependencies")
                 for name in (manifest.get(field) or {})}
        return json.dumps([list(placement) for placement in install_layout(self.resolver, self._root,
                                                                          str(package.dir), names)])

    def _same_undeclared(self, build: PackageBuild) -> bool:
        """Whether the packages a reused build imports without declaring them are installed as
        when it was built (``install_layout``): installing, upgrading or moving one rebuilds it."""
        if not build.undeclared:
            return True
        names = [placement[0] for placement in build.undeclared]
        return install_layout(self.resolver, self._root, str(build.package.dir), names) == build.undeclared

    def _reuse(self, package: PlannedPackage, key: str, previous: Metadata | None) -> PackageBuild | None:
        if previous is None:
            return None
        deps_dir = self.config.deps_dir
        record = previous.packages.get(package_record_key(package.dir, deps_dir))
        if record is None:
            return None
        if bundles_workers(record.files) and previous.lockfile_hash != self._hashes.lockfile_hash:
            return None  # its workers bundle other packages in: a changed install may change them
        build = build_from_record(package, key, record, deps_dir)
        return build if build is not None and self._same_undeclared(build) else None

    def _externals(self, builds: Iterable[PackageBuild], plan: Plan) -> list[PlannedId]:
        """Bare imports the bundles left external that are not planned yet, resolved from the root."""
        wanted = sorted({spec for build in builds for spec in build.externals} - set(plan.ids))
        return self._resolve_ids(wanted)

    def _resolve_ids(self, specifiers: Iterable[str], *, quiet: bool = False) -> list[PlannedId]:
        """Specifiers as ids resolved from the root; ``quiet``: skip those that do not resolve
        (a guess about imports), else they are an error."""
        added = []
        for spec in specifiers:
            if is_excluded(spec, self.config.exclude):
                continue
            try:
                resolution = self.resolver.resolve(spec, self.config.root / "index.html")
            except ResolveError as error:
                if quiet:
                    continue
                raise PrebundleError(f"a dependency imports {spec!r}, which does not resolve: {error}") from None
            if resolution.entry is not None and resolution.kind == "js":
                added.append(PlannedId(spec, resolution.entry, resolution.package_name,
                                       resolution.package_dir, resolution.version))
        return added

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)

    # -- publishing ---------------------------------------------------------------------------

    def _publish(self, builds: list[PackageBuild], staging: Path, writer: StagingWriter) -> _Published:
        """Place every output file into ``staging`` (each once; ``writer`` wrote the fresh
        builds' files already, as they returned), then the JSON files."""
        kept: dict[str, tuple[bytes | Path, FileInfo]] = {}
        for build in builds:
            for name, info in build.file_infos.items():
                if name in kept:
                    # Content-hashed names (esbuild's runtime helpers, say) can come from two
                    # packages: the same bytes, so one file.
                    if kept[name][1] != info:
                        raise PrebundleError(f"{build.package.label}: writes {name}, which another "
                                             "package wrote with other content; run with --force")
                    continue
                kept[name] = (build.files[name], info)
        drafts = writer.finish()
        folders = writer.folders  # made already: most files sit side by side in the deps dir
        reconcile(kept, drafts, staging, folders)
        written = {name: info for name, (_content, info) in kept.items()}
        for leftover in staging.glob(".build-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        rendered = render(builds, deps_dir=self.config.deps_dir, base=self.config.base,
                          mode=self.config.mode, hashes=self._hashes, version=__version__,
                          unbundled=self._unbundled)
        for name, data in rendered.files.items():
            place(data, staging, name, folders)
        note_written(rendered.files[METADATA], rendered.metadata)
        return _Published(rendered.metadata, len(written), sum(info.size for info in written.values()))


_WRITE_HINTS = {
    errno.ENOSPC: "free some disk space, or set cache_dir in the config to another disk",
    errno.EDQUOT: "the disk quota is used up: free some space, or set cache_dir in the config to another disk",
    errno.EFBIG: "a file size limit (ulimit -f) is smaller than a bundle: raise it",
    errno.EROFS: "a read-only file system: set cache_dir in the config to a writable folder",
    errno.EACCES: "check its permissions, or set cache_dir in the config to a writable folder",
    errno.EPERM: "check its permissions, or set cache_dir in the config to a writable folder",
}


def _write_failure(error: OSError, deps_dir: Path) -> Exception:
    """A write of the new output failed (a full disk, a file size limit): one line saying so
    and that the previous output is kept. Other errors pass through unchanged."""
    hint = _WRITE_HINTS.get(error.errno or 0)
    if hint is None:
        return error
    return PrebundleError(f"{deps_dir}: cannot write the new output: {error.strerror or error} ({hint}); "
                          "the previous output is kept")


def _timed(build_group: Callable[[list], list[PackageBuild]], group: list) -> tuple[list[PackageBuild], float]:
    """A group's builds and the seconds its esbuild build took (for the run history). (Their
    file hashes, ``file_infos``, are taken by the staging writer, which reads them first: on
    this thread they would hold up the next group's build.)"""
    started = time.perf_counter()
    builds = build_group(group)
    return builds, time.perf_counter() - started


def _needed(asked: set[str], plan: Plan, builds: dict[Path, PackageBuild]) -> set[str]:
    """The ids the app asked for and, transitively, those their bundles import."""
    needed: set[str] = set()
    pending = [id_ for id_ in asked if id_ in plan.ids]
    while pending:
        id_ = pending.pop()
        if id_ in needed:
            continue
        needed.add(id_)
        build = builds[plan.ids[id_].package_dir]
        pending.extend(spec for spec in build.externals_of(id_) if spec in plan.ids)
    return needed


def _record_externals(record: PackageRecord) -> set[str]:
    """Every bare import a recorded build made (its entries' and chunks' externals)."""
    found: set[str] = set()
    for item in (*record.entries.values(), *record.chunks.values()):
        found.update(item.externals)
    return found


def _service_failure(failures: list[tuple[str, Exception]]) -> str:
    """One line for a service that failed under every build in flight (a bad option, a crash)."""
    label, error = failures[0]
    text = " ".join(str(error).split()) or type(error).__name__
    others = _and_more(len(failures) - 1)
    if isinstance(error, ServiceStopped):  # killed or crashed: no option of the user's is at fault
        return (f"the esbuild service stopped while building {label}{others}: {text}; the previous "
                "output is kept (the next run starts a new service)")
    return (f"esbuild failed while building {label}{others}: {text}; the previous output is kept "
            "(check esbuild_options and target in the config, then run again)")


def _and_more(count: int) -> str:
    return "" if count <= 0 else f" and {count} more package{'s' if count > 1 else ''}"


def _describe_failures(errors: list[BundleError]) -> str:
    """One line per distinct failure: a message that every package got (a bad option, a
    stopped service) is said once, naming how many packages it stopped."""
    by_message: dict[str, list[str]] = {}
    for error in errors:
        for label, line in error.failures:
            by_message.setdefault(line, []).append(label)
    lines = []
    for message, packages in by_message.items():
        packages = list(dict.fromkeys(packages))
        who = packages[0] + _and_more(len(packages) - 1)
        lines.append(f"esbuild: {who}: {message}")
    return "\n".join(lines)
