"""Publish: ``_metadata.json``, ``importmap.json`` and ``manifest.json`` of a deps dir.

``_metadata.json`` keeps Vite's fields (``hash``, ``configHash``, ``lockfileHash``,
``browserHash``, ``optimized``, ``chunks``) and adds a ``prebundle`` section: per package its
cache key and outputs with their sizes and hashes, and the sizes and hashes of the other JSON
files. A later run checks those before it calls the folder up to date (sizes: cheap) or reuses
a package's files (hashes: the bytes are read anyway), so a truncated or corrupt file is rebuilt,
never served. It is written last; its presence means the folder is complete.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import BuiltEntry, Chunk, PackageBuild
from .hashing import FileInfo
from .plan import PlannedPackage

__all__ = ["Metadata", "build_from_record", "package_record", "read_metadata", "render"]

log = logging.getLogger("prebundle.publish")

METADATA = "_metadata.json"
IMPORTMAP = "importmap.json"
MANIFEST = "manifest.json"
PACKAGE_JSON = "package.json"
FORMAT = 3
"""Version of the ``prebundle`` section; a folder of another format is rebuilt."""


@dataclass(frozen=True)
class Metadata:
    """A parsed ``_metadata.json`` of an existing deps dir."""

    data: dict[str, Any]
    deps_dir: Path

    @property
    def hash(self) -> str:
        return self.data.get("hash", "")

    @property
    def optimized(self) -> Mapping[str, dict]:
        return self.data.get("optimized", {})

    def packages(self) -> Mapping[str, dict]:
        return self.data.get("prebundle", {}).get("packages", {})

    def file_count(self) -> int:
        return sum(len(package.get("files", ())) for package in self.packages().values())

    def intact(self) -> bool:
        """Every file the folder is made of still has its recorded size, and the JSON files
        their recorded hashes: what a run checks before it reuses the folder as it is."""
        return self.fault() is None

    def fault(self) -> str | None:
        """What breaks :meth:`intact`, in a few words naming the file; None when intact."""
        name = METADATA
        try:
            for package in self.packages().values():
                for name, info in package["files"].items():
                    if os.stat(self.deps_dir / name).st_size != info["size"]:
                        return f"{self.deps_dir / name}: its size differs from {METADATA}"
            for name, info in self.data["prebundle"]["documents"].items():
                if FileInfo.of((self.deps_dir / name).read_bytes()) != FileInfo(**info):
                    return f"{self.deps_dir / name}: its content differs from {METADATA}"
        except OSError as error:
            return f"{self.deps_dir / name}: {error.strerror or type(error).__name__}"
        except (KeyError, TypeError, AttributeError):
            return f"{self.deps_dir / METADATA}: records of another shape"
        return None


def read_metadata(deps_dir: Path) -> Metadata | None:
    """The metadata of ``deps_dir`` when it is there and of this format; None otherwise (with a
    warning when the file is there but damaged: the run then rebuilds the folder)."""
    path = deps_dir / METADATA
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("warning: %s: %s; rebuilding the deps dir", path, error.strerror or type(error).__name__)
        return None
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
        reason = str(error).splitlines()[0] if isinstance(error, ValueError) else "nested too deeply"
        log.warning("warning: %s: not valid JSON (%s); rebuilding the deps dir", path, reason)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("prebundle"), dict):
        if not isinstance(data, dict) or "optimized" not in data:  # Vite's own metadata is no fault
            log.warning("warning: %s: not prebundle's metadata; rebuilding the deps dir", path)
        return None
    if data["prebundle"].get("format") != FORMAT or not isinstance(data["prebundle"].get("packages"), dict):
        return None
    return Metadata(data, deps_dir)


def package_record_key(package_dir: Path, deps_dir: Path) -> str:
    return Path(os.path.relpath(package_dir, deps_dir)).as_posix()


def build_from_record(package: PlannedPackage, key: str, record: dict, folder: Path) -> PackageBuild | None:
    """A ``PackageBuild`` standing for a package's files already in ``folder`` (a deps dir, or an
    entry of the machine-wide cache); None when the record is for another key or any file is
    missing or differs from its recorded size and hash."""
    if record.get("key") != key:
        return None
    try:
        entries = {
            id_: BuiltEntry(id_, e["file"], _planned_src(package, id_), e["needsInterop"],
                            tuple(e["imports"]), tuple(e["css"]), tuple(e["assets"]), tuple(e["externals"]),
                            tuple(e["dynamicImports"]))
            for id_, e in record["entries"].items()
        }
        chunks = {name: Chunk(name, tuple(c["imports"]), tuple(c["css"]), tuple(c["externals"]),
                              tuple(c["dynamicImports"]))
                  for name, c in record["chunks"].items()}
        recorded = {name: FileInfo(**info) for name, info in record["files"].items()}
    except (KeyError, TypeError, AttributeError):
        return None
    if set(entries) != {p.id for p in package.ids}:
        return None
    for name, info in recorded.items():
        try:
            if FileInfo.of((folder / name).read_bytes()) != info:
                return None
        except OSError:
            return None
    files = {name: folder / name for name in recorded}
    return PackageBuild(package, key, entries, chunks, files, tuple(record.get("warnings", ())),
                        reused=True, checked=recorded)


def _planned_src(package: PlannedPackage, id_: str) -> Path:
    for planned in package.ids:
        if planned.id == id_:
            return planned.src
    raise KeyError(id_)


def render(
    builds: Iterable[PackageBuild],
    *,
    deps_dir: Path,
    base: str,
    mode: str,
    hashes: Mapping[str, str],
    version: str,
) -> dict[str, bytes]:
    """The JSON files of a deps dir for a set of package builds, by name, ``_metadata.json``
    last."""
    from .hashing import hash_of

    builds = sorted(builds, key=lambda b: b.package.name)
    optimized: dict[str, dict] = {}
    chunks: dict[str, dict] = {}
    packages: dict[str, dict] = {}
    manifest: dict[str, dict] = {}
    file_hashes: dict[str, str] = {}
    for build in builds:
        infos = build.file_infos
        file_hashes.update((name, info.hash) for name, info in infos.items())
        for id_, entry in sorted(build.entries.items()):
            optimized[id_] = {
                "src": Path(os.path.relpath(entry.src, deps_dir)).as_posix(),
                "file": entry.file,
                "fileHash": infos[entry.file].hash,
                "needsInterop": entry.needs_interop,
            }
            manifest[id_] = {
                "file": entry.file, "src": id_, "isEntry": True,
                "imports": ["_" + name for name in entry.imports],
                **_dynamic(entry.dynamic_imports),
                "css": list(entry.css), "assets": list(entry.assets),
                "externals": list(entry.externals),
            }
        for name, chunk in sorted(build.chunks.items()):
            chunks[name[: -len(".js")]] = {"file": name}
            manifest["_" + name] = {
                "file": name, "imports": ["_" + other for other in chunk.imports],
                **_dynamic(chunk.dynamic_imports),
                "css": list(chunk.css), "externals": list(chunk.externals),
            }
        packages[package_record_key(build.package.dir, deps_dir)] = package_record(build)
    # Every file counts, CSS and chunks included: a change anywhere must reload pages.
    browser_hash = hash_of(hashes["hash"], json.dumps(sorted(file_hashes.items())))
    importmap = {"imports": {id_: f"{base}{o['file']}?v={o['fileHash']}" for id_, o in optimized.items()}}
    documents = {
        PACKAGE_JSON: _json({"type": "module"}),
        IMPORTMAP: _json(importmap),
        MANIFEST: _json(manifest),
    }
    metadata = {
        "hash": hashes["hash"],
        "configHash": hashes["configHash"],
        "lockfileHash": hashes["lockfileHash"],
        "browserHash": browser_hash,
        "optimized": optimized,
        "chunks": chunks,
        "prebundle": {
            "format": FORMAT, "version": version, "mode": mode, "packages": packages,
            "documents": {name: _info_json(FileInfo.of(data)) for name, data in documents.items()},
        },
    }
    return {**documents, METADATA: _json(metadata)}  # last: its presence means the folder is complete


def package_record(build: PackageBuild) -> dict[str, Any]:
    """What a later run needs to reuse a package's files without building it."""
    return {
        "name": build.package.name,
        "version": build.package.version,
        "key": build.key,
        "files": {name: _info_json(info) for name, info in sorted(build.file_infos.items())},
        "entries": {
            id_: {"file": e.file, "needsInterop": e.needs_interop, "imports": list(e.imports),
                  "dynamicImports": list(e.dynamic_imports), "css": list(e.css), "assets": list(e.assets),
                  "externals": list(e.externals)}
            for id_, e in sorted(build.entries.items())
        },
        "chunks": {
            name: {"imports": list(c.imports), "dynamicImports": list(c.dynamic_imports), "css": list(c.css),
                   "externals": list(c.externals)}
            for name, c in sorted(build.chunks.items())
        },
        "warnings": list(build.warnings),
    }


def _dynamic(files: tuple[str, ...]) -> dict[str, list[str]]:
    """Vite's manifest names chunks loaded with ``import()`` only when there are some."""
    return {"dynamicImports": ["_" + name for name in files]} if files else {}


def _info_json(info: FileInfo) -> dict[str, Any]:
    return {"size": info.size, "hash": info.hash}


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
