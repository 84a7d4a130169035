"""What reaches the browser for a project: each optimized package with its ids, the files pages
load and their sizes, who imports it (app files, other packages' bundles), what it imports, and
how the run that made the current output got it (built, and how long esbuild took, or reused).

Read, never built: from the deps dir (``_metadata.json``'s package records, the files
themselves for their sizes), the last scan (the app's importers; a scan of an unchanged tree
is answered from its snapshot) and the run history (``inventory_runs``). ``Inventory.to_json()``
is what ``prebundle ls --json`` prints; dashboards render from exactly that shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .interop import needs_interop
from .inventory_fresh import OutputMissing, require_current, stale_reason
from .inventory_lines import import_lines
from .inventory_runs import RunRecord, read_runs, utc_now
from .inventory_sizes import FileSize, SizeCache, is_loaded, loaded_sizes, total
from .metadata import externals_reached, read_metadata
from .resolve import Resolver
from .scanner import scan

if TYPE_CHECKING:
    from .config import Config
    from .metadata import Metadata, PackageRecord
    from .scanner import ScanResult

__all__ = ["Importers", "Inventory", "PackageEntry", "ServedAsIs", "read_inventory"]


@dataclass(frozen=True)
class Importers:
    """Who imports a package."""

    app: tuple[str, ...]
    """App files (``file:line`` where the line is known) importing any of its ids, sorted."""
    packages: tuple[str, ...]
    """Packages whose bundles import any of its ids, by name, sorted."""
    app_by_id: Mapping[str, tuple[str, ...]]
    """Each of its ids the app imports -> ``file:line`` of those imports."""


@dataclass(frozen=True)
class PackageEntry:
    """One optimized package (one installed copy: a nested copy is an entry of its own)."""

    name: str
    version: str | None
    folder: str
    """Its folder relative to the deps dir (the key of its record in ``_metadata.json``)."""
    ids: tuple[str, ...]
    """Its optimized ids, sorted."""
    files: tuple[str, ...]
    """The files of it that pages load (entries first, then chunks, CSS and assets)."""
    sizes: Mapping[str, FileSize]
    """Each of ``files`` with its size."""
    companions: tuple[str, ...]
    """Its source maps and licence texts (``inventory_sizes.COMPANION_SUFFIXES``)."""
    companions_size: int
    format: str
    """``cjs`` when its main entry is CommonJS/UMD, else ``esm``."""
    interop: bool
    """Some id of it goes through a CommonJS proxy (importers get Vite's interop)."""
    status: str | None
    """``built`` or ``reused`` in the run that made the current output; None when the run
    history does not go back that far."""
    build_ms: float | None
    """Its esbuild time in that run, when it was built."""
    importers: Importers
    imports: tuple[str, ...]
    """Other packages' ids its bundles import (bare, through the import map), sorted."""
    edges: Mapping[str, tuple[str, ...]]
    """Each id -> the other packages' ids that loading it may import (its entry's and those of
    every chunk it reaches, statically or with ``import()``)."""

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def size(self) -> FileSize:
        return total(self.sizes.values())

    def to_json(self) -> dict[str, Any]:
        size = self.size
        return {
            "name": self.name, "version": self.version, "ids": list(self.ids), "files": list(self.files),
            "size": size.size, "gzip": size.gzip, "format": self.format, "interop": self.interop,
            "status": self.status, "buildMs": None if self.build_ms is None else round(self.build_ms, 1),
            "importers": {"app": list(self.importers.app), "packages": list(self.importers.packages),
                          "appById": {id_: list(places) for id_, places in self.importers.app_by_id.items()}},
            "imports": list(self.imports),
            "folder": self.folder,
            "sizes": {name: info.to_json() for name, info in self.sizes.items()},
            "companions": list(self.companions), "companionsSize": self.companions_size,
        }


@dataclass(frozen=True)
class ServedAsIs:
    """A package the app imports that pages load from its own files (excluded, or linked)."""

    id: str
    name: str
    version: str | None
    kind: str
    """``excluded`` or ``linked``."""
    importers: tuple[str, ...]
    """``file:line`` of the app's imports of it."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "kind": self.kind,
                "importers": list(self.importers)}


@dataclass(frozen=True)
class Inventory:
    """What reaches the browser for one project."""

    root: Path
    deps_dir: Path
    mode: str | None
    browser_hash: str
    generated_at: str
    packages: tuple[PackageEntry, ...]
    """Sorted by name, then folder."""
    served_as_is: tuple[ServedAsIs, ...]
    runs: tuple[RunRecord, ...]
    """The last runs, oldest first."""
    stale: str | None = None
    """Why a run would replace this output; None when it is current."""

    def totals(self) -> dict[str, int]:
        """Counts and sizes of the whole output: a file two packages list (a chunk of esbuild's
        helpers built with both) counts once."""
        files = {name: size for package in self.packages for name, size in package.sizes.items()}
        size = total(files.values())
        return {"packages": len(self.packages), "ids": sum(len(p.ids) for p in self.packages), "files": len(files),
                "size": size.size, "gzip": size.gzip}

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root), "mode": self.mode, "browserHash": self.browser_hash,
            "generatedAt": self.generated_at, "packages": [p.to_json() for p in self.packages],
            "totals": self.totals(), "runs": [run.to_json() for run in self.runs],
            "depsDir": str(self.deps_dir), "stale": self.stale,
            "servedAsIs": [item.to_json() for item in self.served_as_is],
        }


def read_inventory(config: Config, *, scan_result: ScanResult | None = None, resolver: Resolver | None = None,
                   current: bool = True) -> Inventory:
    """The inventory of ``config``'s deps dir. Raises ``OutputMissing`` when there is none and,
    with ``current``, ``OutputStale`` when a run would replace it (else ``stale`` says why)."""
    metadata = read_metadata(config.deps_dir)
    if metadata is None:
        raise OutputMissing(config.deps_dir, config.root)
    if resolver is None:
        resolver = Resolver.for_config(config)
    if scan_result is None:
        scan_result = scan(config, resolver=resolver)
    stale = None
    if current:
        require_current(config, metadata, scan_result, resolver)
    else:
        stale = stale_reason(config, metadata, scan_result, resolver)
    runs = tuple(read_runs(config.cache_dir))
    ids = [id_ for record in metadata.packages.values() for id_ in record.entries]
    served = _served_as_is(scan_result, set(ids))
    places = import_lines(config, {**scan_result.deps, **scan_result.excluded, **scan_result.linked},
                          [*ids, *(item.id for item in served)])
    sizes = SizeCache(config.cache_dir)
    sizes.measure(config.deps_dir / name for record in metadata.packages.values() for name in record.files
                  if is_loaded(name))
    packages = _packages(config, metadata, places, _made_by(runs, metadata.browser_hash), sizes)
    sizes.save()
    served = tuple(ServedAsIs(item.id, item.name, item.version, item.kind, places.get(item.id, ()))
                   for item in served)
    return Inventory(config.root, config.deps_dir, metadata.mode, metadata.browser_hash, utc_now(), packages,
                     served, runs, stale)


def _packages(config: Config, metadata: Metadata, places: Mapping[str, tuple[str, ...]],
              made_by: RunRecord | None, sizes: SizeCache) -> tuple[PackageEntry, ...]:
    """Every package record as an entry, with who imports it."""
    owner_of = {id_: record.name for record in metadata.packages.values() for id_ in record.entries}
    imported_by: dict[str, set[str]] = {}
    for record in metadata.packages.values():
        for id_ in _externals(record):
            if id_ in owner_of and owner_of[id_] != record.name:
                imported_by.setdefault(owner_of[id_], set()).add(record.name)
    entries = []
    for folder, record in metadata.packages.items():
        app_by_id = {id_: places[id_] for id_ in sorted(record.entries) if places.get(id_)}
        importers = Importers(_places({p for found in app_by_id.values() for p in found}),
                              tuple(sorted(imported_by.get(record.name, ()))), app_by_id)
        entries.append(_entry(config, metadata, folder, record, importers, made_by, sizes))
    return tuple(sorted(entries, key=lambda entry: (entry.name, entry.folder)))


def _entry(config: Config, metadata: Metadata, folder: str, record: PackageRecord, importers: Importers,
           made_by: RunRecord | None, sizes: SizeCache) -> PackageEntry:
    ids = tuple(sorted(record.entries))
    entry_files = [record.entries[id_].file for id_ in ids if record.entries[id_].file in record.files]
    loaded = loaded_sizes(config.deps_dir, [*entry_files, *sorted(record.files)], record.files, sizes)
    companions = tuple(name for name in sorted(record.files) if not is_loaded(name))
    status = build_ms = None
    label = f"{record.name}@{record.version}" if record.version else record.name
    if made_by is not None and label in made_by.built:
        status, build_ms = "built", made_by.build_ms.get(label)
    elif made_by is not None and label in made_by.reused:
        status = "reused"
    return PackageEntry(
        name=record.name, version=record.version, folder=folder, ids=ids, files=tuple(loaded), sizes=loaded,
        companions=companions, companions_size=sum(record.files[name].size for name in companions),
        format=_format(config, metadata, record, ids), interop=any(e.needs_interop for e in record.entries.values()),
        status=status, build_ms=build_ms, importers=importers, imports=tuple(sorted(_externals(record))),
        edges={id_: tuple(sorted(_reachable_externals(record, id_))) for id_ in ids},
    )


def _format(config: Config, metadata: Metadata, record: PackageRecord, ids: tuple[str, ...]) -> str:
    """``cjs`` or ``esm``: the format of the entry of its main id (the one named like the
    package, else the first). An id goes through a proxy exactly when its entry is CommonJS,
    unless ``needs_interop`` forces it: only then is the entry read again."""
    main = record.name if record.name in ids else ids[0]
    if main in config.needs_interop:
        optimized = metadata.optimized.get(main)
        source = (config.deps_dir / optimized.src).resolve() if optimized is not None and optimized.src else None
        if source is not None and source.is_file():
            return "cjs" if needs_interop(source) else "esm"
    return "cjs" if record.entries[main].needs_interop else "esm"


def _externals(record: PackageRecord) -> set[str]:
    """Every bare import a package's bundles make."""
    found: set[str] = set()
    for item in (*record.entries.values(), *record.chunks.values()):
        found.update(item.externals)
    return found


def _places(places: set[str]) -> tuple[str, ...]:
    """``file:line`` places in order, without a file's bare name when a line of it is listed
    (the JSX runtime an app file imports has no line of its own)."""
    with_line = {place.rsplit(":", 1)[0] for place in places if place.rsplit(":", 1)[-1].isdigit()}
    return tuple(sorted((p for p in places if ":" in p and p.rsplit(":", 1)[-1].isdigit() or p not in with_line),
                        key=_place_order))


def _reachable_externals(record: PackageRecord, id_: str) -> set[str]:
    """The bare imports loading ``id_`` may make: its entry's and those of every chunk the
    entry reaches (``PackageBuild.externals_of``, on the record)."""
    return set(externals_reached(record.entries[id_], record.chunks))


def _made_by(runs: Iterable[RunRecord], browser_hash: str) -> RunRecord | None:
    """The run that wrote the output of ``browser_hash``: the last one that succeeded, wrote
    something and left that hash."""
    for run in reversed(list(runs)):
        if run.ok and not run.up_to_date and run.browser_hash == browser_hash:
            return run
    return None


def _served_as_is(scan_result: ScanResult, optimized: set[str]) -> list[ServedAsIs]:
    """The app's imports of excluded and linked packages (their importers filled in later)."""
    found = []
    for kind, deps in (("excluded", scan_result.excluded), ("linked", scan_result.linked)):
        for spec, dep in deps.items():
            if spec not in optimized:
                found.append(ServedAsIs(spec, dep.package_name, dep.version, kind, ()))
    return sorted(found, key=lambda item: item.id)


def _place_order(place: str) -> tuple[str, int]:
    """``file:line`` sorted by file, then by line as a number."""
    name, _, line = place.rpartition(":")
    return (name, int(line)) if line.isdigit() and name else (place, 0)
