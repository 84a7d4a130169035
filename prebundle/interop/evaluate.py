"""Find export names by running a CommonJS module in a sandbox (QuickJS).

For UMD bundles and ``module.exports = factory()`` no static rule can see the keys; running the
module can. The host reads every file the module can ``require`` (relative files of the package,
other packages through ``resolve_require``) and hands their sources to a fresh QuickJS context,
which has no file system, network or host callbacks, a memory limit and a CPU-time limit.
``require`` of anything the host could not resolve (``fs``, a missing package) returns an empty
stub object. The result is ``Object.keys(module.exports)`` when that is an object or function.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ._syntax import parse
from .format import module_syntax
from .lexer import ResolveRequire, lex_tree
from .resolve import is_relative, resolve_cjs

__all__ = ["Evaluation", "evaluate_exports", "cached_evaluate", "stats", "ANALYZER_VERSION"]

log = logging.getLogger("prebundle.interop")

ANALYZER_VERSION = "1"
"""Part of every cache key: bump it when the evaluation's answers can change."""

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


@dataclass(frozen=True)
class Evaluation:
    ok: bool
    """False when the module threw, ran out of time or memory, or could not be read."""
    names: tuple[str, ...]
    es_module: bool
    seconds: float
    error: str | None = None


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
    import quickjs

    started = time.perf_counter()
    stats.runs += 1
    graph, entry_id = _module_graph(entry, mode, resolve_require)
    ctx = quickjs.Context()
    ctx.set_memory_limit(memory_limit)
    ctx.set_max_stack_size(STACK_LIMIT)
    ctx.set_time_limit(time_limit)
    try:
        ctx.set("__prebundle_graph", ctx.parse_json(json.dumps(graph)))
        run = ctx.eval(_sandbox_source())
        ctx.set("__prebundle_run", run)
        out = ctx.eval(f"__prebundle_run(__prebundle_graph, {json.dumps(entry_id)}, {json.dumps(mode)})")
        result = json.loads(out)
        names = tuple(n for n in result["names"] if isinstance(n, str))
        es_module = bool(result["esModule"])
    except Exception as exc:  # JSException, StackOverflow, MemoryError, a bad result
        seconds = time.perf_counter() - started
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.debug("evaluating %s failed after %.2fs: %s", entry, seconds, message)
        return Evaluation(False, (), False, seconds, message)
    finally:
        del ctx
    return Evaluation(True, names, es_module, time.perf_counter() - started)


def _sandbox_source() -> str:
    return resources.files(__package__).joinpath("sandbox.js").read_text(encoding="utf-8")


def _module_graph(entry: Path, mode: str, resolve_require: ResolveRequire | None) -> tuple[dict, str]:
    """Every file reachable from ``entry`` through ``require('literal')`` in live code."""
    entry = entry.resolve()
    root = _common_root(entry)
    graph: dict[str, dict] = {}
    ids: dict[Path, str] = {}
    queue: list[Path] = []
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
            target = _resolve(spec, path, resolve_require)
            if target is not None:
                record["deps"][spec] = ident(target.resolve())
    return graph, entry_id


def _resolve(spec: str, from_file: Path, resolve_require: ResolveRequire | None) -> Path | None:
    try:
        target = resolve_cjs(spec, from_file, resolve_require)
    except Exception as exc:  # a caller's resolver failing must not stop the analysis
        log.debug("resolving %r from %s failed: %s", spec, from_file, exc)
        return None
    if target is None or not target.is_file() or target.suffix not in (".js", ".cjs", ".json", ""):
        if target is not None and not is_relative(spec):
            log.debug("require(%r) in %s is not loadable JavaScript; a stub stands in", spec, from_file)
        return None
    return target


def _common_root(entry: Path) -> Path:
    """The ``node_modules`` folder above ``entry`` (ids are paths below it), else its folder."""
    for parent in entry.parents:
        if parent.name == "node_modules":
            return parent
    return entry.parent


def cached_evaluate(
    entry: Path,
    *,
    mode: str,
    package_dir: Path,
    package_name: str,
    version: str | None,
    resolve_require: ResolveRequire | None = None,
    cache_dir: Path | None = None,
) -> Evaluation:
    """``evaluate_exports`` with a JSON cache per (package, version, entry, mode, analyzer version).

    Without a version, the entry's content hash stands in for it. Failures are cached too, so a
    package that throws is not re-run on every optimize."""
    if cache_dir is None:
        return evaluate_exports(entry, mode=mode, resolve_require=resolve_require)
    try:
        rel = entry.resolve().relative_to(package_dir.resolve()).as_posix()
    except ValueError:
        rel = entry.resolve().as_posix()
    key = {
        "package": package_name,
        "version": version if version is not None else "sha256:" + hashlib.sha256(entry.read_bytes()).hexdigest(),
        "entry": rel,
        "mode": mode,
        "analyzer": ANALYZER_VERSION,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    path = cache_dir / f"{digest}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return Evaluation(bool(data["ok"]), tuple(data["names"]), bool(data["es_module"]), 0.0, data.get("error"))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    result = evaluate_exports(entry, mode=mode, resolve_require=resolve_require)
    record = {
        "key": key,
        "ok": result.ok,
        "names": list(result.names),
        "es_module": result.es_module,
        "error": result.error,
        "seconds": round(result.seconds, 4),
    }
    _write_atomic(path, json.dumps(record, indent=1))
    return result


def _write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
