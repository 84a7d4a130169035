"""ESM or CommonJS? The answer Vite calls ``needsInterop``, from the entry's syntax alone."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node

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


def needs_interop(entry: Path) -> bool:
    """True when ``entry`` is CommonJS/UMD (no ESM syntax), so its bundle needs a proxy to get
    named exports. ``.mjs``/``.mts`` files are ESM and ``.cjs``/``.cts`` files CommonJS by name."""
    suffix = entry.suffix.lower()
    if suffix in (".mjs", ".mts"):
        return False
    if suffix in (".cjs", ".cts", ".json"):
        return True
    return not has_module_syntax(entry.read_bytes())
