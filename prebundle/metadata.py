"""The JSON files of a deps dir: ``_metadata.json``, ``importmap.json`` and ``manifest.json``.

This module alone knows their shapes: each is a frozen dataclass with a parser and a
stringifier, and every reader and writer of these files goes through them. ``_metadata.json``
keeps Vite's fields (``hash``, ``configHash``, ``lockfileHash``, ``browserHash``, ``optimized``,
``chunks``) and adds a ``prebundle`` section: per package its cache key and outputs with their
sizes and hashes, and the sizes and hashes of the other JSON files. A later run checks those
before it calls the folder up to date (sizes: cheap) or reuses a package's files (hashes: the
bytes are read anyway), so a truncated or corrupt file is rebuilt, never served. It is written
last; its presence means the folder is complete.

Standard library only, so the integrations and the daemon can read a deps dir cheaply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ASSETS_DIR",
    "FORMAT",
    "IMPORTMAP",
    "MANIFEST",
    "METADATA",
    "PACKAGE_JSON",
    "PACKAGE_JSON_BYTES",
    "ChunkRecord",
    "EntryRecord",
    "externals_reached",
    "FileInfo",
    "ImportMap",
    "Manifest",
    "ManifestChunk",
    "Metadata",
    "MetadataError",
    "OptimizedDep",
    "PackageRecord",
    "bundles_workers",
    "file_hash",
    "note_written",
    "parse_importmap",
    "parse_manifest",
    "parse_metadata",
    "read_metadata",
    "stringify_importmap",
    "stringify_manifest",
    "stringify_metadata",
]

log = logging.getLogger("prebundle.metadata")

METADATA = "_metadata.json"
IMPORTMAP = "importmap.json"
MANIFEST = "manifest.json"
PACKAGE_JSON = "package.json"
FORMAT = 3
"""Version of the ``prebundle`` section; a folder of another format is rebuilt."""


class MetadataError(ValueError):
    """A file is not valid JSON, or not of the shape this module writes; the message says which."""


def file_hash(data: bytes) -> str:
    """``fileHash`` of one output file: 8 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What ``_metadata.json`` records of one output file, so a later run can check the file
    before it serves or reuses it."""

    size: int
    hash: str
    """Its ``fileHash``."""

    @classmethod
    def of(cls, data: bytes) -> FileInfo:
        return cls(len(data), file_hash(data))


# -- _metadata.json ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRecord:
    """One id of a package record: what a later run needs to serve it without building it."""

    file: str
    """Output file, relative to the deps dir."""
    needs_interop: bool
    """The id is CommonJS: importers need Vite's default-export interop."""
    imports: tuple[str, ...]
    """Chunk files it imports statically."""
    dynamic_imports: tuple[str, ...]
    """Chunk files it loads with ``import()``."""
    css: tuple[str, ...]
    """CSS files it brings."""
    assets: tuple[str, ...]
    """Other files it references (fonts, images)."""
    externals: tuple[str, ...]
    """Other packages' ids it imports (bare)."""


@dataclass(frozen=True)
class ChunkRecord:
    """One shared chunk of a package record."""

    imports: tuple[str, ...]
    """Chunk files it imports statically."""
    dynamic_imports: tuple[str, ...]
    """Chunk files it loads with ``import()``."""
    css: tuple[str, ...]
    """CSS files it brings."""
    externals: tuple[str, ...]
    """Other packages' ids it imports (bare)."""


class _LinksOut(Protocol):
    """An entry or chunk, built or recorded: what it imports."""

    imports: tuple[str, ...]
    dynamic_imports: tuple[str, ...]
    externals: tuple[str, ...]


def externals_reached(entry: _LinksOut, chunks: Mapping[str, _LinksOut]) -> frozenset[str]:
    """The other packages' ids that loading ``entry`` may import: its own and those of every
    chunk it reaches, statically or with ``import()``."""
    found = set(entry.externals)
    seen: set[str] = set()
    pending = [*entry.imports, *entry.dynamic_imports]
    while pending:
        name = pending.pop()
        chunk = chunks.get(name)
        if chunk is None or name in seen:
            continue
        seen.add(name)
        found.update(chunk.externals)
        pending.extend((*chunk.imports, *chunk.dynamic_imports))
    return frozenset(found)


@dataclass(frozen=True)
class PackageRecord:
    """One package's build as recorded in ``_metadata.json`` (and in the machine-wide cache's
    ``record.json``): enough to reuse its files without building it."""

    name: str
    """The package's name."""
    version: str | None
    """Its installed version (None when its ``package.json`` has none)."""
    key: str
    """The cache key the build was made for (``hashing.package_key``)."""
    files: Mapping[str, FileInfo]
    """Every output file by name, with its size and ``fileHash``."""
    entries: Mapping[str, EntryRecord]
    """Each optimized id of the package."""
    chunks: Mapping[str, ChunkRecord]
    """Each chunk file of the package by name."""
    warnings: tuple[str, ...] = ()
    """What esbuild warned about while building it."""
    undeclared: tuple[tuple[str, str | None, bool | None], ...] = ()
    """The packages its code imports without declaring them, as installed when it was built
    (``install_layout``): a reuse checks they still are."""

    @property
    def label(self) -> str:
        """``name@version``, as a build's package is labelled."""
        return f"{self.name}@{self.version}" if self.version else self.name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "key": self.key,
            "files": {name: _info_json(info) for name, info in sorted(self.files.items())},
            "entries": {
                id_: {"file": e.file, "needsInterop": e.needs_interop, "imports": list(e.imports),
                      "dynamicImports": list(e.dynamic_imports), "css": list(e.css), "assets": list(e.assets),
                      "externals": list(e.externals)}
                for id_, e in sorted(self.entries.items())
            },
            "chunks": {
                name: {"imports": list(c.imports), "dynamicImports": list(c.dynamic_imports), "css": list(c.css),
                       "externals": list(c.externals)}
                for name, c in sorted(self.chunks.items())
            },
            "warnings": list(self.warnings),
            "undeclared": [list(placement) for placement in self.undeclared],
        }

    @classmethod
    def from_json(cls, value: Any) -> PackageRecord:
        """The record in ``value`` (parsed JSON); ``MetadataError`` when it is of another shape."""
        try:
            entries = {
                _str(id_): EntryRecord(_str(e["file"]), _bool(e["needsInterop"]), _strs(e["imports"]),
                                       _strs(e["dynamicImports"]), _strs(e["css"]), _strs(e["assets"]),
                                       _strs(e["externals"]))
                for id_, e in _dict(value["entries"]).items()
            }
            chunks = {
                _str(name): ChunkRecord(_strs(c["imports"]), _strs(c["dynamicImports"]), _strs(c["css"]),
                                        _strs(c["externals"]))
                for name, c in _dict(value["chunks"]).items()
            }
            version = value.get("version")
            return cls(_str(value.get("name", "")), None if version is None else _str(version), _str(value["key"]),
                       _infos(value["files"]), entries, chunks, _strs(value.get("warnings", [])),
                       _placements(value.get("undeclared", [])))
        except (KeyError, TypeError, AttributeError):
            raise MetadataError("records of another shape") from None


@dataclass(frozen=True)
class OptimizedDep:
    """One entry of Vite's ``optimized`` table."""

    src: str
    """The id's entry file, relative to the deps dir."""
    file: str
    """Its output file, relative to the deps dir."""
    file_hash: str
    """The output's ``fileHash`` (its ``?v=`` in the import map); empty if not recorded."""
    needs_interop: bool
    """The id is CommonJS: importers need Vite's default-export interop."""


@dataclass(frozen=True)
class Metadata:
    """A parsed ``_metadata.json``: prebundle's, or Vite's own (``format`` None)."""

    hash: str
    """``configHash`` and ``lockfileHash`` together: the folder is valid while it is unchanged."""
    config_hash: str
    """Hash of the config fields that change output, and of the tool versions."""
    lockfile_hash: str
    """Hash of what is installed (install state or lockfiles, dependency lists, patches)."""
    browser_hash: str
    """Changes whenever any output file does: pages reload when it changes."""
    optimized: Mapping[str, OptimizedDep]
    """Each optimized id."""
    chunks: Mapping[str, str]
    """Each shared chunk's id (its file name without ``.js``) and file."""
    format: int | None = FORMAT
    """Version of the ``prebundle`` section; None for Vite's own metadata."""
    version: str = ""
    """The prebundle version that wrote it."""
    mode: str | None = None
    """``development`` or ``production``, as built."""
    packages: Mapping[str, PackageRecord] = field(default_factory=dict)
    """Each package's record, by its folder relative to the deps dir (empty unless ``format``
    is ``FORMAT``)."""
    documents: Mapping[str, FileInfo] = field(default_factory=dict)
    """Size and ``fileHash`` of the deps dir's other JSON files (``package.json``,
    ``importmap.json``, ``manifest.json``)."""

    def file_count(self) -> int:
        return sum(len(package.files) for package in self.packages.values())

    def fault(self, deps_dir: Path, sizes: Mapping[str, int | None] | None = None) -> str | None:
        """What differs between ``deps_dir`` and this record of it, in a few words naming the
        file: a package's file of another size, a JSON file of other content; None when every
        file is as recorded, which is what a run checks before it reuses the folder as it is.
        ``sizes``: the packages' files' sizes by name (None: missing) as the caller just took
        them, instead of asking the file system again."""
        name = METADATA
        folder = str(deps_dir)
        try:
            for package in self.packages.values():
                for name, info in package.files.items():
                    size = os.stat(os.path.join(folder, name)).st_size if sizes is None else sizes.get(name)
                    if size != info.size:
                        if size is None:
                            return f"{deps_dir / name}: missing"
                        return f"{deps_dir / name}: its size differs from {METADATA}"
            for name, info in self.documents.items():
                if FileInfo.of((deps_dir / name).read_bytes()) != info:
                    return f"{deps_dir / name}: its content differs from {METADATA}"
        except OSError as error:
            return f"{deps_dir / name}: {error.strerror or type(error).__name__}"
        return None


ASSETS_DIR = "assets"
"""The folder of the deps dir emitted files go to (esbuild's own assets are there too)."""


def bundles_workers(file_names: Iterable[str]) -> bool:
    """Whether a package's output holds a worker module (``bundle.asset_urls``): one with every
    package it imports bundled in, which the package's key (its own files and its direct
    dependencies' versions) does not cover. Such output is reused only while the install stays
    the same, and never shared between projects."""
    return any(name.startswith(ASSETS_DIR + "/") and name.endswith(".js") for name in file_names)


def parse_metadata(text: str | bytes) -> Metadata:
    """The metadata in ``text``; ``MetadataError`` when it is not valid JSON or of another shape.
    The ``prebundle`` section of another format gives only ``format``, ``version`` and ``mode``."""
    data = _load(text)
    section = data.get("prebundle") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        if not isinstance(data, dict) or "optimized" not in data:
            raise MetadataError("not prebundle's metadata")
        section = None
    try:
        optimized = {
            _str(id_): OptimizedDep(_str(o.get("src", "")), _str(o["file"]), _str(o.get("fileHash", "")),
                                    _bool(o.get("needsInterop", False)))
            for id_, o in _dict(data.get("optimized", {})).items()
        }
        chunks = {_str(id_): _str(c["file"]) for id_, c in _dict(data.get("chunks", {})).items()}
        vite = dict(hash=_str(data.get("hash", "")), config_hash=_str(data.get("configHash", "")),
                    lockfile_hash=_str(data.get("lockfileHash", "")), browser_hash=_str(data.get("browserHash", "")),
                    optimized=optimized, chunks=chunks)
        if section is None:
            return Metadata(**vite, format=None)
        mode = section.get("mode")
        version = section.get("version", "")
        own = dict(format=section.get("format"), version=version if isinstance(version, str) else "",
                   mode=mode if isinstance(mode, str) else None)
        if own["format"] != FORMAT:
            return Metadata(**vite, **own)
        packages = {_str(key): PackageRecord.from_json(record) for key, record in _dict(section["packages"]).items()}
        return Metadata(**vite, **own, packages=packages, documents=_infos(section["documents"]))
    except (KeyError, TypeError, AttributeError):
        raise MetadataError("records of another shape") from None


def stringify_metadata(metadata: Metadata) -> bytes:
    data: dict[str, Any] = {
        "hash": metadata.hash,
        "configHash": metadata.config_hash,
        "lockfileHash": metadata.lockfile_hash,
        "browserHash": metadata.browser_hash,
        "optimized": {id_: {"src": o.src, "file": o.file, "fileHash": o.file_hash, "needsInterop": o.needs_interop}
                      for id_, o in metadata.optimized.items()},
        "chunks": {id_: {"file": file} for id_, file in metadata.chunks.items()},
    }
    if metadata.format is not None:
        data["prebundle"] = {
            "format": metadata.format, "version": metadata.version, "mode": metadata.mode,
            "packages": {key: record.to_json() for key, record in metadata.packages.items()},
            "documents": {name: _info_json(info) for name, info in metadata.documents.items()},
        }
    return _json(data)


def read_metadata(deps_dir: Path) -> Metadata | None:
    """The metadata of ``deps_dir`` when it is there and of this format; None otherwise (with a
    warning when the file is there but damaged: the run then rebuilds the folder)."""
    global _last_read
    path = deps_dir / METADATA
    try:
        data = path.read_bytes()
        if _last_read is not None and _last_read[0] == data:
            return _last_read[1]  # the same bytes as the last read (a run's check, then its memo)
        metadata = parse_metadata(data.decode("utf-8"))
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("warning: %s: %s; rebuilding the deps dir", path, error.strerror or type(error).__name__)
        return None
    except ValueError as error:  # MetadataError, or UnicodeDecodeError
        reason = error if isinstance(error, MetadataError) else f"not valid JSON ({str(error).splitlines()[0]})"
        log.warning("warning: %s: %s; rebuilding the deps dir", path, reason)
        return None
    if metadata.format != FORMAT:
        return None
    _last_read = (data, metadata)
    return metadata


_last_read: tuple[bytes, Metadata] | None = None
"""The bytes ``read_metadata`` parsed last and what they gave (records are never modified):
a run reads the folder's metadata to check it, then again to record its decision for the CLI's
fast path; the same bytes need no second parse."""


def note_written(data: bytes, metadata: Metadata) -> None:
    """``data``, the ``_metadata.json`` a run writes, is ``metadata``: the run's own checks of
    the folder it commits (the CLI's fast path records its decision) read it without a parse."""
    global _last_read
    _last_read = (data, metadata)


# -- importmap.json ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportMap:
    """The import map pages load the deps through."""

    imports: Mapping[str, str]
    """Each optimized id and its URL (``base`` + file + ``?v=<fileHash>``); each package served
    from its own files (excluded, linked) by id and by ``<name>/``, at ``/node_modules/...``."""
    scopes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """URL prefix of a package's own files (``/node_modules/a/``) → specifier → URL: what
    those files get for a bare import instead of ``imports`` (the nested id ``a > b`` as ``b``).
    Not written when empty."""


def parse_importmap(text: str | bytes) -> ImportMap:
    """The import map in ``text``; ``MetadataError`` when it is not one."""
    data = _load(text)
    if not isinstance(data, dict):
        raise MetadataError("not a JSON object")
    try:
        imports = {_str(id_): _str(url) for id_, url in _dict(data.get("imports") or {}).items()}
        scopes = {_str(prefix): {_str(id_): _str(url) for id_, url in _dict(mapping).items()}
                  for prefix, mapping in _dict(data.get("scopes") or {}).items()}
        return ImportMap(imports, scopes)
    except TypeError:
        raise MetadataError("records of another shape") from None


def stringify_importmap(importmap: ImportMap) -> bytes:
    data: dict[str, Any] = {"imports": dict(importmap.imports)}
    if importmap.scopes:  # left out when empty: a map without scopes keeps its bytes
        data["scopes"] = {prefix: dict(mapping) for prefix, mapping in importmap.scopes.items()}
    return _json(data)


# -- manifest.json -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestChunk:
    """One record of the manifest (Vite's shape, plus ``externals``): an optimized id's entry
    file, or a chunk (keyed ``_<file>``)."""

    file: str
    """Output file, relative to the deps dir."""
    src: str | None = None
    """The id, for entries; None for chunks."""
    is_entry: bool = False
    """True for an optimized id's entry file."""
    imports: tuple[str, ...] = ()
    """Keys (``_<file>``) of the chunks it imports statically."""
    dynamic_imports: tuple[str, ...] = ()
    """Keys of the chunks it loads with ``import()``; written only when there are some."""
    css: tuple[str, ...] = ()
    """CSS files it brings."""
    assets: tuple[str, ...] | None = None
    """Other files it references, for entries; None (not written) for chunks."""
    externals: tuple[str, ...] = ()
    """Other packages' ids it imports (through the import map)."""


@dataclass(frozen=True)
class Manifest:
    """Every entry file and chunk of the deps dir, as Vite's build manifest describes a build."""

    chunks: Mapping[str, ManifestChunk]
    """By key: an optimized id, or ``_<file>`` for a chunk."""


def parse_manifest(text: str | bytes) -> Manifest:
    """The manifest in ``text``; ``MetadataError`` when it is not one."""
    data = _load(text)
    if not isinstance(data, dict):
        raise MetadataError("not a JSON object")
    try:
        chunks = {}
        for key, record in data.items():
            assets = record.get("assets")
            chunks[_str(key)] = ManifestChunk(
                _str(record["file"]), _optional_str(record.get("src")), _bool(record.get("isEntry", False)),
                _strs(record.get("imports", [])), _strs(record.get("dynamicImports", [])),
                _strs(record.get("css", [])), None if assets is None else _strs(assets),
                _strs(record.get("externals", [])))
        return Manifest(chunks)
    except (KeyError, TypeError, AttributeError):
        raise MetadataError("records of another shape") from None


def stringify_manifest(manifest: Manifest) -> bytes:
    data = {}
    for key, chunk in manifest.chunks.items():
        record: dict[str, Any] = {"file": chunk.file}
        if chunk.src is not None:
            record["src"] = chunk.src
        if chunk.is_entry:
            record["isEntry"] = True
        record["imports"] = list(chunk.imports)
        if chunk.dynamic_imports:  # as Vite: named only when there are some
            record["dynamicImports"] = list(chunk.dynamic_imports)
        record["css"] = list(chunk.css)
        if chunk.assets is not None:
            record["assets"] = list(chunk.assets)
        record["externals"] = list(chunk.externals)
        data[key] = record
    return _json(data)


# -- package.json ------------------------------------------------------------------------------

PACKAGE_JSON_BYTES = (json.dumps({"type": "module"}, indent=2) + "\n").encode()
"""``package.json`` of a deps dir: its ``.js`` files are ES modules (for Node and tools)."""


# -- JSON helpers ------------------------------------------------------------------------------


def _load(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise MetadataError("not valid JSON (nested too deeply)") from None
    except ValueError as error:
        raise MetadataError(f"not valid JSON ({str(error).splitlines()[0]})") from None


def _json(value: Any) -> bytes:
    """``value`` as the deps dir's JSON files are written (Vite's ``JSON.stringify(value, null,
    2)``, UTF-8, a final newline): the bytes of ``json.dumps(value, indent=2, ensure_ascii=False)``
    + ``"\\n"``, made by orjson (an indented ``json.dumps`` runs in Python: 35-55 ms of a run that
    assembles the bench app's deps dir, 15-20 ms with orjson)."""
    import orjson  # only where these files are written

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def _placements(value: Any) -> tuple[tuple[str, str | None, bool | None], ...]:
    """``undeclared``: ``[name, version or null, hoisted or null]`` each."""
    placements = []
    for item in value:
        if not isinstance(item, list) or len(item) != 3:
            raise TypeError("undeclared")
        name, version, same = item
        if not isinstance(name, str) or not isinstance(version, (str, type(None))) \
                or not isinstance(same, (bool, type(None))):
            raise TypeError("undeclared")
        placements.append((name, version, same))
    return tuple(placements)


def _info_json(info: FileInfo) -> dict[str, Any]:
    return {"size": info.size, "hash": info.hash}


def _infos(value: Any) -> dict[str, FileInfo]:
    return {_str(name): FileInfo(_int(info["size"]), _str(info["hash"])) for name, info in _dict(value).items()}


def _dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return tuple(_str(item) for item in value)
