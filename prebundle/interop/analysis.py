"""``analyze``: the interop answer for one package entry (is it CommonJS, which names does it
export), from the lexer and, when it is not enough, the sandbox; cached by content."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .format import needs_interop
from .proxy import NOT_NAMES

if TYPE_CHECKING:
    from .cache import InteropCache
    from .lexer import ResolveRequire

__all__ = ["Interop", "analyze"]

log = logging.getLogger("prebundle.interop")


@dataclass(frozen=True)
class Interop:
    needs_interop: bool
    """The entry is CommonJS/UMD (no ESM syntax): bundle it through a proxy."""
    names: tuple[str, ...]
    """Named exports for the proxy, sorted; empty for ESM entries."""
    es_module: bool
    """``module.exports.__esModule`` is set, as far as the analysis sees (the evaluation's
    answer, about the final ``module.exports``, wins). Informative: the proxy checks it at run
    time."""
    evaluated: bool
    """The sandbox contributed names (fresh or from the cache)."""


def analyze(
    entry: Path,
    *,
    mode: str,
    package_dir: Path,
    package_name: str,
    resolve_require: ResolveRequire | None = None,
    cache: InteropCache | None = None,
    evaluate: bool = True,
    force: bool = False,
) -> Interop:
    """Analyze the package entry file ``entry`` for ``mode`` (``development``/``production``).

    ``resolve_require(specifier, from_file)`` resolves bare ``require()``s (reexports of other
    packages, and what the sandbox loads); relative ones are resolved here. ``cache`` keeps
    answers between runs, keyed by the content they were computed from. ``evaluate=False``
    never runs the sandbox. ``force=True`` analyses an entry with ESM syntax as CommonJS too
    (config ``needs_interop``): its ``module.exports`` names, as the lexer and sandbox see them."""
    if not force and not needs_interop(entry, cache=cache):
        return Interop(False, (), False, False)
    if cache is not None:
        stored = cache.lookup(entry, package_dir=package_dir, package_name=package_name, mode=mode,
                              resolve_require=resolve_require)
        if stored is not None and isinstance(stored.get("names"), list):
            return Interop(True, tuple(stored["names"]), bool(stored.get("es_module")), bool(stored.get("evaluated")))
    # The lexer and the sandbox load only for an answer not in the cache (7 ms of imports).
    from .evaluate import evaluate_exports
    from .lexer import cjs_exports

    requires: list[tuple[Path, str, Path | None]] = []

    def recorded(specifier: str, from_file: Path) -> Path | None:
        target = resolve_require(specifier, from_file) if resolve_require is not None else None
        requires.append((from_file, specifier, target))
        return target

    static = cjs_exports(entry, mode=mode, resolve_require=recorded, force=force)
    names = set(static.names)
    es_module = static.es_module
    evaluated = False
    files: list[Path] = list(static.files)
    if evaluate and (static.opaque or not names - NOT_NAMES):
        result = evaluate_exports(entry, mode=mode, resolve_require=recorded)
        files.extend(result.files)
        requires.extend((r.importer, r.specifier, r.target) for r in result.requires)
        if result.ok:
            names.update(result.names)
            es_module = result.es_module  # about the final module.exports, which statics can't see
            evaluated = True
        else:
            log.debug("%s: sandbox failed (%s); using the %d static names", package_name, result.error, len(names))
    interop = Interop(True, tuple(sorted(names - NOT_NAMES)), es_module, evaluated)
    if cache is not None:
        cache.store(entry, {"names": list(interop.names), "es_module": es_module, "evaluated": evaluated},
                    package_dir=package_dir, package_name=package_name, mode=mode, files=files,
                    requires=[(importer, spec, target) for importer, spec, target in dict.fromkeys(requires)
                              if not spec.startswith((".", "/"))])
    return interop
