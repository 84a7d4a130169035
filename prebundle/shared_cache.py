"""The machine-wide cache of built packages: a second project with the same package versions
and options reuses the bundles instead of running esbuild again.

Each entry is a folder ``<cache>/packages/<key>/`` with the package's output files and a
``record.json`` describing them. The key covers the package's identity (name, version,
lockfile integrity, patches), its entry ids, the config hash and the versions of the packages
it imports as the project installed them (so a different hoisting gives a different key). An
entry is written into a temp folder and renamed into place, so concurrent writers are safe: the
first rename wins and the others drop their copy.

Location: ``packages/`` in the machine-wide cache folder (``machine_cache.py``);
``PREBUNDLE_CACHE_DIR=off`` turns it off.

Behind it, when one is configured, the team's remote cache (``remote/``): a local miss asks the
remote and stores what it downloads here (read-through); a fresh build is handed to the
remote's uploader, which sends it in the background (write-behind). The remote needs this cache:
with it off, there is no remote either. One ``SharedCache`` serves one run and counts what each
tier did (``cache_stats.py``).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import entry_stamps
from .bundle import PackageBuild
from .cache_marks import mark_used
from .cache_stats import CacheStats
from .commit import link_or_copy, make_temp_dir
from .config import RemoteCacheConfig
from .errors import PrebundleError
from .machine_cache import package_cache_dir
from .metadata import MetadataError, PackageRecord, bundles_workers
from .plan import PlannedPackage
from .records import build_from_record

if TYPE_CHECKING:
    from .remote import RemoteSettings, RemoteTier

__all__ = ["SharedCache", "finish_adopting", "installed", "remote_tier", "shared_cache"]

log = logging.getLogger("prebundle.cache")

FORMAT = 3
"""Version of ``record.json``; entries of another format are ignored."""


def installed(package_dir: Path, *, realpath: Callable[[str], str] = os.path.realpath) -> bool:
    """Whether a package's files are an install (inside a ``node_modules`` folder, by its real
    path: ``Resolution.linked`` without ``preserve_symlinks``' exception). A linked or workspace
    package's key does not follow edits of its source, so its build is never taken from, nor
    put into, a cache shared with other projects or machines."""
    return "node_modules" in Path(realpath(str(package_dir))).parts


_adopting: list[threading.Thread] = []
"""Threads keeping a restored deps dir's packages as entries (``SharedCache.adopt``)."""


def finish_adopting() -> None:
    """Wait until the packages of restored deps dirs are kept here: before a run reads or
    replaces a deps dir (they are linked from it), and before the process exits."""
    while _adopting:
        _adopting.pop().join()


@functools.cache
def _finish_before_exit() -> None:
    import atexit

    atexit.register(finish_adopting)


NO_REMOTE = RemoteCacheConfig()
"""The config without a remote (the environment may still name one)."""


def shared_cache(remote: RemoteCacheConfig = NO_REMOTE) -> SharedCache | None:
    """The machine-wide package cache for one run, with the remote tier configured by ``remote``
    and the environment; None when the machine-wide cache is turned off."""
    base = package_cache_dir()
    return SharedCache(base, remote=remote_tier(remote)) if base is not None else None


_tiers: dict[RemoteSettings, RemoteTier] = {}
"""Remote tiers opened by this process, by settings: the daemon's runs share one (its
connections and its uploader thread)."""


def remote_tier(config: RemoteCacheConfig = NO_REMOTE) -> RemoteTier | None:
    """The remote tier the environment and ``config`` ask for, or None. A bad URL or setting is
    the user's error, said in one line: a CI job must not silently lose its team cache."""
    if not config.url and not os.environ.get("PREBUNDLE_REMOTE_CACHE"):
        return None  # the common case: no remote, and OpenDAL is never imported
    from .remote import RemoteConfigError, RemoteSettings, open_remote

    try:
        settings = RemoteSettings.from_env(url=config.url, read_only=config.read_only, timeout=config.timeout,
                                           require_signature=config.require_signature)
        tier = _tiers.get(settings)
        if tier is None and settings.url:
            tier = open_remote(settings)
            if tier is not None:
                _tiers[settings] = tier
                import atexit

                atexit.register(tier.flush)  # a CLI run's uploads finish after its output is written
    except RemoteConfigError as error:
        message = str(error)
        if "PREBUNDLE_REMOTE_CACHE" not in message:  # say where the bad value came from
            where = "PREBUNDLE_REMOTE_CACHE" if os.environ.get("PREBUNDLE_REMOTE_CACHE") else "config remote_cache"
            message = f"{where}: {message}"
        raise PrebundleError(message) from None
    return tier


class SharedCache:
    """Reads and writes never fail a run: the cache is an optimisation. The first error (a
    folder that is not writable or searchable, a full disk) is reported once, and the cache is
    skipped for the rest of the process."""

    _broken: set[Path] = set()
    """Cache folders found unusable in this process."""

    def __init__(self, directory: Path, *, remote: RemoteTier | None = None) -> None:
        self.directory = directory / "packages"
        self.remote = remote
        self.stats = CacheStats(remote=remote.description if remote is not None else None)
        self._asked_remote: set[str] = set()
        """Keys this run asked the remote for: a miss stays a miss until the next run."""
        self._downloaded: set[str] = set()
        """Keys this run stored from the remote (their reuse counts as a remote hit)."""
        self._records: dict[str, PackageRecord] = {}
        """Records ``record`` read this run, for ``get`` to check the entry's files against
        without reading and parsing ``record.json`` a second time (those ``get`` never asks
        for, a package reused from the project's own deps dir, stay until the run ends)."""
        self._made_directory = False
        """Whether this run made sure ``directory`` exists (once, not per entry stored)."""
        self.new = False
        """Whether ``directory`` was made by this run: the cache holds nothing older than it."""
        if remote is not None:
            remote.begin_run()

    def get(self, package: PlannedPackage, key: str) -> PackageBuild | None:
        """The build stored under ``key``, its files checked against their recorded sizes and
        hashes; None when absent or damaged. A local miss asks the remote, if there is one."""
        if self.directory in self._broken:
            return None
        build = self._get_local(package, key)
        if build is None and self._download(key):
            build = self._get_local(package, key)
        if build is None or key in self._downloaded:  # a download was a miss here
            self.stats.local_misses += 1
        else:
            self.stats.local_hits += 1
            self.stats.local_bytes += sum(info.size for info in build.checked.values())
        return build

    def _get_local(self, package: PlannedPackage, key: str) -> PackageBuild | None:
        folder = self.directory / key
        parsed = self._records.pop(key, None)  # read by ``record`` for the plan: entries are written once
        if parsed is None:
            try:
                record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
            except FileNotFoundError:
                return None
            except PermissionError as error:
                self._give_up(error)
                return None
            except (OSError, ValueError, RecursionError):
                return None
            parsed = _parse(record)
        mark_used(folder / "record.json")  # its mtime is the entry's last use, for pruning
        if parsed is None:
            return None
        checked = entry_stamps.check(str(folder), parsed.files)  # stat before reading: a later edit shows
        if checked is None:
            return None
        build = build_from_record(package, key, parsed, folder, unchanged=checked.unchanged)
        if build is not None and len(checked.unchanged) < len(checked.stats):
            entry_stamps.write(str(folder), checked)
        return build

    def has(self, key: str) -> bool:
        """Whether an entry of ``key`` is here (unchecked: ``get`` checks it before any reuse)."""
        return self.directory not in self._broken and os.path.exists(self.directory / key / "record.json")

    def record(self, key: str) -> PackageRecord | None:
        """The record of the build stored under ``key``, unchecked: a hint of what that build
        imports and weighs, for planning (its files are checked by ``get``, before any reuse)."""
        if self.directory in self._broken:
            return None
        try:
            record = json.loads((self.directory / key / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        parsed = _parse(record)
        if parsed is not None:
            self._records[key] = parsed
        return parsed

    def prefetch(self, keys: Iterable[str]) -> None:
        """Download, a few at a time, the remote's builds of the keys this machine lacks, so the
        plan sees their records and ``get`` finds them here: one round of parallel requests per
        level of imports instead of one request after another."""
        if self.remote is None or self.directory in self._broken:
            return
        missing = [key for key in dict.fromkeys(keys)
                   if key not in self._asked_remote and not self.has(key)]
        if not missing:
            return
        self._asked_remote.update(missing)
        for key, artifact in self.remote.fetch_many(missing).items():
            self._store_download(key, artifact.files, artifact.record)

    def _download(self, key: str) -> bool:
        """Ask the remote for ``key`` (once a run) and store its build here; whether it did."""
        if self.remote is None or key in self._asked_remote:
            return False
        self._asked_remote.add(key)
        artifact = self.remote.fetch(key)
        return artifact is not None and self._store_download(key, artifact.files, artifact.record)

    def _store_download(self, key: str, files: Mapping[str, bytes | memoryview], record: Mapping[str, Any]) -> bool:
        """Store a verified download: only the files its record lists (``get`` checks their
        hashes again before any reuse), and only a record of this key and format."""
        parsed = _parse(record)
        if parsed is None or parsed.key != key or not set(parsed.files) <= set(files):
            return False
        stored = self._store(key, {name: files[name] for name in parsed.files}, record, download=True)
        if stored:
            self._downloaded.add(key)
        return stored

    def has_everywhere(self, key: str) -> bool:
        """Whether an entry of ``key`` is here and there is no remote to hand it to: a ``put``
        of it would do nothing (one ``lstat``)."""
        return self.remote is None and os.path.lexists(os.path.join(self.directory, key))

    def put(self, build: PackageBuild, record: PackageRecord) -> None:
        """Store a fresh build, and hand it to the remote's uploader; never raises."""
        if self.directory in self._broken:
            return
        record_json = {**record.to_json(), "format": FORMAT}
        self._store(build.key, build.files, record_json)
        if self.remote is not None and self.remote.upload(build.key, build.files, record_json):
            self.stats.uploads += 1

    def adopt(self, deps_dir: Path, records: Iterable[PackageRecord]) -> None:
        """Keep the packages of a deps dir that came whole from the remote as entries here too
        (hard links: the deps dir's files are never modified in place), so the next project,
        or this one after a change, finds them without the remote. Done on a thread of its
        own while the run reports its result: ``finish_adopting`` waits for it (the next run
        does, and so does the process before it exits)."""
        if self.directory in self._broken:
            return
        from .deps_snapshot import PACKAGE_KEY

        kept = [record for record in records  # others are never shared (``bundles_workers``), or not keys of ours
                if not bundles_workers(record.files) and PACKAGE_KEY.fullmatch(record.key)
                and not os.path.lexists(self.directory / record.key)]
        try:
            self._make_directory()
        except OSError as error:
            self._give_up(error)
            return
        self.stats.stored += len(kept)  # counted now: the run reports before the thread is done
        thread = threading.Thread(target=self._keep, args=(deps_dir, kept), name="prebundle-adopt", daemon=True)
        _adopting.append(thread)
        thread.start()
        _finish_before_exit()

    def _keep(self, deps_dir: Path, records: list[PackageRecord]) -> None:
        """One thread, one entry after another: more threads only queue up on the cache
        folder's lock (134 entries: 92 ms alone, 116 ms on four threads)."""
        folder = str(deps_dir)
        for record in records:
            if self.directory in self._broken:
                return
            self._store(record.key, {name: os.path.join(folder, name) for name in record.files},
                        {**record.to_json(), "format": FORMAT}, link=True, counted=True)

    def _store(self, key: str, files: Mapping[str, bytes | memoryview | Path | str], record: Mapping[str, Any], *,
               link: bool = False, download: bool = False, counted: bool = False) -> bool:
        """Write an entry atomically (temp folder, then rename); whether it is there now. Files
        are given by their contents or by their paths (``Path`` or ``str``); with ``link``,
        paths are hard-linked (copied where links fail). A failure to write a ``download`` (a
        name this file system refuses) rejects it; other failures turn the cache off for the
        process, with one warning. ``counted``: already in ``stored``. Paths as strings: an
        entry is some files, and ``pathlib`` cost a third of keeping a restored deps dir."""
        final = os.path.join(self.directory, key)
        temp = None
        try:
            if os.path.lexists(final):
                return True
            self._make_directory()
            temp = str(make_temp_dir(self.directory, ".tmp-"))
            for name, content in files.items():
                target = os.path.join(temp, name)
                if "/" in name:  # most packages' files sit side by side: one mkdir less per file
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                if isinstance(content, (Path, str)) and link:
                    link_or_copy(content, target)
                elif isinstance(content, (Path, str)):
                    shutil.copyfile(content, target)
                else:
                    with open(target, "wb") as file:
                        file.write(content)
            with open(os.path.join(temp, "record.json"), "w", encoding="utf-8") as file:
                file.write(json.dumps(record))
            os.rename(temp, final)
            if not counted:
                self.stats.stored += 1
            return True
        except FileExistsError:
            return True
        except (OSError, ValueError) as error:
            if os.path.isdir(final):  # another writer's rename wins quietly; anything else is said
                return True
            if download or isinstance(error, ValueError):
                return False
            if link and isinstance(error, FileNotFoundError):
                return False  # the folder linked from was replaced meanwhile: not this cache's fault
            self._give_up(error)
            return False
        finally:
            if temp is not None and os.path.exists(temp):
                shutil.rmtree(temp, ignore_errors=True)

    def _make_directory(self) -> None:
        if self._made_directory:
            return
        try:
            self.directory.mkdir(parents=True)
            self.new = True
        except FileExistsError:
            pass
        self._made_directory = True

    def report(self) -> CacheStats:
        """What both tiers did in this run."""
        if self.remote is not None:
            remote = self.remote.stats
            self.stats.remote_hits = remote.hits
            self.stats.remote_misses = remote.misses
            self.stats.remote_bytes_down = remote.bytes_down
            self.stats.remote_skipped = remote.skipped
        return self.stats

    def _give_up(self, error: OSError) -> None:
        self._broken.add(self.directory)
        reason = error.strerror or type(error).__name__
        log.warning("warning: the machine-wide package cache %s is not usable (%s); continuing "
                    "without it (set PREBUNDLE_CACHE_DIR to a writable folder, or to off)",
                    self.directory.parent, reason)


def _parse(record: object) -> PackageRecord | None:
    """The record of a ``record.json`` of this format; None for any other."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    try:
        return PackageRecord.from_json(record)
    except MetadataError:
        return None
