"""Find export names by running a CommonJS module in a sandbox (QuickJS).

For UMD bundles and ``module.exports = factory()`` no static rule can see the keys; running the
module can. The host reads every file the module can ``require`` (relative files of the package,
other packages through ``resolve_require``) and hands their sources to a fresh QuickJS context,
which has no file system, network or host callbacks, a memory limit and a CPU-time limit. Its
globals are a browser's as far as code reads them while it loads (``sandbox.js``): ``window``,
``document``, timers; when that run fails on a missing name, a second one adds the standard DOM
interfaces as stubs that do nothing (first, code that feature-detects an API it then calls
while it loads would find the stub and fail where it would take its fallback).
``require`` of anything the host could not resolve (``fs``, a missing package) returns an empty
stub object. The result is ``Object.keys(module.exports)`` when that is an object or function,
with the files the module graph read and how each ``require`` resolved, so a cached result can
be checked against them (:mod:`.cache`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ._syntax import parse
from .format import module_syntax
from .lexer import ResolveRequire, lex_tree
from .resolve import is_relative, resolve_cjs

__all__ = ["Evaluation", "Require", "evaluate_exports", "resolve_require_target", "stats"]

log = logging.getLogger("prebundle.interop")

TIME_LIMIT = 5.0
"""CPU seconds one evaluation may take."""
MEMORY_LIMIT = 256 * 1024 * 1024
"""Bytes the sandbox may allocate."""
STACK_LIMIT = 1024 * 1024
"""Bytes of native stack the sandbox may use (deep recursion raises, never crashes)."""
MAX_FILES = 2000
"""Files one evaluation may load; requires beyond get the stub."""
MAX_BYTES = 64 * 1024 * 1024
"""Source bytes one evaluation may load."""
_MISSING_GLOBAL = re.compile(r"(?:ReferenceError|TypeError)\b")
"""How a run fails that the DOM stubs may help: a name not defined, a property of undefined."""


@dataclass(frozen=True)
class Require:
    """One ``require(specifier)`` in live code of ``importer`` and the file it loaded (None:
    the stub)."""

    importer: Path
    specifier: str
    target: Path | None


@dataclass(frozen=True)
class Evaluation:
    ok: bool
    """False when the module threw, ran out of time or memory, or could not be read."""
    names: tuple[str, ...]
    es_module: bool
    """The final ``module.exports`` has ``__esModule`` set."""
    seconds: float
    error: str | None = None
    files: tuple[Path, ...] = ()
    """Every file the module graph read, entry first: the answer holds while they are unchanged."""
    requires: tuple[Require, ...] = ()
    """How each ``require`` in those files resolved: the answer also depends on that."""


class _Stats:
    """How often the sandbox actually ran (cache hits don't count)."""

    runs: int = 0


stats = _Stats()


def evaluate_exports(
    entry: Path,
    *,
    mode: str,
    resolve_require: ResolveRequire | None = None,
    time_limit: float = TIME_LIMIT,
    memory_limit: int = MEMORY_LIMIT,
) -> Evaluation:
    """Run ``entry`` as CommonJS with ``process.env.NODE_ENV === mode`` and list its keys."""
    import quickjs  # loaded on first use: most runs never need the sandbox

    started = time.perf_counter()
    stats.runs += 1
    graph, entry_id, files, requires = _module_graph(entry, mode, resolve_require)
    graph_json = json.dumps(graph)
    try:
        try:
            names, es_module = _run(quickjs, graph_json, entry_id, mode, False, time_limit, memory_limit)
        except Exception as exc:
            if not _MISSING_GLOBAL.match(str(exc)):
                raise
            # A global a browser has and the sandbox lacks (file-saver reads
            # HTMLAnchorElement.prototype): once more, with the DOM interfaces as stubs. Not at
            # first: code that finds a stub (TextEncoder) may call it at once, where without it
            # it takes its fallback.
            names, es_module = _run(quickjs, graph_json, entry_id, mode, True, time_limit, memory_limit)
    except Exception as exc:  # JSException, StackOverflow, MemoryError, a bad result
        seconds = time.perf_counter() - started
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.debug("evaluating %s failed after %.2fs: %s", entry, seconds, message)
        return Evaluation(False, (), False, seconds, message, files, requires)
    return Evaluation(True, names, es_module, time.perf_counter() - started, None, files, requires)


def _run(quickjs: Any, graph_json: str, entry_id: str, mode: str, dom_stubs: bool, time_limit: float,
         memory_limit: int) -> tuple[tuple[str, ...], bool]:
    """One run of the sandbox in a fresh context: the entry's keys and ``__esModule``."""
    ctx = quickjs.Context()
    ctx.set_memory_limit(memory_limit)
    ctx.set_max_stack_size(STACK_LIMIT)
    ctx.set_time_limit(time_limit)
    try:
        ctx.set("__prebundle_graph", ctx.parse_json(graph_json))
        ctx.set("__prebundle_run", ctx.eval(_sandbox_source()))
        out = ctx.eval(f"__prebundle_run(__prebundle_graph, {json.dumps(entry_id)}, {json.dumps(mode)}, "
                       f"{json.dumps(dom_stubs)})")
        result = json.loads(out)
        return tuple(n for n in result["names"] if isinstance(n, str)), bool(result["esModule"])
    finally:
        del ctx


def _sandbox_source() -> str:
    return resources.files(__package__).joinpath("sandbox.js").read_text(encoding="utf-8")


def _module_graph(entry: Path, mode: str, resolve_require: ResolveRequire | None
                  ) -> tuple[dict, str, tuple[Path, ...], tuple[Require, ...]]:
    """Every file reachable from ``entry`` through ``require('literal')`` in live code: the
    sandbox's graph, the entry's id in it, the files read and the requires resolved."""
    entry = entry.resolve()
    root = _common_root(entry)
    graph: dict[str, dict] = {}
    ids: dict[Path, str] = {}
    queue: list[Path] = []
    read: list[Path] = []
    requires: list[Require] = []
    total = 0

    def ident(path: Path) -> str:
        """The file's id in the sandbox (its path below ``node_modules``); queues new files."""
        if path not in ids:
            ids[path] = "/" + (path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name)
            queue.append(path)
        return ids[path]

    entry_id = ident(entry)
    while queue:
        path = queue.pop()
        file_id = ids[path]
        if file_id in graph:
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        read.append(path)
        total += len(raw)
        if total > MAX_BYTES or len(graph) >= MAX_FILES:
            log.debug("evaluation of %s: module graph too large, %s not loaded", entry, path)
            continue
        source = raw.decode("utf-8", "replace")
        record = {"filename": file_id, "dirname": file_id.rsplit("/", 1)[0] or "/", "deps": {}}
        if path.suffix == ".json":
            graph[file_id] = {**record, "json": True, "src": source}
            continue
        if source.startswith("#!"):
            source = "//" + source[2:]
        graph[file_id] = {**record, "json": False, "src": source}
        tree = parse(raw).root_node
        if path.suffix not in (".cjs", ".cts") and module_syntax(tree):
            graph[file_id]["src"] = ""  # an ESM file can't run as CommonJS; require gives {}
            continue
        for spec in lex_tree(tree, mode=mode).requires:
            target = resolve_require_target(spec, path, resolve_require)
            requires.append(Require(path, spec, target))
            if target is not None:
                record["deps"][spec] = ident(target)
    return graph, entry_id, tuple(read), tuple(requires)


def resolve_require_target(spec: str, from_file: Path, resolve_require: ResolveRequire | None) -> Path | None:
    """The file (realpath) the sandbox loads for ``require(spec)`` in ``from_file``; None when
    it gets the stub (unresolvable, or not JavaScript/JSON)."""
    try:
        target = resolve_cjs(spec, from_file, resolve_require)
    except Exception as exc:  # a caller's resolver failing must not stop the analysis
        log.debug("resolving %r from %s failed: %s", spec, from_file, exc)
        return None
    if target is None or not target.is_file() or target.suffix not in (".js", ".cjs", ".json", ""):
        if target is not None and not is_relative(spec):
            log.debug("require(%r) in %s is not loadable JavaScript; a stub stands in", spec, from_file)
        return None
    return target.resolve()


def _common_root(entry: Path) -> Path:
    """The ``node_modules`` folder above ``entry`` (ids are paths below it), else its folder."""
    for parent in entry.parents:
        if parent.name == "node_modules":
            return parent
    return entry.parent
