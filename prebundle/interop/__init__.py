"""Interop analysis: is a package entry ESM or CommonJS, and which names does a CommonJS entry
export? The answers drive the proxy entry (:func:`proxy_entry_source`) that gives a bundled
CommonJS package real ES named exports.

Names come from two sources. Static: Node's ``cjs-module-lexer`` rules on the syntax tree, with
reexports followed and ``NODE_ENV`` branches chosen by ``mode`` (:mod:`.lexer`). Dynamic: when
the static answer is empty or ``module.exports`` is assigned an opaque value (UMD,
``module.exports = factory()``), the module runs in a QuickJS sandbox and its keys are read
(:mod:`.evaluate`), its answer cached by content (:mod:`.cache`). The result is the union of
both, minus ``default``, ``__esModule`` and ``module.exports``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .cache import cached_evaluate
from .evaluate import ANALYZER_VERSION
from .format import has_module_syntax, needs_interop
from .lexer import ResolveRequire, cjs_exports
from .proxy import NOT_NAMES, DefaultRule, proxy_entry_source

__all__ = [
    "ANALYZER_VERSION",
    "DefaultRule",
    "Interop",
    "ResolveRequire",
    "analyze",
    "has_module_syntax",
    "needs_interop",
    "proxy_entry_source",
]

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
    cache_dir: Path | None = None,
    evaluate: bool = True,
    force: bool = False,
) -> Interop:
    """Analyze the package entry file ``entry`` for ``mode`` (``development``/``production``).

    ``resolve_require(specifier, from_file)`` resolves bare ``require()``s (reexports of other
    packages, and what the sandbox loads); relative ones are resolved here. ``cache_dir`` keeps
    sandbox results between runs; ``force=True`` does not trust them (``optimize --force``).
    ``evaluate=False`` never runs the sandbox."""
    if not needs_interop(entry):
        return Interop(False, (), False, False)
    static = cjs_exports(entry, mode=mode, resolve_require=resolve_require)
    names = set(static.names)
    es_module = static.es_module
    evaluated = False
    if evaluate and (static.opaque or not names - NOT_NAMES):
        result = cached_evaluate(
            entry,
            mode=mode,
            package_dir=package_dir,
            package_name=package_name,
            resolve_require=resolve_require,
            cache_dir=cache_dir,
            force=force,
        )
        if result.ok:
            names.update(result.names)
            es_module = result.es_module  # about the final module.exports, which statics can't see
            evaluated = True
        else:
            log.debug("%s: sandbox failed (%s); using the %d static names", package_name, result.error, len(names))
    return Interop(True, tuple(sorted(names - NOT_NAMES)), es_module, evaluated)
