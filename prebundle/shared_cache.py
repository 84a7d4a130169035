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
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from .bundle import PackageBuild
from .commit import make_temp_dir
from .machine_cache import package_cache_dir
from .metadata import MetadataError, PackageRecord
from .plan import PlannedPackage
from .records import build_from_record

__all__ = ["SharedCache", "shared_cache"]

log = logging.getLogger("prebundle.cache")

FORMAT = 3
"""Version of ``record.json``; entries of another format are ignored."""


def shared_cache() -> SharedCache | None:
    """The machine-wide package cache, or None when it is turned off."""
    base = package_cache_dir()
    return SharedCache(base) if base is not None else None


class SharedCache:
    """Reads and writes never fail a run: the cache is an optimisation. The first error (a
    folder that is not writable or searchable, a full disk) is reported once, and the cache is
    skipped for the rest of the process."""

    _broken: set[Path] = set()
    """Cache folders found unusable in this process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "packages"

    def get(self, package: PlannedPackage, key: str) -> PackageBuild | None:
        """The build stored under ``key``, its files checked against their recorded sizes and
        hashes; None when absent or damaged."""
        if self.directory in self._broken:
            return None
        folder = self.directory / key
        try:
            record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except PermissionError as error:
            self._give_up(error)
            return None
        except (OSError, ValueError):
            return None
        parsed = _parse(record)
        return build_from_record(package, key, parsed, folder) if parsed is not None else None

    def record(self, key: str) -> PackageRecord | None:
        """The record of the build stored under ``key``, unchecked: a hint of what that build
        imports and weighs, for planning (its files are checked by ``get``, before any reuse)."""
        if self.directory in self._broken:
            return None
        try:
            record = json.loads((self.directory / key / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        return _parse(record)

    def put(self, build: PackageBuild, record: PackageRecord) -> None:
        """Store a fresh build; never raises."""
        if self.directory in self._broken:
            return
        final = self.directory / build.key
        temp = None
        try:
            if os.path.lexists(final):
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            temp = make_temp_dir(self.directory, ".tmp-")
            for name, content in build.files.items():
                target = temp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                else:
                    target.write_bytes(content)
            (temp / "record.json").write_text(json.dumps({**record.to_json(), "format": FORMAT}), encoding="utf-8")
            os.rename(temp, final)
        except FileExistsError:
            pass
        except OSError as error:
            if not os.path.isdir(final):  # another writer's rename wins quietly; anything else is said
                self._give_up(error)
        finally:
            if temp is not None and temp.exists():
                shutil.rmtree(temp, ignore_errors=True)

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
