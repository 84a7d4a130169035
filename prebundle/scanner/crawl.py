"""The crawl: from the entries, follow module scripts and relative imports; collect bare imports.

Each file's imports come from the scan cache's index when its size and mtime (or, failing that,
its content hash) are unchanged; the others are parsed, inline when there are few and in a
process pool when a scan has many. Resolution of what was found happens here, in one process,
with the resolver's caches. Along the way the crawl gathers what its answer depended on
(:mod:`.evidence`), so the next scan can reuse the whole result while none of that changed
(:mod:`.snapshot`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..plan import is_excluded
from ..specifiers import is_bare
from .cache import IndexState, ScanCache, merged_contents
from .evidence import CONSTANT_PREFIXES, Evidence
from .files import RawImports, digest_of, extract_parsed, parse_batch, read_file
from .globs import glob_files, walk_files
from .result import Dependency, MissingImport, ScanResult, ScanStats, result_tuple
from . import snapshot as _snapshot

__all__ = ["CRAWLED_SUFFIXES", "Crawler", "ProgressCallback", "find_entries"]

CRAWLED_SUFFIXES = frozenset(
    {".html", ".htm", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte"}
)
"""Files whose imports are followed; any other import (CSS, JSON, images) is left alone."""
HTML_SUFFIXES = (".html", ".htm")

POOL_THRESHOLD = 256
"""Stale files to parse before a process pool pays for its start-up."""
COLD_POOL_THRESHOLD = 48
"""The same when nothing is indexed yet (a cold scan): the whole tree is still to be parsed,
so the pool starts early rather than after the first ``POOL_THRESHOLD`` files parsed here."""
BATCH_BYTES = 384 * 1024
"""Bytes of source handed to a pool worker at a time: large enough that the per-task cost
(pickling, a queue round trip) is small, small enough that both cores finish together."""
MAX_BATCH_FILES = 256

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
        if rel.endswith((".html", ".htm"))
    ]


def _warm_worker() -> None:
    """Pool initializer: load the extractor and the grammars once per worker, before the first
    batch (with fork they are loaded already)."""
    from . import extract  # noqa: F401
    from .grammars import language

    for dialect in ("js", "ts", "tsx"):
        language(dialect)


@dataclass
class _Found:
    deps: dict[str, dict] = field(default_factory=dict)
    linked: dict[str, dict] = field(default_factory=dict)
    missing: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Crawler:
    """One scan of one project. Create, call ``run()``, read the result.

    ``key``: the snapshot key of this config (:func:`prebundle.scanner.scan_key`); with a
    cache, a snapshot is saved for it when the crawl's answer can be proven by stamps.
    ``extracted``: fresher index entries (from a snapshot refresh) that override the index;
    ``parsed_now``: those of them extracted by this very scan (they count as parsed).
    """

    def __init__(self, config: Config, resolver, cache: ScanCache | None,
                 on_progress: ProgressCallback | None = None, *, key: tuple | None = None,
                 extracted: dict[str, tuple] | None = None, parsed_now: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.resolver = resolver
        self.cache = cache
        self.on_progress = on_progress
        self.key = key
        self.started_ns = time.time_ns()
        """Stamps this close to the crawl's start are not trusted by the next one (racy)."""
        self.state = cache.load_index(config.root) if cache else IndexState()
        self.index: dict[str, tuple] = self.state.files
        """path -> (size, mtime_ns, digest, imports, warnings) of the last crawls."""
        if extracted:
            self.index = {**self.index, **extracted}
        self.parsed_now = parsed_now
        self.links = self.state.links
        """Relative resolutions of the last scan: (specifier, folder) -> (target, proof)."""
        self.new_index: dict[str, tuple] = {}
        self.new_links: dict[tuple[str, str], tuple] = {}
        self.seen: set[str] = set()
        self.queue: list[str] = []
        self.stale: list[str] = []
        self.found = _Found()
        self.parsed = 0
        self.cached = 0
        self._pool: ProcessPoolExecutor | None = None
        self._root_importer = str(config.root / "index.html")
        """A stand-in importer for root-relative imports: only its folder is used."""
        self._prefetched: dict[str, tuple[os.stat_result, bytes | None, str | None]] = {}
        """Stat and bytes of files read for the plugins, until they are parsed."""
        self._root_prefix = str(config.root) + os.sep
        self._source_memo: dict[tuple[str, str], str | None] = {}
        self._bare_memo: dict[tuple[str, str], object] = {}
        """Resolutions made in this scan, by (specifier, importer folder)."""
        self._owners: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        """Sizes of stale files (from the visit's ``stat``), to batch them by bytes."""
        plugins = config.plugin_container if config.plugins else None
        self.plugins = plugins if plugins is not None and (
            plugins.has("resolve_id") or plugins.has("load") or plugins.has("transform")
            or plugins.has("transform_index_html")) else None
        """Plugins whose resolve_id/load/transform/transform_index_html hooks take part in
        the crawl, if any."""
        self.evidence = Evidence(config.root, provable=key is not None and self.plugins is None)
        """What the answer depended on; a snapshot is saved when all of it is stamped."""

    # -- driving -----------------------------------------------------------------------------

    def run(self, entries: Iterable[Path], *, walked: Iterable[str] = ()) -> ScanResult:
        """Crawl from ``entries``; ``walked``: the folders listed to find them."""
        started = time.perf_counter()
        entries = tuple(entries)
        self.evidence.tree.update(walked)
        for entry in entries:
            self._add(str(entry))
        pending: set[Future] = set()
        try:
            while self.queue or self.stale or pending:
                while self.queue:
                    wave, self.queue = self.queue, []
                    hooked = self._run_hooks(wave) if self.plugins is not None else {}
                    for path in wave:
                        self._visit(path, hooked.get(path))
                if self.stale and self._use_pool():
                    pending |= self._dispatch()
                elif self.stale:
                    self._parse_inline()
                if pending and not self.queue and not self.stale:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        for parsed in future.result():
                            self._accept(*parsed)
                self._progress()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        result = self._result(entries, time.perf_counter() - started)
        self._save(result)
        return result

    def _use_pool(self) -> bool:
        """Whether stale files go to the process pool (once started, it stays in use)."""
        if self._pool is not None:
            return True
        threshold = POOL_THRESHOLD if self.index else COLD_POOL_THRESHOLD
        return len(self.stale) + self.parsed >= threshold

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.parsed + self.cached, len(self.seen))

    def _dispatch(self) -> set[Future]:
        if self._pool is None:
            import multiprocessing
            import sys

            _warm_worker()  # loaded before forking, so workers start warm

            # fork is cheap and the workers only parse; macOS and Windows spawn instead.
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(
                max_workers=max(1, os.cpu_count() or 1), mp_context=context, initializer=_warm_worker
            )
        futures = set()
        for batch in _batches(self.stale, self._sizes):
            futures.add(self._pool.submit(parse_batch, batch))
        for path in self.stale:
            self._prefetched.pop(path, None)  # workers read their files themselves
        self.stale = []
        return futures

    def _parse_inline(self) -> None:
        """Parse stale files here, unless their bytes are those of a cached result."""
        stale, self.stale = self.stale, []
        for path in stale:
            stat, data, warning = self._prefetched.pop(path, None) or read_file(path)
            if data is None:
                self._accept(path, -1, -1, "", (), (warning or "",))
                continue
            digest = digest_of(data)
            hit = self._by_content(path, stat, digest)
            if hit is None:
                self._accept(*extract_parsed(path, stat, data, digest))
                continue
            self.cached += 1
            self.new_index[path] = hit
            self._follow(path, hit[3], hit[4])

    # -- one file ----------------------------------------------------------------------------

    def _add(self, path: str) -> None:
        if path not in self.seen:
            self.seen.add(path)
            self.queue.append(path)

    def _visit(self, path: str, code: str | None = None) -> None:
        """Scan ``code`` when plugins produced it; else serve the file from the index when its
        stat is unchanged, or mark it stale."""
        if code is not None:
            self._scan_code(path, code)
            return
        if path.startswith("\0"):
            self.found.warnings.append(f"{path[1:]}:1: no plugin loads this virtual module")
            return
        if self.plugins is not None and os.path.splitext(path)[1] not in CRAWLED_SUFFIXES:
            self._prefetched.pop(path, None)
            return  # a stylesheet or asset the plugins left alone: it imports nothing
        prefetched = self._prefetched.get(path)
        try:
            stat = prefetched[0] if prefetched is not None else os.stat(path)
        except (OSError, ValueError) as error:
            self.evidence.provable = False  # a file that cannot be read gives no stamp to trust
            self.found.warnings.append(f"{self._rel(path)}:1: cannot read: {getattr(error, 'strerror', None) or error}")
            return
        entry = self.index.get(path)
        if entry is not None and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            self._prefetched.pop(path, None)
            if path in self.parsed_now:
                self.parsed += 1
            else:
                self.cached += 1
            self.new_index[path] = entry
            self._follow(path, entry[3], entry[4])
            return
        self.stale.append(path)
        self._sizes[path] = stat.st_size

    def _run_hooks(self, wave: list[str]) -> dict[str, str | None]:
        """The plugins' code for a wave of files (or ``\\0`` virtual ids), None where they
        leave one as it is. HTML pages go through ``transform_index_html``, as when the daemon
        serves them (so the imports of tags it adds are found), the rest through ``load`` and
        ``transform``, all in one batch."""
        pages = [path for path in wave if path.lower().endswith(HTML_SUFFIXES)]
        modules = [path for path in wave if not path.lower().endswith(HTML_SUFFIXES)]
        out: dict[str, str | None] = {}
        if modules and (self.plugins.has("load") or self.plugins.has("transform")):
            out.update(self.plugins.load_and_transform(modules, self._source_text))
        if self.plugins.has("transform_index_html"):
            for page in pages:
                out[page] = self._index_html(page)
        return out

    def _index_html(self, page: str) -> str | None:
        from ..plugins import IndexHtmlContext

        html = self._source_text(page)
        if html is None:
            return None
        ctx = IndexHtmlContext(path="/" + self._rel(page), filename=page)
        transformed = self.plugins.transform_index_html(html, ctx)
        return transformed if transformed != html else None

    def _source_text(self, path: str) -> str | None:
        """A file's text for the plugins (undecodable bytes kept as surrogates); None for a
        virtual id or a file that cannot be read (the usual path then reports it). The stat
        and bytes are kept for the parse, should the plugins leave the file alone: one read,
        and the index records the stat taken before it."""
        if path.startswith("\0"):
            return None
        read = read_file(path)
        if read[1] is None:
            return None
        self._prefetched[path] = read
        return read[1].decode("utf-8", "surrogateescape")

    def _scan_code(self, path: str, code: str) -> None:
        """Scan code the plugins produced; not cached (it depends on the plugins)."""
        self._prefetched.pop(path, None)
        from .extract import SOURCE_DIALECTS, extract_file

        suffix = "" if path.startswith("\0") else os.path.splitext(path)[1].lower()
        html = path.lower().endswith(HTML_SUFFIXES)
        fake = path if html or suffix in SOURCE_DIALECTS else path + ".js"
        result = extract_file(fake, code.encode("utf-8", "surrogateescape"))
        self.parsed += 1
        warnings = tuple(w.replace(fake, path, 1) for w in result.warnings)
        imports = tuple((r.specifier, r.line, r.kind) for r in result.imports)
        self._follow(path, imports, warnings)

    def _by_content(self, path: str, stat: os.stat_result, digest: str) -> tuple | None:
        """The cached result for a file whose stat changed but whose bytes may not have."""
        old = self.index.get(path)
        if old is not None and old[2] == digest:
            return (stat.st_size, stat.st_mtime_ns, digest, old[3], old[4])
        stored = self.state.contents.get((os.path.splitext(path)[1], digest))
        if stored is not None:
            return (stat.st_size, stat.st_mtime_ns, digest, stored[0], stored[1])
        return None

    def _accept(self, path: str, size: int, mtime_ns: int, digest: str,
                imports: RawImports, warnings: tuple[str, ...]) -> None:
        self.parsed += 1
        if size >= 0 and digest:
            self.new_index[path] = (size, mtime_ns, digest, imports, warnings)
        else:
            self.evidence.provable = False  # unreadable now; a chmod would not show in its stamp
        self._follow(path, imports, warnings)

    def _follow(self, path: str, imports: RawImports, warnings: tuple[str, ...]) -> None:
        if warnings:
            rel = self._rel(path)
            self.found.warnings.extend(rel + w[len(path):] if w.startswith(path) else w for w in warnings)
        importer = self._root_importer if path.startswith("\0") else path
        folder = os.path.dirname(importer)
        if self.evidence.provable:
            self.evidence.chain(folder, self._modules_owner(folder))
        globs: dict[int, list[str]] = {}
        for specifier, line, kind in imports:
            if kind == "glob":
                globs.setdefault(line, []).append(specifier)
            elif self.plugins is not None and self._plugin_resolves(specifier, path):
                continue
            elif is_bare(specifier):
                self._record_bare(specifier, importer, folder, line, shown=path)
            else:
                target = self._source_target(specifier, importer, folder)
                if target is not None:
                    self._add(target)
        for patterns in globs.values():
            self._follow_glob(importer, patterns)

    # -- what an import points at ------------------------------------------------------------

    def _plugin_resolves(self, specifier: str, importer: str) -> bool:
        """Ask plugins' ``resolve_id``; crawl what they point at. True when one answered."""
        resolved = self.plugins.resolve_id(specifier, importer, {"scan": True})
        if resolved is None:
            return False
        if resolved.startswith("\0") or os.path.isfile(resolved):
            self._add(resolved)
        return True

    def _source_target(self, specifier: str, importer: str, folder: str) -> str | None:
        """``_resolve_source``, remembered: within a scan by (specifier, folder), and across
        scans while the folders that decided the answer keep their stamps (no file was added,
        removed or renamed there, so extension and index probing would answer the same)."""
        key = (specifier, folder)
        if key in self._source_memo:
            return self._source_memo[key]
        evidence = self.evidence
        folders = evidence.proof_folders(specifier, folder)
        if not folders:  # an answer that does not depend on the disk
            self._source_memo[key] = None
            return None
        link = self.links.get(key)
        if link is not None and evidence.holds(link[1]):
            target = link[0] or None
            self.new_links[key] = link
            evidence.resolved(folders, None)
        else:
            proof = evidence.proof(folders)  # before the folders are read
            resolved, target = self._resolve_source(specifier, importer)
            if evidence.resolved(folders, resolved):
                self.new_links[key] = (target or "", proof)
        self._source_memo[key] = target
        return target

    def _resolve_source(self, specifier: str, importer: str) -> tuple[str | None, str | None]:
        """(the file a relative or root-absolute import resolves to, that file if it is
        crawled)."""
        if specifier.startswith(CONSTANT_PREFIXES):
            return None, None
        target = None
        if specifier.startswith("/"):  # root-relative first (`<script src="/src/main.js">`)
            target = self.resolver.resolve_file("." + specifier, self._root_importer)
        if target is None:
            target = self.resolver.resolve_file(specifier, importer)
        if target is None:
            return None, None
        found = str(target)
        if "node_modules" in target.parts:
            return found, None
        if target.suffix not in CRAWLED_SUFFIXES and self.plugins is None:
            return found, None  # without plugins, nothing turns other files into modules
        return found, found

    def _follow_glob(self, importer: str, patterns: list[str]) -> None:
        """Crawl the files one ``import.meta.glob(...)`` call matches (``!`` patterns exclude)."""
        rooted = [p for p in patterns if p.lstrip("!").startswith("/")]
        base = self.config.root if rooted else Path(os.path.dirname(importer))
        cleaned = [("!" if p.startswith("!") else "") + p.lstrip("!").lstrip("/") if rooted else p
                   for p in patterns]
        walked: list[str] = []
        for match in glob_files(cleaned, base, walked=walked):
            if match.suffix in CRAWLED_SUFFIXES and str(match) != importer:
                self._add(str(match))
        self.evidence.tree.update(walked)

    def _record_bare(self, specifier: str, importer: str, folder: str, line: int, *, shown: str) -> None:
        """Record a bare import; ``shown`` is the importer as reports name it."""
        if is_excluded(specifier, self.config.exclude):
            return
        from ..resolve import BuiltinModule, ResolveError

        key = (specifier, self._modules_owner(folder))
        memo = self._bare_memo.get(key)
        if memo is None:
            try:
                memo = self._resolve_bare(specifier, importer)
            except ResolveError as error:
                memo = error
            self._bare_memo[key] = memo
            if self.evidence.provable:
                self.evidence.bare(specifier, key[1], importer, memo, self.resolver)
        if isinstance(memo, BuiltinModule):
            return  # a Node builtin with no browser package installed: not a dependency
        if isinstance(memo, ResolveError):
            slot = self.found.missing.setdefault(specifier, {"importers": set(), "reason": str(memo)})
            slot["importers"].add(f"{self._rel(shown)}:{line}")
            return
        resolution = memo
        if resolution.ignored or resolution.kind != "js":
            return  # CSS, JSON and assets of packages are not pre-bundled; nor browser-ignored files
        included = specifier in self.config.include
        bucket = self.found.linked if resolution.linked and not included else self.found.deps
        slot = bucket.get(specifier)
        if slot is None:
            slot = bucket[specifier] = {"resolution": resolution, "importers": set()}
            if bucket is self.found.linked and resolution.entry is not None:
                if resolution.entry.suffix in CRAWLED_SUFFIXES:
                    self._add(str(resolution.entry))
        slot["importers"].add(self._rel(shown))

    def _modules_owner(self, folder: str) -> str:
        """The nearest folder at or above ``folder`` that has a ``node_modules``: every folder
        between resolves bare specifiers exactly as it does, so they share one answer."""
        owner = self._owners.get(folder)
        if owner is None:
            if os.path.isdir(os.path.join(folder, "node_modules")):
                owner = folder
            else:
                parent = os.path.dirname(folder)
                owner = folder if parent == folder else self._modules_owner(parent)
            self._owners[folder] = owner
        return owner

    def _resolve_bare(self, specifier: str, importer: str):
        """Resolve from the importer; a linked package's file falls back to the project root,
        where an ``npm link``ed package finds the app's copy of its dependencies."""
        from ..resolve import PackageNotFound

        try:
            return self.resolver.resolve(specifier, Path(importer))
        except PackageNotFound:
            if (importer + os.sep).startswith(self._root_prefix) or importer == str(self.config.root):
                raise
            return self.resolver.resolve(specifier, Path(self._root_importer))

    # -- finishing ---------------------------------------------------------------------------

    def _rel(self, path: str) -> str:
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
        files = {
            path: entry if entry[1] < racy_after else (entry[0], -1, *entry[2:])
            for path, entry in self.new_index.items()
        }
        links = {
            key: (target, tuple((d, m if m is None or m < racy_after else None) for d, m in proof))
            for key, (target, proof) in self.new_links.items()
        }
        state = IndexState(files, links, merged_contents(self.state, files))
        snapshot = None
        evidence = self.evidence
        if evidence.provable and set(self.new_index) == self.seen:
            snapshot = _snapshot.make_snapshot(
                key=self.key, root=str(self.config.root), started_ns=self.started_ns,
                files=self.new_index, tree=evidence.tree, listings=evidence.listings, packages=evidence.packages,
                result=result_tuple(result), json_text=json.dumps(result.to_json(), indent=2),
            )
        self.cache.save(self.config.root, snapshot, state)

    def _result(self, entries: tuple[Path, ...], seconds: float) -> ScanResult:
        def dependency(specifier: str, slot: dict) -> Dependency:
            resolution = slot["resolution"]
            return Dependency(
                specifier=specifier,
                src=resolution.entry,
                package_name=resolution.package_name,
                package_dir=resolution.package_dir,
                version=resolution.version,
                importers=tuple(sorted(slot["importers"])),
            )

        found = self.found
        return ScanResult(
            root=self.config.root,
            entries=entries,
            deps={spec: dependency(spec, found.deps[spec]) for spec in sorted(found.deps)},
            missing={
                spec: MissingImport(spec, tuple(sorted(found.missing[spec]["importers"])),
                                    found.missing[spec]["reason"])
                for spec in sorted(found.missing)
            },
            linked={spec: dependency(spec, found.linked[spec]) for spec in sorted(found.linked)},
            files=tuple(Path(path) for path in sorted(self.seen) if not path.startswith("\0")),
            warnings=tuple(dict.fromkeys(found.warnings)),
            stats=ScanStats(files=len(self.seen), parsed=self.parsed, cached=self.cached,
                            seconds=seconds),
        )


def _batches(paths: list[str], sizes: dict[str, int]) -> Iterable[list[str]]:
    """Stale files in batches of about ``BATCH_BYTES`` of source."""
    batch: list[str] = []
    size = 0
    for path in paths:
        size += sizes.get(path, 0)
        batch.append(path)
        if size >= BATCH_BYTES or len(batch) >= MAX_BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
