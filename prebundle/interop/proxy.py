"""The proxy entry: an ES module esbuild bundles in place of a CommonJS entry, so the bundle
has real named exports.

For ``names = ["useState", "a-b"]`` it reads::

    // prebundle: ESM face of a CommonJS module
    const __cjs = require("react");
    export default __cjs != null && __cjs.__esModule ? __cjs.default : __cjs;
    const __n0 = __cjs["useState"];
    const __n1 = __cjs["a-b"];
    export { __n0 as useState, __n1 as "a-b" };

Why ``require`` and not ``import x from``: esbuild's ``__toESM`` picks ``default`` by the
*importer's* flavour (``module.exports`` in Node mode, i.e. ``.mjs`` or ``"type": "module"``;
``exports.default`` for ``__esModule`` modules otherwise), so the answer would depend on where
the proxy file happens to live. ``require`` gives ``module.exports`` itself, and the proxy
chooses by a :data:`DefaultRule`. esbuild turns the ``require`` of a bundled file into a plain
call of its CommonJS wrapper, so the output is ordinary browser ESM.

Why ``__esModule`` is read at run time, from the final ``module.exports``, as ``__toESM``
does: what a module says and what it ends up exporting can differ. Babel's
add-module-exports (react-modal) sets ``exports.__esModule``, then replaces ``module.exports``
with ``exports.default``; the value exported has no ``__esModule``, so ``default`` is that
value in Node, esbuild, webpack and Vite alike. A static answer gets such modules wrong.

Named exports are snapshots taken once, after the module ran (as in Node). A name that is an
ASCII identifier and not a reserved word is exported bare; any other name as a string
(``export { x as "delete" }``, ``export { x as "a-b" }``, ES2022). ``default`` and
``__esModule`` are never named exports, and names that are not well-formed Unicode are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Literal

__all__ = ["DefaultRule", "proxy_entry_source", "export_name"]

DefaultRule = Literal["bundler", "node"]
"""What ``import x from 'cjs'`` gives when the final ``module.exports`` has ``__esModule``:
``"bundler"`` gives ``exports.default`` (esbuild, webpack and Vite for non-Node importers),
``"node"`` gives ``module.exports`` itself (Node, Vite 8 for ``.mjs``/``"type": "module"``
importers). Without ``__esModule`` both give ``module.exports``. The config key ``interop``
(CONTRACT.md, Output) chooses between them."""

_DEFAULT_EXPORT: dict[str, str] = {
    "bundler": "export default __cjs != null && __cjs.__esModule ? __cjs.default : __cjs;",
    "node": "export default __cjs;",
}

_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
NOT_NAMES = frozenset({"default", "__esModule", "module.exports"})
"""Never named exports: the default and the module object itself have their own forms."""
_RESERVED = frozenset(
    "await break case catch class const continue debugger default delete do else enum export extends"
    " false finally for function if implements import in instanceof interface let new null package"
    " private protected public return static super switch this throw true try typeof var void while"
    " with yield".split()
)
"""Reserved words are valid bare export names, but simpler parsers (tree-sitter's among them)
reject ``export { x as delete }``; they are exported as strings instead."""


def export_name(name: str) -> str | None:
    """``name`` as it appears after ``as`` in an export clause; None when it can't be exported."""
    if _ASCII_IDENTIFIER.fullmatch(name) and name not in _RESERVED:
        return name
    try:
        name.encode("utf-8")  # lone surrogates are not allowed in module export names
    except UnicodeEncodeError:
        return None
    return _js_string(name)


def proxy_entry_source(entry_import: str, names: Iterable[str], *, default: DefaultRule = "bundler",
                       module_exports: bool = False, reexport: bool = False) -> str:
    """JavaScript source of the proxy for the CommonJS module at ``entry_import`` (a path or
    specifier esbuild resolves from the proxy's location); ``default`` is the rule for the
    default export.

    ``module_exports=True`` also exports the whole ``module.exports`` under the name
    ``"module.exports"``, as Node.js does; a ``require()`` of the bundle from another package
    then gets the very object the CommonJS module built.

    ``reexport=True`` adds ``export * from`` the entry, for an entry with ESM syntax forced through
    the proxy (config ``needs_interop``): when esbuild treats it as ESM, its own named exports
    stay (the names above, local exports, win over them); when esbuild treats it as CommonJS (it
    assigns ``module.exports``), the star adds nothing."""
    lines = [
        "// prebundle: ESM face of a CommonJS module",
        f"const __cjs = require({_js_string(entry_import)});",
        _DEFAULT_EXPORT[default],
    ]
    specifiers = []
    for name in dict.fromkeys(names):
        exported = export_name(name) if name not in NOT_NAMES else None
        if exported is None:
            continue
        local = f"__n{len(specifiers)}"
        lines.append(f"const {local} = __cjs[{_js_string(name)}];")
        specifiers.append(f"{local} as {exported}")
    if module_exports:
        specifiers.append('__cjs as "module.exports"')
    if specifiers:
        lines.append("export { " + ", ".join(specifiers) + " };")
    if reexport:
        lines.append(f"export * from {_js_string(entry_import)};")
    return "\n".join(lines) + "\n"


def _js_string(value: str) -> str:
    """A double-quoted JS string literal; ASCII only (U+2028/9 and ``</script>``-safe)."""
    return json.dumps(value, ensure_ascii=True).replace("/", "\\/")
