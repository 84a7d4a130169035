"""ESM or CommonJS? The answer Vite calls ``needsInterop``, from the entry's syntax alone."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from tree_sitter import Node

from ..filetypes import SCRIPT_EXTENSIONS
from ._syntax import captures, parse

__all__ = ["has_module_syntax", "module_syntax", "needs_interop"]

_MODULE_SYNTAX = """
(program (import_statement) @esm)
(program (export_statement) @esm)
(meta_property) @meta
"""


def has_module_syntax(source: bytes) -> bool:
    """es-module-lexer's ``hasModuleSyntax``: top-level ``import``/``export`` statements or
    ``import.meta``. Dynamic ``import()`` is allowed in CommonJS and does not count."""
    return module_syntax(parse(source).root_node)


def module_syntax(root: Node) -> bool:
    """:func:`has_module_syntax` on an already parsed tree."""
    found = captures(_MODULE_SYNTAX, root)
    if found.get("esm"):
        return True
    return any(node.text.startswith(b"import") for node in found.get("meta", ()))


_MODULE_WORD = re.compile(rb"\b(?:import|export)\b")
_ESM_STATEMENT = re.compile(
    rb"(?:^|[;}\n])[ \t]*(?:import[ \t]*[\w{*'\"]|export[ \t]*(?:[{*]|default\b|const\b|let\b|var\b|"
    rb"function\b|class\b|async\b))")
_COMMONJS_USE = re.compile(rb"\bmodule\s*\.\s*exports\b|\bexports\s*(?:[.\[]|=[^=])|\brequire\s*\(|\bdefine\s*\(")


def needs_interop(entry: Path) -> bool:
    """True when ``entry`` is CommonJS/UMD (no ESM syntax), so its bundle needs a proxy to get
    named exports. ``.mjs``/``.mts`` files are ESM and ``.cjs``/``.cts`` files CommonJS by name; other kinds of
    file (which only plugins turn into code) are taken as ESM.

    Most files settle it without a parse (a parse of a big file costs more than esbuild's
    bundling of it): without the words ``import`` or ``export`` a file has no ESM syntax; a
    file with an ``import``/``export`` statement at the start of a line or after ``;`` and no
    ``module.exports``, ``exports.x``, ``require(`` or ``define(`` is ESM. Anything else is
    parsed."""
    suffix = entry.suffix.lower()
    if suffix in (".mjs", ".mts"):
        return False
    if suffix in (".cjs", ".cts", ".json"):
        return True
    if suffix and suffix not in SCRIPT_EXTENSIONS:
        return False  # a file only the plugins turn into code (.vue, .mdx): they emit ES modules
    stat = entry.stat()
    return _needs_interop(str(entry), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4096)
def _needs_interop(path: str, _size: int, _mtime_ns: int) -> bool:
    """The decision for one file, made once per process while the file is unchanged."""
    source = Path(path).read_bytes()
    if not _MODULE_WORD.search(source):
        return True
    if _ESM_STATEMENT.search(source) and not _COMMONJS_USE.search(source):
        return False
    return not has_module_syntax(source)
