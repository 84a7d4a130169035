"""Publish: ``_metadata.json``, ``importmap.json`` and ``manifest.json`` of a deps dir.

``_metadata.json`` keeps Vite's fields (``hash``, ``configHash``, ``lockfileHash``,
``browserHash``, ``optimized``, ``chunks``) and adds a ``prebundle`` section: per package its
cache key and outputs, so a later run can reuse an unchanged package's files as they are.
It is written last; its presence means the folder is complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import BuiltEntry, Chunk, PackageBuild
from .plan import PlannedPackage

__all__ = ["Metadata", "build_from_record", "package_record", "read_metadata", "render"]

METADATA = "_metadata.json"
IMPORTMAP = "importmap.json"
MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Metadata:
    """A parsed, checked ``_metadata.json`` of an existing deps dir."""

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


def read_metadata(deps_dir: Path) -> Metadata | None:
    """The metadata of ``deps_dir`` if it is complete and every file it names exists; else None
    (a stale or broken cache is never served)."""
    try:
        data = json.loads((deps_dir / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("prebundle", {}).get("format") != FORMAT:
        return None
    try:
        for package in data["prebundle"]["packages"].values():
            for name in package["files"]:
                if not (deps_dir / name).is_file():
                    return None
    except (KeyError, TypeError, AttributeError):
        return None
    return Metadata(data, deps_dir)


def package_record_key(package_dir: Path, deps_dir: Path) -> str:
    return Path(os.path.relpath(package_dir, deps_dir)).as_posix()


def build_from_record(package: PlannedPackage, key: str, record: dict, deps_dir: Path) -> PackageBuild | None:
    """A ``PackageBuild`` standing for an unchanged package's files in the current deps dir."""
    if record.get("key") != key:
        return None
    try:
        entries = {
            id_: BuiltEntry(id_, e["file"], _planned_src(package, id_), e["needsInterop"],
                            tuple(e["imports"]), tuple(e["css"]), tuple(e["assets"]), tuple(e["externals"]))
            for id_, e in record["entries"].items()
        }
        chunks = {name: Chunk(name, tuple(c["imports"]), tuple(c["css"]), tuple(c["externals"]))
                  for name, c in record["chunks"].items()}
        files = {name: deps_dir / name for name in record["files"]}
    except (KeyError, TypeError):
        return None
    if set(entries) != {p.id for p in package.ids}:
        return None
    return PackageBuild(package, key, entries, chunks, files, tuple(record.get("warnings", ())), reused=True)


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
    file_hashes: Mapping[str, str],
    version: str,
) -> dict[str, bytes]:
    """The three JSON files (and ``package.json``) for a set of package builds, by name."""
    from .hashing import hash_of

    builds = sorted(builds, key=lambda b: b.package.name)
    optimized: dict[str, dict] = {}
    chunks: dict[str, dict] = {}
    packages: dict[str, dict] = {}
    manifest: dict[str, dict] = {}
    for build in builds:
        for id_, entry in sorted(build.entries.items()):
            optimized[id_] = {
                "src": Path(os.path.relpath(entry.src, deps_dir)).as_posix(),
                "file": entry.file,
                "fileHash": file_hashes[entry.file],
                "needsInterop": entry.needs_interop,
            }
            manifest[id_] = {
                "file": entry.file, "src": id_, "isEntry": True,
                "imports": ["_" + name for name in entry.imports],
                "css": list(entry.css), "assets": list(entry.assets),
                "externals": list(entry.externals),
            }
        for name, chunk in sorted(build.chunks.items()):
            chunks[name[: -len(".js")]] = {"file": name}
            manifest["_" + name] = {
                "file": name, "imports": ["_" + other for other in chunk.imports],
                "css": list(chunk.css), "externals": list(chunk.externals),
            }
        packages[package_record_key(build.package.dir, deps_dir)] = package_record(build)
    browser_hash = hash_of(hashes["hash"], json.dumps(sorted((i, o["fileHash"]) for i, o in optimized.items())))
    metadata = {
        "hash": hashes["hash"],
        "configHash": hashes["configHash"],
        "lockfileHash": hashes["lockfileHash"],
        "browserHash": browser_hash,
        "optimized": optimized,
        "chunks": chunks,
        "prebundle": {"format": FORMAT, "version": version, "mode": mode, "packages": packages},
    }
    importmap = {"imports": {id_: f"{base}{o['file']}?v={o['fileHash']}" for id_, o in optimized.items()}}
    return {
        "package.json": _json({"type": "module"}),
        IMPORTMAP: _json(importmap),
        MANIFEST: _json(manifest),
        METADATA: _json(metadata),  # last: its presence means the folder is complete
    }


def package_record(build: PackageBuild) -> dict[str, Any]:
    """What a later run needs to reuse a package's files without building it."""
    return {
        "name": build.package.name,
        "version": build.package.version,
        "key": build.key,
        "files": sorted(build.files),
        "entries": {
            id_: {"file": e.file, "needsInterop": e.needs_interop, "imports": list(e.imports),
                  "css": list(e.css), "assets": list(e.assets), "externals": list(e.externals)}
            for id_, e in sorted(build.entries.items())
        },
        "chunks": {
            name: {"imports": list(c.imports), "css": list(c.css), "externals": list(c.externals)}
            for name, c in sorted(build.chunks.items())
        },
        "warnings": list(build.warnings),
    }


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

