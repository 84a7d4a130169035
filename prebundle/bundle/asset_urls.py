"""``new URL('./file', import.meta.url)`` inside packages: the file emitted into the deps dir.

After bundling, ``import.meta.url`` is the URL of a file in the deps dir, so a URL relative to
it points next to the bundle, where nothing is (pdfjs-dist, onnxruntime-web and @ffmpeg/ffmpeg
load their workers and wasm this way). Vite 8 rewrites such URLs back to the package's own
file under ``node_modules``; prebundle emits the file into the deps dir instead, so a backend
that serves only the deps folder serves it too:

* an asset (any file but a script) is copied as ``assets/<name>-<hash><ext>``;
* a worker module (a ``.js``/``.mjs`` file) is bundled on its own, bare imports included (import
  maps do not apply inside workers), as ``assets/<name>-<hash>.js``, its own URLs emitted the
  same way;
* the literal in the package's code becomes the emitted file's URL relative to the output
  file. The rewrite happens before esbuild reads the code (an ``onLoad`` callback for exactly
  the files that need it), so the source maps describe the code that was bundled.

Skipped, as Vite skips them: ``data:`` and other URLs with a scheme, ``//host`` and absolute
paths, template literals with ``${}``, and calls marked ``/* @vite-ignore */``.

Finding them costs almost nothing for the packages that have none: a build's JS outputs are
searched for ``import.meta.url`` (already in memory); only the inputs of an output that holds it
are read, and only the files the pattern matches are parsed. A build that needs a rewrite runs
once more with the callback.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .. import esbuild
from ..metadata import ASSETS_DIR, bundles_workers, file_hash  # (re-exported)
from .hooks import LOADERS
from .modules import own_namespace
from .sourcemaps import MAP_SUFFIX, SCHEME, SourceNamer, is_below, rewrite_maps

if TYPE_CHECKING:
    from tree_sitter import Node

    from ..esbuild import BuildResult, OnLoadArgs, PluginBuild, Service
    from .services import ServiceLease

__all__ = ["ASSETS_DIR", "NOTHING_EMITTED", "AssetUrls", "EmittedFiles", "UrlReference", "bundles_workers",
           "find_references", "serve_rewrites"]

IMPORT_META_URL = b"import.meta.url"
URL_CALL = re.compile(rb"\bnew\s+URL\s*\(\s*('[^'\n]+'|\"[^\"\n]+\"|`[^`]+`)\s*,\s*import\.meta\.url\s*(?:,\s*)?\)")
"""``new URL(<literal>, import.meta.url)``; group 1 is the literal, quotes included."""
VITE_IGNORE = re.compile(rb"/\*\s*@vite-ignore\s*\*/")
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
WORKER_SUFFIXES = (".js", ".mjs")
"""Files bundled as workers; any other file is copied as it is."""
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class UrlReference:
    """One ``new URL('<url>', import.meta.url)`` in a file's code."""

    start: int
    end: int
    """Byte offsets of the literal (quotes included)."""
    url: str
    """The URL as written."""


def find_references(code: bytes) -> list[UrlReference]:
    """The calls of ``code`` to rewrite: real code (not comments or strings), a literal with no
    ``${}`` and no escapes, no ``/* @vite-ignore */``, a relative URL (no scheme, not ``/...``)."""
    if IMPORT_META_URL not in code:
        return []
    found = []
    tree = None
    for match in URL_CALL.finditer(code):
        literal = match.group(1)
        url = literal[1:-1].decode("utf-8", "replace")
        if VITE_IGNORE.search(code, match.start(), match.start(1)) or "\\" in url:
            continue
        if literal.startswith(b"`") and "${" in url:
            continue
        if URL_SCHEME.match(url) or url.startswith("/"):
            continue
        if tree is None:
            from ..interop._syntax import parse  # tree-sitter: only for code with such a URL in it

            tree = parse(code)
        if _is_code(tree.root_node, match.start(), match.start(1)):
            found.append(UrlReference(match.start(1), match.end(1), url))
    return found


def _is_code(root: Node, start: int, literal_start: int) -> bool:
    """Whether the match at ``start`` is a ``new URL(...)`` expression whose first argument starts
    at ``literal_start`` (not text inside a comment, a string or a regular expression)."""
    node = root.descendant_for_byte_range(start, start + 3)
    expression = node.parent if node is not None else None
    if node is None or node.type != "new" or expression is None or expression.type != "new_expression":
        return False
    arguments = expression.child_by_field_name("arguments")
    return arguments is not None and bool(arguments.named_children) \
        and arguments.named_children[0].start_byte == literal_start


@dataclass(frozen=True)
class EmittedFiles:
    """What one build's URLs led to: the files to add to its output, and the code to bundle."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    """Emitted files (and a worker's ``.map``/``.LEGAL.txt``) by name relative to the deps dir."""
    by_source: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Source file (absolute) -> the emitted files an output holding it may fetch (a worker's
    own emitted files included)."""
    rewrites: Mapping[str, bytes] = field(default_factory=dict)
    """Source file (absolute) -> its code with the URLs rewritten."""
    warnings: tuple[tuple[str, str], ...] = ()
    """``(source file, message naming it)`` for URLs left as they are for a reason the user
    should know."""

    def fetched_by(self, inputs: Iterable[str], root: Path) -> tuple[str, ...]:
        """The emitted files of ``inputs`` (an output's metafile inputs, relative to the root)."""
        if not self.by_source:
            return ()
        names: set[str] = set()
        for key in inputs:
            names.update(self.by_source.get(os.path.normpath(os.path.join(root, key)), ()))
        return tuple(sorted(names))


NOTHING_EMITTED = EmittedFiles()



def serve_rewrites(build: PluginBuild, rewrites: Mapping[str, bytes], loaders: Mapping[str, str]) -> None:
    """An ``onLoad`` callback that gives esbuild the rewritten code of exactly these files, with
    the loader the build would have used (``loaders``: the build's ``loader`` option)."""
    pattern = "^(?:" + "|".join(re.escape(path) for path in sorted(rewrites)) + ")$"

    @build.on_load(filter=pattern, namespace="file")
    def rewritten(args: OnLoadArgs):
        code = rewrites.get(args.path)
        if code is None:
            return None
        suffix = Path(args.path).suffix
        return esbuild.OnLoadResult(contents=code, loader=loaders.get(suffix) or LOADERS.get(suffix, "js"))


@dataclass(frozen=True)
class _Worker:
    """A worker module bundled on its own (names relative to the deps dir)."""

    file: str
    files: Mapping[str, bytes]
    fetched: tuple[str, ...]
    """Its file and every file it may fetch (its esbuild assets, its own emitted files)."""
    warnings: tuple[str, ...]


class AssetUrls:
    """Emits the files the URLs of one optimize run's builds point at; workers are bundled once
    per run. Safe to call from several build threads."""

    def __init__(self, service: Service | ServiceLease, root: Path,
                 worker_options: Callable[[Path], dict[str, Any]]) -> None:
        self.service = service
        """What runs a worker's build (``build``): a service, or the run's lease of services."""
        self.root = root
        self.worker_options = worker_options
        """Build options for a worker whose output goes to the given folder (no entry points)."""
        self._workers: dict[str, _Worker | str] = {}
        """Worker file -> its bundle, or why it could not be bundled."""
        self._lock = threading.Lock()

    def emit(self, result: BuildResult, *, code_of: Callable[[str], bytes], to_assets: str = f"./{ASSETS_DIR}/",
             outdir: Path, building: tuple[str, ...] = (), package_dirs: tuple[str, ...] = ()) -> EmittedFiles:
        """The files the relative ``new URL(..., import.meta.url)`` of a finished build point at.
        ``code_of`` gives a source file's code as the build read it; ``to_assets`` is the URL of
        the assets folder from the build's output files; ``building`` the workers being built
        (a worker that reaches itself is left as it is); ``package_dirs`` the real folders of
        the packages built (a linked package's files lie outside any ``node_modules``)."""
        files: dict[str, bytes] = {}
        by_source: dict[str, tuple[str, ...]] = {}
        rewrites: dict[str, bytes] = {}
        warnings: list[tuple[str, str]] = []
        for source in _sources_with_urls(result, self.root):
            code = code_of(source)
            edits: list[tuple[UrlReference, str]] = []
            fetched: set[str] = set()
            for reference in find_references(code):
                emitted = self._emit_one(source, reference, outdir=outdir, building=building,
                                         package_dirs=package_dirs, warnings=warnings)
                if emitted is None:
                    continue
                name, more_files, more_fetched = emitted
                files.update(more_files)
                fetched.update(more_fetched)
                edits.append((reference, to_assets + name[len(ASSETS_DIR) + 1:] + _query_of(reference.url)))
            if edits:
                rewrites[source] = _rewrite(code, edits)
                by_source[source] = tuple(sorted(fetched))
        if not rewrites and not warnings:
            return NOTHING_EMITTED
        return EmittedFiles(files, by_source, rewrites, tuple(warnings))

    def _emit_one(self, source: str, reference: UrlReference, *, outdir: Path, building: tuple[str, ...],
                  package_dirs: tuple[str, ...],
                  warnings: list[tuple[str, str]]) -> tuple[str, Mapping[str, bytes], tuple[str, ...]] | None:
        """``(name, files, fetched)`` of the file one URL points at; None to leave it as it is."""
        said = f"{_shown(source, self.root)}: new URL({reference.url!r}, import.meta.url)"
        target = os.path.realpath(os.path.join(os.path.dirname(source), unquote(_path_of(reference.url))))
        if os.path.isdir(target):
            return None  # a folder's URL (a base for other URLs): nothing to emit
        if not is_below(target, _package_folder(source, self.root, package_dirs)):
            warnings.append((source, f"{said} points outside its package; left as it is"))
            return None
        if not os.path.isfile(target):
            warnings.append((source, f"{said}: no such file; left as it is"))
            return None
        if not target.endswith(WORKER_SUFFIXES):
            data = Path(target).read_bytes()
            name = f"{ASSETS_DIR}/{_safe_stem(target)}-{file_hash(data)}{_safe_suffix(target)}"
            return name, {name: data}, (name,)
        if target in building:
            warnings.append((source, f"{said}: a worker that loads itself; left as it is"))
            return None
        worker = self._worker(target, outdir=outdir, building=(*building, target), package_dirs=package_dirs)
        if isinstance(worker, str):
            warnings.append((source, f"{said}: the worker could not be bundled ({worker}); left as it is"))
            return None
        warnings.extend((source, message) for message in worker.warnings)  # each names its own file
        return worker.file, worker.files, worker.fetched

    def _worker(self, path: str, *, outdir: Path, building: tuple[str, ...],
                package_dirs: tuple[str, ...]) -> _Worker | str:
        with self._lock:
            known = self._workers.get(path)
        if known is None:
            known = self._bundle_worker(path, outdir=outdir, building=building, package_dirs=package_dirs)
            with self._lock:
                self._workers.setdefault(path, known)
        return known

    def _bundle_worker(self, path: str, *, outdir: Path, building: tuple[str, ...],
                       package_dirs: tuple[str, ...]) -> _Worker | str:
        """One worker as a single ES module with everything it imports; its own URLs are emitted
        beside it (it lives in the assets folder); its maps name sources from there."""
        worker_dir = outdir / ASSETS_DIR
        options = {**self.worker_options(worker_dir), "entry_points": [path]}
        try:
            result = self.service.build(**options)
            emitted = self.emit(result, code_of=_read_bytes, to_assets="./", outdir=outdir, building=building,
                                package_dirs=package_dirs)
            if emitted.rewrites:
                options["plugins"] = [*options.get("plugins", ()),
                                      esbuild.Plugin("prebundle-asset-urls",
                                                     lambda build: serve_rewrites(build, emitted.rewrites,
                                                                                  options.get("loader") or {}))]
                result = self.service.build(**options)
        except esbuild.BuildFailure as failure:
            first = failure.errors[0] if failure.errors else None
            return first.text if first is not None else "esbuild failed"
        files = {Path(o.path).relative_to(worker_dir).as_posix(): o.contents for o in result.output_files}
        files = rewrite_maps(files, SourceNamer.for_build(outdir=worker_dir, root=self.root, packages=()))
        files = {f"{ASSETS_DIR}/{name}": _one_folder_down(data) if name.endswith(MAP_SUFFIX) else data
                 for name, data in files.items()}
        outputs = {Path(os.path.normpath(self.root / key)).relative_to(worker_dir).as_posix(): meta
                   for key, meta in (result.metafile or {}).get("outputs", {}).items()}
        entry = next(name for name, meta in outputs.items() if meta.get("entryPoint") and name.endswith(".js"))
        own = {name for name in outputs if not any(name.startswith(other + ".") for other in outputs)}  # no maps
        fetched = {f"{ASSETS_DIR}/{name}" for name in own} | {n for names in emitted.by_source.values() for n in names}
        return _Worker(f"{ASSETS_DIR}/{entry}", {**files, **emitted.files}, tuple(sorted(fetched)),
                       tuple(message for _source, message in emitted.warnings))


def _sources_with_urls(result: BuildResult, root: Path) -> list[str]:
    """Source files (absolute) that may hold the pattern: the inputs of the JS outputs holding
    ``import.meta.url``; none without reading a single source when no output holds it."""
    holding = {os.path.normpath(o.path) for o in result.output_files
               if o.path.endswith((".js", ".mjs")) and IMPORT_META_URL in o.contents}
    if not holding:
        return []
    sources: set[str] = set()
    for key, meta in (result.metafile or {}).get("outputs", {}).items():
        if os.path.normpath(os.path.join(root, key)) not in holding:
            continue
        for input_key in meta.get("inputs", {}):
            if own_namespace(input_key) is None:
                sources.add(os.path.normpath(os.path.join(root, input_key)))
    return sorted(sources)


def _rewrite(code: bytes, edits: list[tuple[UrlReference, str]]) -> bytes:
    """``code`` with each reference's literal replaced by a string of its new URL."""
    parts, last = [], 0
    for reference, url in sorted(edits, key=lambda edit: edit[0].start):
        parts += [code[last:reference.start], json.dumps(url).encode()]
        last = reference.end
    parts.append(code[last:])
    return b"".join(parts)


def _path_of(url: str) -> str:
    return re.split(r"[?#]", url, maxsplit=1)[0]


def _query_of(url: str) -> str:
    return url[len(_path_of(url)):]


def _package_folder(source: str, root: Path, package_dirs: tuple[str, ...] = ()) -> str:
    """The folder a package's URLs may point into: the package built here that holds ``source``
    (the deepest), else the last ``node_modules/<name>`` or ``node_modules/@scope/name`` of its
    path, else the project."""
    holders = [folder for folder in package_dirs if is_below(source, folder)]
    if holders:
        return max(holders, key=len)
    parts = Path(source).parts
    if "node_modules" not in parts:
        return os.path.realpath(root)
    last = len(parts) - 1 - parts[::-1].index("node_modules")
    width = 3 if last + 1 < len(parts) and parts[last + 1].startswith("@") else 2
    return str(Path(*parts[:last + width]))


def _shown(source: str, root: Path) -> str:
    """A source file as messages name it: ``node_modules/<package>/<path>`` (whatever the real
    layout), else its path from the root."""
    parts = Path(source).parts
    if "node_modules" in parts:
        return "node_modules/" + "/".join(parts[len(parts) - parts[::-1].index("node_modules"):])
    return Path(os.path.relpath(source, root)).as_posix()


def _safe_stem(path: str) -> str:
    return _UNSAFE_NAME.sub("_", Path(path).stem) or "asset"


def _safe_suffix(path: str) -> str:
    return _UNSAFE_NAME.sub("_", Path(path).suffix)


def _read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _one_folder_down(data: bytes) -> bytes:
    """A worker's map, whose sources ``sourcemaps`` named from the deps dir, as seen from the
    assets folder it lives in: one more ``../`` before each relative source."""
    try:
        value = json.loads(data)
        value["sources"] = [source if source.startswith(SCHEME) else "../" + source
                            for source in value["sources"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return data
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
