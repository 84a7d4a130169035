"""``optimize``: scan → plan → hash → bundle → commit → publish, for the CLI and the daemon.

The run holds the cache dir's lock throughout. Nothing changed → no esbuild work at all. Else
each package whose cache key (identity, ids, config hash) is unchanged keeps its files; the
others are built concurrently on one esbuild service. Bare imports that the bundles leave
external join the plan until it is closed. The new deps dir is staged and swapped in
atomically, so a failure or a kill leaves the previous output served.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .bundle import BundleError, PackageBuild, PackageBundler
from .commit import OutputLock, commit_dir, new_staging_dir, recover
from .config import Config
from .errors import MissingDependencyError, PrebundleError
from .hashing import InstallState, config_hash, file_hash, hash_of, lockfile_hash, package_key
from .plan import Plan, PlannedId, is_excluded, make_plan, plan_ids
from .publish import (
    METADATA, Metadata, build_from_record, package_record, package_record_key, read_metadata, render,
)
from .shared_cache import shared_cache

__all__ = ["OptimizeResult", "missing_error", "optimize"]

log = logging.getLogger("prebundle.optimizer")

MAX_CONCURRENT_BUILDS = 8
"""Package builds in flight on the esbuild service (esbuild parallelises inside each)."""


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


def missing_error(scan_result) -> MissingDependencyError:
    """One line per missing specifier: where it is imported, what is wrong, then what to do."""
    from .specifiers import split_package

    lines = []
    for spec, missing in scan_result.missing.items():
        first, others = missing.importers[0], missing.importers[1:]
        also = ""
        if others:
            also = f" (also imported by {', '.join(others[:3])}{', ...' if len(others) > 3 else ''})"
        lines.append(f"{first}: cannot resolve {spec!r}: {missing.reason}{also}")
    names = sorted({split_package(spec)[0] for spec in scan_result.missing})
    lines.append(f"install the missing packages with: npm install {' '.join(names)}")
    return MissingDependencyError("\n".join(lines))


def optimize(
    config: Config,
    *,
    force: bool = False,
    scan_result=None,
    resolver=None,
    service=None,
    on_progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> OptimizeResult:
    """Bring ``config.deps_dir`` up to date with the app's imports. Raises ``PrebundleError``
    (one line per problem) and leaves the previous output in place when anything fails."""
    started = time.perf_counter()
    if resolver is None:
        from .resolve import Resolver

        resolver = Resolver(config.root, mode=config.mode, conditions=config.conditions,
                            main_fields=config.main_fields)
    if scan_result is None:
        from .scanner import scan

        scan_result = scan(config, resolver=resolver)
    if scan_result.missing:
        raise missing_error(scan_result)

    with OutputLock(config.cache_dir, on_wait=on_wait):
        recover(config.cache_dir)
        run = _Run(config, resolver, service, force, on_progress)
        return run.execute(scan_result, started)


class _Run:
    """One optimize run with the lock held."""

    def __init__(self, config: Config, resolver, service, force: bool, on_progress) -> None:
        self.config = config
        self.resolver = resolver
        self.service = service
        self.force = force
        self.on_progress = on_progress
        self.warned_before: set[Path] = set()
        """Packages reused from this project's previous output; a build from the machine-wide
        cache is new to the project, so its build-time warnings are shown again."""

    def execute(self, scan_result, started: float) -> OptimizeResult:
        from . import esbuild

        config = self.config
        deps_dir = config.deps_dir
        if self.service is None:
            self.service = esbuild.get_service(config.root)
        hashes = {"configHash": config_hash(config, esbuild_version=self.service.version,
                                            prebundle_version=__version__),
                  "lockfileHash": lockfile_hash(config.root)}
        hashes["hash"] = hash_of(hashes["configHash"], hashes["lockfileHash"])
        previous = None if self.force else read_metadata(deps_dir)
        plan = make_plan(config, scan_result, self.resolver)

        if previous is not None and previous.hash == hashes["hash"] and set(plan.ids) <= set(previous.optimized):
            optimized = previous.optimized
            return OptimizeResult(deps_dir, True, tuple(optimized), (), (), _count_files(previous), 0,
                                  previous.data.get("browserHash", ""), (),
                                  time.perf_counter() - started)

        staging = new_staging_dir(config.cache_dir)
        try:
            builds = self._build_closed(plan, previous, hashes["configHash"], staging)
            result = self._publish(builds, hashes, staging)
            if config.mode == "production":  # static servers can send .br/.gz as they are
                from .integrations.compress import precompress

                precompress(staging, reuse_from=deps_dir if deps_dir.is_dir() else None)
            commit_dir(staging, deps_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        built = tuple(sorted(b.package.label for b in builds if not b.reused))
        reused = tuple(sorted(b.package.label for b in builds if b.reused))
        warnings = tuple(w for b in builds if b.package.dir not in self.warned_before for w in b.warnings)
        for warning in warnings:
            log.warning("warning: %s", warning)
        return OptimizeResult(deps_dir, False, result["ids"], built, reused, result["files"],
                              result["bytes"], result["browserHash"], warnings,
                              time.perf_counter() - started)

    # -- bundling until the plan is closed ----------------------------------------------------

    def _build_closed(self, plan: Plan, previous: Metadata | None, cfg_hash: str,
                      staging: Path) -> list[PackageBuild]:
        bundler = PackageBundler(self.config, self.resolver, self.service, staging=staging)
        install = InstallState(self.config.root)
        shared = None if self.force else shared_cache()
        builds: dict[Path, PackageBuild] = {}
        done = 0
        while True:
            todo = []
            for package in plan.packages:
                identity = install.identity(package.dir, package.name, package.version)
                key = package_key(identity + self._layout(package), [p.id for p in package.ids], cfg_hash)
                current = builds.get(package.dir)
                if current is not None and current.key == key:
                    continue
                reused = self._reuse(package, key, previous)
                if reused is not None:
                    self.warned_before.add(package.dir)  # this project saw its warnings already
                else:
                    self.warned_before.discard(package.dir)
                    if shared is not None:
                        reused = shared.get(package, key)
                if reused is not None:
                    builds[package.dir] = reused
                    done += 1
                else:
                    todo.append((package, key))
            total = done + len(todo)
            self._progress(done, total)
            if todo:
                with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_BUILDS, len(todo))) as pool:
                    futures = [pool.submit(bundler.build, package, key) for package, key in todo]
                    errors = []
                    for future in futures:
                        try:
                            build = future.result()
                        except BundleError as error:
                            errors.append(error)
                            continue
                        builds[build.package.dir] = build
                        writer = shared_cache()
                        if writer is not None:
                            writer.put(build, package_record(build))
                        done += 1
                        self._progress(done, total)
                if errors:
                    raise PrebundleError("\n".join(
                        f"esbuild: {error.package}: {line}" for error in errors for line in error.messages
                    ))
            added = self._externals(builds.values(), plan)
            if not added:
                return [builds[package.dir] for package in plan.packages]
            plan = plan_ids([*plan.ids.values(), *added])

    def _layout(self, package) -> str:
        """How the packages this one depends on are installed (version, hoisted or nested): the
        bundle keeps hoisted ones external and bundles nested ones, so a change must rebuild."""
        manifest = self.resolver.package_json(package.dir)
        names = sorted({name for field in ("dependencies", "peerDependencies", "optionalDependencies")
                        for name in (manifest.get(field) or {})})
        layout = []
        for name in names:
            found = self.resolver.find_package_dir(name, package.dir)
            if found is None:
                layout.append((name, None, None))
                continue
            hoisted = self.resolver.find_package_dir(name, self.config.root)
            same = hoisted is not None and os.path.realpath(hoisted) == os.path.realpath(found)
            layout.append((name, self.resolver.package_json(found).get("version"), same))
        return json.dumps(layout)

    def _reuse(self, package, key: str, previous: Metadata | None) -> PackageBuild | None:
        if previous is None:
            return None
        record = previous.packages().get(package_record_key(package.dir, previous.deps_dir))
        return build_from_record(package, key, record, previous.deps_dir) if record else None

    def _externals(self, builds: Iterable[PackageBuild], plan: Plan) -> list[PlannedId]:
        """Bare imports the bundles left external that are not planned yet, resolved from the root."""
        from .resolve import ResolveError

        wanted = sorted({spec for build in builds for spec in build.externals} - set(plan.ids))
        added = []
        for spec in wanted:
            if is_excluded(spec, self.config.exclude):
                continue
            try:
                resolution = self.resolver.resolve(spec, self.config.root / "index.html")
            except ResolveError as error:
                raise PrebundleError(f"a dependency imports {spec!r}, which does not resolve: {error}") from None
            if resolution.entry is not None:
                added.append(PlannedId(spec, resolution.entry, resolution.package_name,
                                       resolution.package_dir, resolution.version))
        return added

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)

    # -- publishing ---------------------------------------------------------------------------

    def _publish(self, builds: list[PackageBuild], hashes: dict[str, str], staging: Path) -> dict:
        file_hashes: dict[str, str] = {}
        total_bytes = 0
        for build in builds:
            for name, content in build.files.items():
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    _link_or_copy(content, target)
                    data = target.read_bytes()
                else:
                    target.write_bytes(content)
                    data = content
                file_hashes[name] = file_hash(data)
                total_bytes += len(data)
        for leftover in staging.glob(".build-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        documents = render(builds, deps_dir=self.config.deps_dir, base=self.config.base,
                           mode=self.config.mode, hashes=hashes, file_hashes=file_hashes,
                           version=__version__)
        for name, data in documents.items():
            (staging / name).write_bytes(data)
        metadata = json.loads(documents[METADATA])
        return {"ids": tuple(metadata["optimized"]), "files": len(file_hashes),
                "bytes": total_bytes, "browserHash": metadata["browserHash"]}


def _link_or_copy(source: Path, target: Path) -> None:
    """Reuse an unchanged file: files are never modified in place, so a hard link is safe."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _count_files(metadata: Metadata) -> int:
    return sum(len(p.get("files", ())) for p in metadata.packages().values())
