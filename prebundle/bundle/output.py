"""One esbuild build of several packages, split back into one ``PackageBuild`` per package.

Each package owns the outputs its entries reach: its entry files, the chunks they import
statically or with ``import()``, their CSS and assets. Imports of other packages are external,
so a chunk is shared between packages only when it holds esbuild's runtime helpers (or a module
two of them reach without a bare import); such a chunk is listed by each, with the same bytes.
Each output file's companions go with it: its source map (``<file>.map``, sources renamed by
``sourcemaps``) and its legal comments (``<file>.LEGAL.txt``). So do the files its code points at
with ``new URL('./file', import.meta.url)``, emitted by ``asset_urls``: they count as its assets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..plan import PlannedId, PlannedPackage
from ..specifiers import is_bare
from .asset_urls import NOTHING_EMITTED, EmittedFiles
from .result import BuiltEntry, BundleError, Chunk, PackageBuild
from .sourcemaps import MAP_SUFFIX, SourceNamer, is_below, path_below, rewrite_maps

if TYPE_CHECKING:
    from ..esbuild import BuildResult

__all__ = ["GroupOutput", "split_output"]

_ASSET_KINDS = ("url-token", "file-loader")
COMPANION_SUFFIXES = (MAP_SUFFIX, ".LEGAL.txt")
"""Files esbuild writes beside an output file (``sourcemap``, ``legal_comments="linked"`` or
``"external"``); they belong to the package that owns that file."""


@dataclass(frozen=True)
class _Output:
    """One output file as the metafile describes it."""

    imports: tuple[str, ...]
    dynamic_imports: tuple[str, ...]
    css: tuple[str, ...]
    assets: tuple[str, ...]
    externals: tuple[str, ...]


@dataclass(frozen=True)
class GroupOutput:
    """What one build of a group of packages produced, ready to split."""

    files: Mapping[str, bytes]
    """Output files by name, relative to the build's outdir."""
    outputs: Mapping[str, _Output]
    entry_file_of: Mapping[str, str]
    """Entry point, as the metafile names its input (a path relative to the root, or
    ``namespace:path``) -> its JS output file."""

    @classmethod
    def from_result(cls, result: BuildResult, *, outdir: Path, root: Path,
                    packages: Iterable[PlannedPackage], emitted: EmittedFiles = NOTHING_EMITTED) -> GroupOutput:
        """Metafile paths are relative to the working directory (the root); ``packages`` are the
        packages built, whose files the source maps name; ``emitted`` the files their URLs
        point at (already named and mapped)."""

        inside = _Inside(outdir)
        root_path = str(root)

        def name_of(path: str) -> str:
            return inside.name(os.path.normpath(os.path.join(root_path, path)))

        files = {inside.name(o.path): o.contents for o in result.output_files}
        files = rewrite_maps(files, SourceNamer.for_build(outdir=outdir, root=root, packages=packages))
        files.update(emitted.files)
        outputs: dict[str, _Output] = {}
        entry_file_of: dict[str, str] = {}
        for path, meta in (result.metafile or {}).get("outputs", {}).items():
            name = name_of(path)
            outputs[name] = _describe(meta, name_of)
            fetched = emitted.fetched_by(meta.get("inputs", ()), root)
            if fetched:
                outputs[name] = replace(outputs[name], assets=tuple(sorted({*outputs[name].assets, *fetched})))
            if meta.get("entryPoint") and name.endswith(".js"):
                entry_file_of[meta["entryPoint"]] = name
        return cls(files, outputs, entry_file_of)


class _Inside:
    """Names of paths inside the build's outdir, relative to it with ``/``: string slicing
    for what ``Path.relative_to`` answers (it raises for a path outside), as a build names
    hundreds of outputs and imports."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.folder = str(outdir)

    def name(self, path: str) -> str:
        if os.sep == "/" and is_below(path, self.folder) and "//" not in path \
                and "/./" not in path and not path.endswith(("/", "/.")):
            return path_below(path, self.folder)
        return Path(path).relative_to(self.outdir).as_posix()  # what pathlib makes of the odd ones


def _describe(meta: Mapping[str, Any], name_of: Callable[[str], str]) -> _Output:
    imports, dynamic, assets, externals = set(), set(), set(), set()
    for item in meta.get("imports", ()):
        kind = item.get("kind")
        if item.get("external"):
            if is_bare(item["path"]):
                externals.add(item["path"])
        elif kind == "import-statement":
            imports.add(name_of(item["path"]))
        elif kind == "dynamic-import":
            dynamic.add(name_of(item["path"]))
        elif kind in _ASSET_KINDS:
            assets.add(name_of(item["path"]))
    css = (name_of(meta["cssBundle"]),) if meta.get("cssBundle") else ()
    return _Output(tuple(sorted(imports)), tuple(sorted(dynamic)), css, tuple(sorted(assets)),
                   tuple(sorted(externals)))


def split_output(
    output: GroupOutput,
    packages: list[tuple[PlannedPackage, str]],
    *,
    entry_inputs: Mapping[str, str],
    interop_of: Mapping[str, bool],
    warnings: Mapping[Path, list[str]],
) -> list[PackageBuild]:
    """One ``PackageBuild`` per ``(package, key)``. ``entry_inputs`` maps each id to its entry
    point as the metafile names it, ``interop_of`` says which ids went through a CommonJS proxy."""
    builds = []
    for package, key in packages:
        entries: dict[str, BuiltEntry] = {}
        for planned in package.ids:
            entries[planned.id] = _entry(output, planned, entry_inputs[planned.id], interop_of[planned.id], package)
        owned = _reachable(output, [entry.file for entry in entries.values()])
        owned |= {name + suffix for name in owned for suffix in COMPANION_SUFFIXES if name + suffix in output.files}
        entry_files = {entry.file for entry in entries.values()}
        chunks = {}
        for name in sorted(owned):
            if name.endswith(".js") and name not in entry_files and name in output.outputs:  # not an emitted worker
                described = output.outputs[name]
                chunks[name] = Chunk(name, described.imports, described.css, described.externals,
                                     described.dynamic_imports)
        files = {name: output.files[name] for name in sorted(owned)}
        # sorted: the build's callbacks run side by side, so the order they were said in varies
        builds.append(PackageBuild(package, key, entries, chunks, files, tuple(sorted(warnings.get(package.dir, ())))))
    return builds


def _entry(output: GroupOutput, planned: PlannedId, entry_input: str, interop: bool,
           package: PlannedPackage) -> BuiltEntry:
    name = output.entry_file_of.get(entry_input)
    if name is None:
        raise BundleError([(package.label, f"esbuild produced no output for {planned.id!r}")])
    described = output.outputs[name]
    return BuiltEntry(planned.id, name, planned.src, interop, described.imports, described.css,
                      described.assets, described.externals, described.dynamic_imports)


def _reachable(output: GroupOutput, starts: list[str]) -> set[str]:
    """Every output file loading ``starts`` may fetch: chunks (static and dynamic), CSS, assets."""
    seen: set[str] = set()
    pending = list(starts)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        described = output.outputs.get(name)
        if described is None:
            continue
        pending.extend((*described.imports, *described.dynamic_imports, *described.css, *described.assets))
    return seen
