"""The machine-wide cache of built packages: a second project with the same package versions
and options reuses the bundles instead of running esbuild again.

Each entry is a folder ``<cache>/packages/<key>/`` with the package's output files and a
``record.json`` describing them. The key covers the package's identity (name, version,
lockfile integrity, patches), its entry ids, the config hash and the versions of the packages
it imports as the project installed them (so a different hoisting gives a different key). An
entry is written into a temp folder and renamed into place, so concurrent writers are safe: the
first rename wins and the others drop their copy.

Location: ``$PREBUNDLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/prebundle``, else
``~/.cache/prebundle``. ``PREBUNDLE_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .bundle import PackageBuild
from .plan import PlannedPackage

__all__ = ["SharedCache", "shared_cache"]

FORMAT = 1


def shared_cache() -> SharedCache | None:
    """The machine-wide cache, or None when it is turned off."""
    configured = os.environ.get("PREBUNDLE_CACHE_DIR", "")
    if configured.lower() in ("0", "off", "false", "no"):
        return None
    if configured:
        return SharedCache(Path(configured))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return SharedCache(Path(base) / "prebundle")


class SharedCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory / "packages"

    def get(self, package: PlannedPackage, key: str) -> PackageBuild | None:
        from .publish import build_from_record

        folder = self.directory / key
        try:
            record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("format") != FORMAT:
            return None
        build = build_from_record(package, key, record, folder)
        if build is None or not all(isinstance(p, Path) and p.is_file() for p in build.files.values()):
            return None
        return build

    def put(self, build: PackageBuild, record: dict) -> None:
        """Store a fresh build; never raises (the cache is an optimisation)."""
        final = self.directory / build.key
        if final.exists():
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.directory))
        except OSError:
            return
        try:
            for name, content in build.files.items():
                target = temp / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                else:
                    target.write_bytes(content)
            (temp / "record.json").write_text(json.dumps({**record, "format": FORMAT}), encoding="utf-8")
            os.rename(temp, final)
        except OSError:
            pass  # another writer won the rename, or the disk is full: keep going without it
        finally:
            if temp.exists():
                shutil.rmtree(temp, ignore_errors=True)
