"""Package builds as a deps dir records them, and back.

A build becomes a ``PackageRecord`` (in ``_metadata.json`` and the machine-wide cache), a record
whose files are intact becomes a reused build again, and a set of builds becomes the deps dir's
JSON files. The shapes of those files are ``metadata.py``'s; this module fills them in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from .bundle import BuiltEntry, Chunk, PackageBuild
from .hashing import CacheHashes, hash_of
from .metadata import (
    IMPORTMAP,
    MANIFEST,
    METADATA,
    PACKAGE_JSON,
    PACKAGE_JSON_BYTES,
    ChunkRecord,
    EntryRecord,
    FileInfo,
    ImportMap,
    Manifest,
    ManifestChunk,
    Metadata,
    OptimizedDep,
    PackageRecord,
    parse_importmap,
    stringify_importmap,
    stringify_manifest,
    stringify_metadata,
)
from .plan import PlannedPackage
from .unbundled import Unbundled

__all__ = ["Rendered", "build_from_record", "import_map", "importmap_differs", "package_record",
           "package_record_key", "render"]


@dataclass(frozen=True)
class Rendered:
    """The JSON files of a deps dir for a set of builds, and the metadata they were made from."""

    metadata: Metadata
    """What ``_metadata.json`` holds."""
    files: dict[str, bytes]
    """Each JSON file's bytes by name, ``_metadata.json`` last (its presence means the folder
    is complete)."""


def package_record_key(package_dir: Path, deps_dir: Path) -> str:
    """The key of a package's record in ``_metadata.json``: its folder relative to the deps dir."""
    return Path(os.path.relpath(package_dir, deps_dir)).as_posix()


def package_record(build: PackageBuild) -> PackageRecord:
    """What a later run needs to reuse a package's files without building it."""
    return PackageRecord(
        name=build.package.name,
        version=build.package.version,
        key=build.key,
        files=dict(sorted(build.file_infos.items())),
        entries={id_: EntryRecord(e.file, e.needs_interop, e.imports, e.dynamic_imports, e.css, e.assets,
                                  e.externals)
                 for id_, e in sorted(build.entries.items())},
        chunks={name: ChunkRecord(c.imports, c.dynamic_imports, c.css, c.externals)
                for name, c in sorted(build.chunks.items())},
        warnings=tuple(build.warnings),
        undeclared=build.undeclared,
    )


def build_from_record(package: PlannedPackage, key: str, record: PackageRecord, folder: Path, *,
                      unchanged: AbstractSet[str] = frozenset()) -> PackageBuild | None:
    """A ``PackageBuild`` standing for a package's files already in ``folder`` (a deps dir, or an
    entry of the machine-wide cache); None when the record is for another key or any file is
    missing or differs from its recorded size and hash. The files named in ``unchanged`` are
    known intact without reading them (``entry_stamps``)."""
    if record.key != key:
        return None
    sources = {planned.id: planned.src for planned in package.ids}
    if set(record.entries) != set(sources):
        return None
    where = str(folder)
    for name, info in record.files.items():
        if name in unchanged:
            continue
        try:
            with open(os.path.join(where, name), "rb") as file:
                data = file.read()
            if FileInfo.of(data) != info:
                return None
        except OSError:
            return None
    entries = {id_: BuiltEntry(id_, e.file, sources[id_], e.needs_interop, e.imports, e.css, e.assets, e.externals,
                               e.dynamic_imports)
               for id_, e in record.entries.items()}
    chunks = {name: Chunk(name, c.imports, c.css, c.externals, c.dynamic_imports) for name, c in record.chunks.items()}
    files = {name: folder / name for name in record.files}
    return PackageBuild(package, key, entries, chunks, files, record.warnings, record.undeclared, reused=True,
                        checked=dict(record.files))


def import_map(optimized: Mapping[str, OptimizedDep], base: str, unbundled: Unbundled = Unbundled()) -> ImportMap:
    """The import map of a deps dir: each optimized id at ``base`` + its file + ``?v=``, then
    the packages served from their own files, and the scopes of nested ids that were built."""
    imports = {id_: f"{base}{o.file}?v={o.file_hash}" for id_, o in optimized.items()}
    for id_, url in unbundled.imports.items():
        imports.setdefault(id_, url)  # an optimized id wins
    scopes = {}
    for prefix, mapping in unbundled.scopes.items():
        scoped = {spec: imports[id_] for spec, id_ in mapping.items() if id_ in optimized}
        if scoped:
            scopes[prefix] = scoped
    return ImportMap(imports, scopes)


def importmap_differs(deps_dir: Path, metadata: Metadata, base: str, unbundled: Unbundled) -> bool:
    """Whether the deps dir's ``importmap.json`` is not the one :func:`render` would write for
    ``metadata`` now (the entries and scopes of unbundled packages changed, say)."""
    try:
        found = parse_importmap((deps_dir / IMPORTMAP).read_bytes())
    except (OSError, ValueError):  # MetadataError is a ValueError
        return True
    return found != import_map(metadata.optimized, base, unbundled)


def render(builds: Iterable[PackageBuild], *, deps_dir: Path, base: str, mode: str, hashes: CacheHashes,
           version: str, unbundled: Unbundled = Unbundled()) -> Rendered:
    """The JSON files of a deps dir for a set of package builds (and the import-map entries of
    the packages served from their own files, which the manifest leaves out, as Vite's does)."""
    builds = sorted(builds, key=lambda b: b.package.name)
    optimized: dict[str, OptimizedDep] = {}
    chunks: dict[str, str] = {}
    packages: dict[str, PackageRecord] = {}
    manifest: dict[str, ManifestChunk] = {}
    file_hashes: dict[str, str] = {}
    for build in builds:
        infos = build.file_infos
        file_hashes.update((name, info.hash) for name, info in infos.items())
        for id_, entry in sorted(build.entries.items()):
            optimized[id_] = OptimizedDep(Path(os.path.relpath(entry.src, deps_dir)).as_posix(), entry.file,
                                          infos[entry.file].hash, entry.needs_interop)
            manifest[id_] = ManifestChunk(
                entry.file, src=id_, is_entry=True, imports=_keys(entry.imports),
                dynamic_imports=_keys(entry.dynamic_imports), css=entry.css, assets=entry.assets,
                externals=entry.externals)
        for name, chunk in sorted(build.chunks.items()):
            chunks[name[: -len(".js")]] = name
            manifest["_" + name] = ManifestChunk(
                name, imports=_keys(chunk.imports), dynamic_imports=_keys(chunk.dynamic_imports), css=chunk.css,
                externals=chunk.externals)
        packages[package_record_key(build.package.dir, deps_dir)] = package_record(build)
    # Every file counts, CSS and chunks included: a change anywhere must reload pages. So does a
    # change of the unbundled packages' entries (none: the hash is what it always was).
    importmap = import_map(optimized, base, unbundled)
    served: list = sorted(file_hashes.items())
    if unbundled.imports or importmap.scopes:
        served = [served, sorted(unbundled.imports.items()),
                  sorted((prefix, sorted(mapping.items())) for prefix, mapping in importmap.scopes.items())]
    browser_hash = hash_of(hashes.hash, json.dumps(served))
    documents = {
        PACKAGE_JSON: PACKAGE_JSON_BYTES,
        IMPORTMAP: stringify_importmap(importmap),
        MANIFEST: stringify_manifest(Manifest(manifest)),
    }
    metadata = Metadata(
        hash=hashes.hash, config_hash=hashes.config_hash, lockfile_hash=hashes.lockfile_hash,
        browser_hash=browser_hash, optimized=optimized, chunks=chunks, version=version, mode=mode,
        packages=packages, documents={name: FileInfo.of(data) for name, data in documents.items()},
    )
    return Rendered(metadata, {**documents, METADATA: stringify_metadata(metadata)})


def _keys(files: tuple[str, ...]) -> tuple[str, ...]:
    """Manifest keys of chunk files."""
    return tuple("_" + name for name in files)
