"""The crawl: from the entries, follow module scripts and relative imports; collect bare imports.

Each file's imports come from the scan cache when its size and mtime (or, failing that, its
content hash) are unchanged; the others are parsed, inline when there are few and in a process
pool, in batches, when a cold scan has many. Resolution of what was found happens here, in one
process, with the resolver's caches.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

from ..config import Config
from ..plan import is_excluded
from ..specifiers import is_bare
from .cache import CacheEntry, RawImports, ScanCache, digest_of, to_entry_imports
from .globs import glob_files, walk_files
from .result import Dependency, MissingImport, ScanResult, ScanStats

__all__ = ["CRAWLED_SUFFIXES", "Crawler", "ProgressCallback", "find_entries"]

CRAWLED_SUFFIXES = frozenset(
    {".html", ".htm", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte"}
)
"""Files whose imports are followed; any other import (CSS, JSON, images) is left alone."""
HTML_SUFFIXES = (".html", ".htm")

POOL_THRESHOLD = 256
"""Stale files to parse before a process pool pays for its start-up."""
BATCH_SIZE = 64
"""Files handed to a pool worker at a time."""
MAX_FILE_BYTES = 8 * 1024 * 1024
"""Larger files are skipped with a warning (minified bundles checked into a source tree)."""

ProgressCallback = Callable[[int, int], None]
"""Called with (files done, files known so far)."""


def find_entries(config: Config) -> list[Path]:
    """Config ``entries`` globs, or every ``*.html`` outside node_modules, the cache and out dirs."""
    skip = [config.cache_dir, config.root / config.out_dir]
    if config.entries:
        return glob_files(config.entries, config.root, skip=skip)
    return [
        config.root / rel
        for rel in sorted(walk_files(config.root, skip=skip))
        if rel.endswith((".html", ".htm"))
    ]


Parsed = tuple[str, int, int, str, RawImports, tuple[str, ...]]
"""(path, size, mtime_ns, digest, imports, warnings); size -1 when the file could not be read."""


def _read(path: str) -> tuple[os.stat_result, bytes | None, str | None]:
    """Stat and read a file; returns a warning instead of the bytes when that fails."""
    try:
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode):  # a FIFO would block the read forever
            return stat, None, f"{path}:1: skipped: not a regular file"
        if stat.st_size > MAX_FILE_BYTES:
            return stat, None, f"{path}:1: skipped: file is larger than {MAX_FILE_BYTES // 2**20} MiB"
        with open(path, "rb") as handle:
            return stat, handle.read(), None
    except (OSError, ValueError) as error:
        return os.stat_result((0,) * 10), None, f"{path}:1: cannot read: {getattr(error, 'strerror', None) or error}"


def _extract(path: str, stat: os.stat_result, data: bytes, digest: str | None = None) -> Parsed:
    """Extract one file's imports; never raises (a failure becomes a warning)."""
    from .extract import extract_file

    digest = digest or digest_of(data)
    try:
        result = extract_file(path, data)
    except Exception as error:  # the extractor promises not to raise; a bug must not stop a scan
        return path, stat.st_size, stat.st_mtime_ns, digest, (), (
            f"{path}:1: could not extract imports: {type(error).__name__}: {error}",
        )
    return path, stat.st_size, stat.st_mtime_ns, digest, to_entry_imports(result), result.warnings


def _parse_one(path: str) -> Parsed:
    stat, data, warning = _read(path)
    if data is None:
        return path, -1, -1, "", (), (warning or "",)
    return _extract(path, stat, data)


def parse_batch(paths: list[str]) -> list[Parsed]:
    """Pool task: extract a batch of files."""
    return [_parse_one(path) for path in paths]


def _warm_worker() -> None:
    """Pool initializer: load the grammars once per worker, before the first batch."""
    from . import extract  # noqa: F401


@dataclass
class _Found:
    deps: dict[str, dict] = field(default_factory=dict)
    linked: dict[str, dict] = field(default_factory=dict)
    missing: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Crawler:
    """One scan of one project. Create, call ``run()``, read the result."""

    def __init__(self, config: Config, resolver, cache: ScanCache | None,
                 on_progress: ProgressCallback | None = None) -> None:
        self.config = config
        self.resolver = resolver
        self.cache = cache
        self.on_progress = on_progress
        self.index: dict[str, CacheEntry] = cache.load_index(config.root) if cache else {}
        self.new_index: dict[str, CacheEntry] = {}
        self.seen: set[str] = set()
        self.queue: list[str] = []
        self.stale: list[str] = []
        self.found = _Found()
        self.parsed = 0
        self.cached = 0
        self._pool: ProcessPoolExecutor | None = None
        self._root_importer = config.root / "index.html"
        self._prefetched: dict[str, tuple[os.stat_result, bytes | None, str | None]] = {}
        """Stat and bytes of files read for the plugins, until they are parsed."""
        """A stand-in importer for root-relative imports: only its folder is used."""
        self._root_prefix = str(config.root) + os.sep
        self._source_memo: dict[tuple[str, str], str | None] = {}
        self._bare_memo: dict[tuple[str, str], object] = {}
        """Resolutions made in this scan, by (specifier, importer folder)."""
        self._owners: dict[str, str] = {}
        self._dir_mtimes: dict[str, int] = {}
        self.links = cache.load_links(config.root) if cache else {}
        """Relative resolutions of the last scan: (specifier, folder) -> (target, proof)."""
        self.new_links: dict[tuple[str, str], tuple] = {}
        plugins = config.plugin_container if config.plugins else None
        self.plugins = plugins if plugins is not None and (
            plugins.has("resolve_id") or plugins.has("load") or plugins.has("transform")
            or plugins.has("transform_index_html")) else None
        """Plugins whose resolve_id/load/transform/transform_index_html hooks take part in
        the crawl, if any."""
        self._content_puts: list[tuple[str, str, RawImports, tuple[str, ...]]] = []

    # -- driving -----------------------------------------------------------------------------

    def run(self, entries: Iterable[Path]) -> ScanResult:
        started = time.perf_counter()
        entries = tuple(entries)
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
                if self.stale and (self._pool is not None or self._stale_total() >= POOL_THRESHOLD):
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
        self._save()
        return self._result(entries, time.perf_counter() - started)

    def _stale_total(self) -> int:
        return len(self.stale) + self.parsed

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.parsed + self.cached, len(self.seen))

    def _dispatch(self) -> set[Future]:
        if self._pool is None:
            import multiprocessing
            import sys

            from . import extract  # noqa: F401  (loaded before forking, so workers start warm)

            # fork is cheap and the workers only parse; macOS and Windows spawn instead.
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(
                max_workers=max(1, os.cpu_count() or 1), mp_context=context, initializer=_warm_worker
            )
        futures = set()
        for start in range(0, len(self.stale), BATCH_SIZE):
            futures.add(self._pool.submit(parse_batch, self.stale[start : start + BATCH_SIZE]))
        for path in self.stale:
            self._prefetched.pop(path, None)  # workers read their files themselves
        self.stale = []
        return futures

    def _parse_inline(self) -> None:
        """Parse stale files here, unless their bytes are those of a cached result."""
        stale, self.stale = self.stale, []
        for path in stale:
            stat, data, warning = self._prefetched.pop(path, None) or _read(path)
            if data is None:
                self._accept(path, -1, -1, "", (), (warning or "",))
                continue
            digest = digest_of(data)
            hit = self._by_content(path, stat, digest)
            if hit is None:
                self._accept(*_extract(path, stat, data, digest))
                continue
            self.cached += 1
            self.new_index[path] = hit
            self._follow(path, hit.imports, hit.warnings)

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
        if self.plugins is not None and Path(path).suffix not in CRAWLED_SUFFIXES:
            self._prefetched.pop(path, None)
            return  # a stylesheet or asset the plugins left alone: it imports nothing
        prefetched = self._prefetched.get(path)
        try:
            stat = prefetched[0] if prefetched is not None else os.stat(path)
        except (OSError, ValueError) as error:
            self.found.warnings.append(f"{self._rel(path)}:1: cannot read: {getattr(error, 'strerror', None) or error}")
            return
        entry = self.index.get(path)
        if entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
            self._prefetched.pop(path, None)
            self.cached += 1
            self.new_index[path] = entry
            self._follow(path, entry.imports, entry.warnings)
            return
        self.stale.append(path)

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
        read = _read(path)
        if read[1] is None:
            return None
        self._prefetched[path] = read
        return read[1].decode("utf-8", "surrogateescape")

    def _scan_code(self, path: str, code: str) -> None:
        """Scan code the plugins produced; not cached (it depends on the plugins)."""
        self._prefetched.pop(path, None)
        from .extract import SOURCE_DIALECTS, extract_file

        suffix = "" if path.startswith("\0") else Path(path).suffix.lower()
        html = path.lower().endswith(HTML_SUFFIXES)
        fake = path if html or suffix in SOURCE_DIALECTS else path + ".js"
        result = extract_file(fake, code.encode("utf-8", "surrogateescape"))
        self.parsed += 1
        warnings = tuple(w.replace(fake, path, 1) for w in result.warnings)
        self._follow(path, to_entry_imports(result), warnings)

    def _by_content(self, path: str, stat: os.stat_result, digest: str) -> CacheEntry | None:
        """The cached result for a file whose stat changed but whose bytes may not have."""
        old = self.index.get(path)
        if old is not None and old.digest == digest:
            return CacheEntry(stat.st_size, stat.st_mtime_ns, digest, old.imports, old.warnings)
        if self.cache is not None:
            stored = self.cache.get_content(Path(path).suffix, digest)
            if stored is not None:
                return CacheEntry(stat.st_size, stat.st_mtime_ns, digest, stored[0], stored[1])
        return None

    def _accept(self, path: str, size: int, mtime_ns: int, digest: str,
                imports: RawImports, warnings: tuple[str, ...]) -> None:
        self.parsed += 1
        if size >= 0 and digest:
            self.new_index[path] = CacheEntry(size, mtime_ns, digest, imports, warnings)
            if not warnings:  # warnings name the path, so only clean results are shared by content
                self._content_puts.append((Path(path).suffix, digest, imports, warnings))
        self._follow(path, imports, warnings)

    def _follow(self, path: str, imports: RawImports, warnings: tuple[str, ...]) -> None:
        rel = self._rel(path)
        self.found.warnings.extend(rel + w[len(path):] if w.startswith(path) else w for w in warnings)
        importer = self._root_importer if path.startswith("\0") else Path(path)
        folder = str(importer.parent)
        globs: dict[int, list[str]] = {}
        for specifier, line, kind in imports:
            if kind == "glob":
                globs.setdefault(line, []).append(specifier)
            elif self.plugins is not None and self._plugin_resolves(specifier, path):
                continue
            elif is_bare(specifier):
                self._record_bare(specifier, importer, line, shown=path)
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

    def _source_target(self, specifier: str, importer: Path, folder: str) -> str | None:
        """``_resolve_source``, remembered: within a scan by (specifier, folder), and across
        scans while the folders that decided the answer keep their mtime (no file was added,
        removed or renamed there, so extension and index probing would answer the same)."""
        key = (specifier, folder)
        if key in self._source_memo:
            return self._source_memo[key]
        link = self.links.get(key)
        if link is not None and all(self._dir_mtime(d) == m for d, m in link[1]):
            target = link[0] or None
            self.new_links[key] = link
        else:
            target = self._resolve_source(specifier, importer)
            proof = self._proof(specifier, folder, target)
            if proof is not None:
                self.new_links[key] = (target or "", proof)
        self._source_memo[key] = target
        return target

    def _proof(self, specifier: str, folder: str, target: str | None) -> tuple | None:
        """The folders whose listing decided a relative resolution, with their mtimes; None
        when something else decided it (a symlink, a folder's package.json), so no caching."""
        if specifier.startswith("/") or not specifier.startswith("."):
            return None
        candidate = os.path.normpath(os.path.join(folder, specifier.split("?")[0].split("#")[0]))
        folders = [os.path.dirname(candidate), candidate]
        if target is not None and os.path.dirname(target) not in folders:
            return None
        return tuple((d, self._dir_mtime(d)) for d in folders)

    def _dir_mtime(self, folder: str) -> int:
        mtime = self._dir_mtimes.get(folder)
        if mtime is None:
            try:
                stat = os.stat(folder)
                mtime = stat.st_mtime_ns if os.path.isdir(folder) else -2
            except (OSError, ValueError):  # ValueError: a NUL byte in a garbled specifier
                mtime = -1
            self._dir_mtimes[folder] = mtime
        return mtime

    def _resolve_source(self, specifier: str, importer: Path) -> str | None:
        """The source file a relative or root-absolute import points at, if it is crawled."""
        if specifier.startswith(("virtual:", "\0", "data:", "http:", "https:", "//", "#")):
            return None
        target = None
        if specifier.startswith("/"):  # root-relative first (`<script src="/src/main.js">`)
            target = self.resolver.resolve_file("." + specifier, self._root_importer)
        if target is None:
            target = self.resolver.resolve_file(specifier, importer)
        if target is None or "node_modules" in target.parts:
            return None
        if target.suffix not in CRAWLED_SUFFIXES and self.plugins is None:
            return None  # without plugins, nothing turns other files into modules
        return str(target)

    def _follow_glob(self, importer: Path, patterns: list[str]) -> None:
        """Crawl the files one ``import.meta.glob(...)`` call matches (``!`` patterns exclude)."""
        rooted = [p for p in patterns if p.lstrip("!").startswith("/")]
        base = self.config.root if rooted else importer.parent
        cleaned = [("!" if p.startswith("!") else "") + p.lstrip("!").lstrip("/") if rooted else p
                   for p in patterns]
        for match in glob_files(cleaned, base):
            if match.suffix in CRAWLED_SUFFIXES and match != importer:
                self._add(str(match))

    def _record_bare(self, specifier: str, importer: Path, line: int, *, shown: str) -> None:
        """Record a bare import; ``shown`` is the importer as reports name it."""
        if is_excluded(specifier, self.config.exclude):
            return
        from ..resolve import BuiltinModule, ResolveError

        key = (specifier, self._modules_owner(str(importer.parent)))
        memo = self._bare_memo.get(key)
        if memo is None:
            try:
                memo = self._bare_memo[key] = self._resolve_bare(specifier, importer)
            except ResolveError as error:
                memo = self._bare_memo[key] = error
        try:
            if isinstance(memo, ResolveError):
                raise memo
            resolution = memo
        except BuiltinModule:
            return  # a Node builtin with no browser package installed: not a dependency
        except ResolveError as error:
            slot = self.found.missing.setdefault(specifier, {"importers": set(), "reason": str(error)})
            slot["importers"].add(f"{self._rel(shown)}:{line}")
            return
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

    def _resolve_bare(self, specifier: str, importer: Path):
        """Resolve from the importer; a linked package's file falls back to the project root,
        where an ``npm link``ed package finds the app's copy of its dependencies."""
        from ..resolve import PackageNotFound

        try:
            return self.resolver.resolve(specifier, importer)
        except PackageNotFound:
            if importer.is_relative_to(self.config.root):
                raise
            return self.resolver.resolve(specifier, self._root_importer)

    # -- finishing ---------------------------------------------------------------------------

    def _rel(self, path: str) -> str:
        if path.startswith("\0"):
            return path[1:]
        if path.startswith(self._root_prefix):
            rel = path[len(self._root_prefix):]
            return rel if os.sep == "/" else rel.replace(os.sep, "/")
        rel = os.path.relpath(path, self.config.root)
        return rel.replace(os.sep, "/")

    def _save(self) -> None:
        if self.cache is None:
            return
        if self.new_index != self.index:  # only reached files are kept; the content cache has the rest
            self.cache.save_index(self.config.root, self.new_index)
        if self.new_links != self.links:
            self.cache.save_links(self.config.root, self.new_links)
        self.cache.put_contents(self._content_puts)

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
