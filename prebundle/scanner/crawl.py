"""The crawl: from the entries, follow module scripts and relative imports; collect bare imports.

The crawl loop lives here; its parts each do one job:

* :mod:`.index`: each file's imports come from the scan cache's index when its size and mtime
  (or, failing that, its content hash) are unchanged; the others are parsed, inline when
  there are few and in a process pool (:mod:`.pool`) when a scan has many;
* :mod:`.links`: what relative imports and globs point at, remembered across scans;
* :mod:`.aliases`: what tsconfig ``paths`` and ``baseUrl`` make of non-relative imports, before
  they count as packages;
* :mod:`.bare`: bare imports, resolved here, in one process, with the resolver's caches;
* :mod:`.hooks`: the plugins' hooks, when plugins take part.

Along the way the crawl gathers what its answer depended on (:mod:`.evidence`), so the next
scan can reuse the whole result while none of that changed (:mod:`.snapshot`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..app.dev_jsx import is_jsx_file, jsx_runtime_ids, runtime_note
from ..config import Config
from ..specifiers import is_bare
from . import snapshot as _snapshot
from .aliases import AliasLinks
from .bare import BareImports
from .cache import IndexState, ScanCache, merged_contents
from .evidence import Evidence
from .files import CRAWLED_SUFFIXES, HTML_SUFFIXES, RawImports
from .globs import glob_files, walk_files
from .hooks import crawl_hooks, scan_code
from .index import FileIndex
from .links import RelativeLinks
from .result import ScanResult, ScanStats, result_tuple

if TYPE_CHECKING:
    from ..resolve import Resolver

__all__ = ["CRAWLED_SUFFIXES", "Crawler", "ProgressCallback", "find_entries"]

ProgressCallback = Callable[[int, int], None]
"""Called with (files done, files known so far)."""


def find_entries(config: Config, *, walked: list[str] | None = None) -> list[Path]:
    """Config ``entries`` globs, or every ``*.html`` outside node_modules, the cache and out dirs.
    ``walked`` receives the folders listed."""
    skip = [config.cache_dir, config.root / config.out_dir]
    if config.entries:
        return glob_files(config.entries, config.root, skip=skip, walked=walked)
    return [
        config.root / rel
        for rel in sorted(walk_files(config.root, skip=skip, walked=walked))
        if rel.endswith(HTML_SUFFIXES)
    ]


class Crawler:
    """One scan of one project. Create, call ``run()``, read the result.

    ``key``: the snapshot key of this config (:func:`prebundle.scanner.scan_key`); with a
    cache, a snapshot is saved for it when the crawl's answer can be proven by stamps.
    ``extracted``: fresher index entries (from a snapshot refresh) that override the index;
    ``parsed_now``: those of them extracted by this very scan (they count as parsed).
    """

    def __init__(self, config: Config, resolver: Resolver, cache: ScanCache | None,
                 on_progress: ProgressCallback | None = None, *, key: tuple | None = None,
                 extracted: dict[str, tuple] | None = None, parsed_now: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.cache = cache
        self.on_progress = on_progress
        self.key = key
        self.started_ns = time.time_ns()
        """Stamps this close to the crawl's start are not trusted by the next one (racy)."""
        self.seen: set[str] = set()
        self.queue: list[str] = []
        """Files found and not visited yet."""
        self.warnings: list[str] = []
        self._root_prefix = str(config.root) + os.sep
        self._root_importer = str(config.root / "index.html")
        """A stand-in importer for root-relative imports: only its folder is used."""
        state = cache.load_index(config.root) if cache else IndexState()
        self.evidence = Evidence(config.root, provable=key is not None)
        """What the answer depended on; a snapshot is saved when all of it is stamped."""
        self.files = FileIndex(state, self.evidence, extracted=extracted, parsed_now=parsed_now)
        self.hooks = crawl_hooks(config, self.files.source_text, self._rel)
        """The plugins' hooks, when plugins take part in the crawl."""
        if self.hooks is not None:
            self.evidence.provable = False  # the plugins' code is not proven by stamps
        self.bare = BareImports(config, resolver, self.evidence, name=self._rel)
        self.links = RelativeLinks(resolver, self.evidence, state.links, root=config.root,
                                   any_suffix=self.hooks is not None, package_of=self.bare.excluded_package)
        self.aliases = AliasLinks(resolver, self.evidence, root=config.root, warn=self.warnings.append,
                                  name=self._rel)
        self.jsx_runtimes = jsx_runtime_ids(config)
        """The bare ids the app's compiled JSX imports: each JSX file of the app imports them."""

    # -- driving -----------------------------------------------------------------------------

    def run(self, entries: Iterable[Path], *, walked: Iterable[str] = ()) -> ScanResult:
        """Crawl from ``entries``; ``walked``: the folders listed to find them."""
        started = time.perf_counter()
        entries = tuple(entries)
        self.evidence.tree.update(walked)
        for entry in entries:
            self._add(str(entry))
        files = self.files
        try:
            while self.queue or files.busy:
                while self.queue:
                    wave, self.queue = self.queue, []
                    hooked = self.hooks.run(wave) if self.hooks is not None else {}
                    for path in wave:
                        self._visit(path, hooked.get(path))
                for parsed in files.parse_stale():
                    self._follow(parsed.path, parsed.imports, parsed.warnings)
                if not self.queue:
                    for parsed in files.collect():
                        self._follow(parsed.path, parsed.imports, parsed.warnings)
                if self.on_progress is not None:
                    self.on_progress(files.parsed + files.cached, len(self.seen))
        finally:
            files.close()
        result = self._result(entries, time.perf_counter() - started)
        self._save(result)
        return result

    # -- one file ----------------------------------------------------------------------------

    def _add(self, path: str) -> None:
        if path not in self.seen:
            self.seen.add(path)
            self.queue.append(path)

    def _visit(self, path: str, code: str | None = None) -> None:
        """Scan ``code`` when plugins produced it; else serve the file from the index when its
        stat is unchanged, or leave it to be parsed."""
        if code is not None:
            records = scan_code(path, code)
            self.files.parsed_elsewhere(path)
            self._follow(path, records.imports, records.warnings)
            return
        if path.startswith("\0"):
            self.warnings.append(f"{path[1:]}:1: no plugin loads this virtual module")
            return
        if self.hooks is not None and os.path.splitext(path)[1] not in CRAWLED_SUFFIXES:
            self.files.forget(path)
            return  # a stylesheet or asset the plugins left alone: it imports nothing
        try:
            entry = self.files.lookup(path)
        except (OSError, ValueError) as error:
            self.evidence.provable = False  # a file that cannot be read gives no stamp to trust
            self.warnings.append(f"{self._rel(path)}:1: cannot read: {getattr(error, 'strerror', None) or error}")
            return
        if entry is not None:
            self._follow(path, entry.imports, entry.warnings)

    def _follow(self, path: str, imports: RawImports, warnings: tuple[str, ...]) -> None:
        """Follow one file's imports: crawl what its relative imports point at, record its
        bare ones."""
        if warnings:
            rel = self._rel(path)
            self.warnings.extend(rel + w[len(path):] if w.startswith(path) else w for w in warnings)
        importer = self._root_importer if path.startswith("\0") else path
        folder = os.path.dirname(importer)
        bare, hooks, aliases = self.bare, self.hooks, self.aliases
        if self.evidence.provable:
            self.evidence.chain(folder, bare.owner(folder))
        globs: dict[int, list[str]] = {}
        jsx_sources: list[str] = []
        for specifier, line, kind in imports:
            if kind == "glob":
                globs.setdefault(line, []).append(specifier)
            elif kind == "jsx":  # a ``@jsxImportSource`` comment: its runtime, as esbuild compiles the file
                jsx_sources.append(specifier)
            elif hooks is not None and (resolved := hooks.resolve(specifier, path)) is not None:
                if resolved.startswith("\0") or os.path.isfile(resolved):
                    self._add(resolved)
            elif (aliased := aliases.target(specifier, folder)) is not None and aliased.file is not None:
                if hooks is not None or os.path.splitext(aliased.file)[1] in CRAWLED_SUFFIXES:
                    self._add(aliased.file)  # the app's own file: crawled as a relative import is
            elif is_bare(specifier):
                alias = aliased.reason if aliased is not None else ""
                # Used only as types: TypeScript drops it, so it is no dependency when it cannot be
                # resolved (an installed package is still bundled: harmless, and safe should a use
                # have been missed).
                optional = kind == "elidable" and not aliases.keeps_type_imports(folder)
                entry = bare.record(specifier, importer, folder, line, shown=path, alias=alias, optional=optional)
                if entry is not None:
                    self._add(entry)
            else:
                target = self.links.target(specifier, importer, folder)
                if target is not None:
                    self._add(target)
        if self.jsx_runtimes and self._app_jsx(path):
            source = jsx_sources[-1] if jsx_sources else aliases.jsx_import_source(folder)
            runtimes = self.jsx_runtimes if source is None else jsx_runtime_ids(self.config, source)
            for runtime in runtimes:
                entry = bare.record(runtime, importer, folder, 1, shown=path, note=runtime_note(self.config))
                if entry is not None:
                    self._add(entry)
        for patterns in globs.values():
            for match in self.links.glob(importer, patterns):
                self._add(match)

    def _app_jsx(self, path: str) -> bool:
        """Whether ``path`` is a JSX file of the app (the daemon compiles it; packages' files
        are served as they are)."""
        return (path.startswith(self._root_prefix) and is_jsx_file(self.config, path)
                and "node_modules" not in path[len(self._root_prefix):].split(os.sep))

    # -- finishing ---------------------------------------------------------------------------

    def _rel(self, path: str) -> str:
        """A path as reports name it: relative to the root, POSIX separators."""
        if path.startswith("\0"):
            return path[1:]
        if path.startswith(self._root_prefix):
            rel = path[len(self._root_prefix):]
            return rel if os.sep == "/" else rel.replace(os.sep, "/")
        rel = os.path.relpath(path, self.config.root)
        return rel.replace(os.sep, "/")

    def _save(self, result: ScanResult) -> None:
        """Write the index (racy stamps as -1: the next crawl compares content) and, when the
        answer is proven by stamps, the snapshot."""
        if self.cache is None:
            return
        racy_after = self.started_ns - _snapshot.RACY_NS
        files = self.files.saved(racy_after)
        state = IndexState(files, self.links.saved(racy_after), merged_contents(self.files.state, files))
        snapshot = None
        evidence = self.evidence
        if evidence.provable and set(self.files.used) == self.seen:
            snapshot = _snapshot.make_snapshot(
                key=self.key, root=str(self.config.root), started_ns=self.started_ns,
                files=self.files.used, tree=evidence.tree, listings=evidence.listings, packages=evidence.packages,
                result=result_tuple(result), json_text=json.dumps(result.to_json(), indent=2),
            )
        self.cache.save(self.config.root, snapshot, state)

    def _result(self, entries: tuple[Path, ...], seconds: float) -> ScanResult:
        bare = self.bare
        return ScanResult(
            root=self.config.root,
            entries=entries,
            deps=bare.dependencies(),
            missing=bare.missing_imports(),
            linked=bare.dependencies(linked=True),
            files=tuple(Path(path) for path in sorted(self.seen) if not path.startswith("\0")),
            warnings=tuple(dict.fromkeys([*self.warnings, *bare.warnings])),
            stats=ScanStats(files=len(self.seen), parsed=self.files.parsed, cached=self.files.cached,
                            seconds=seconds),
            excluded=bare.excluded_dependencies(),
        )
