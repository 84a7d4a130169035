"""Tree-sitter parsers and compiled import queries, built lazily once per process.

Languages and queries are immutable and shared; a ``Parser`` holds mutable state, so each
thread gets its own.
"""

from __future__ import annotations

import functools
import threading
from typing import Literal

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

__all__ = ["Dialect", "language", "parser", "import_query"]

Dialect = Literal["js", "ts", "tsx"]
"""Which grammar parses a source: JavaScript (with JSX), TypeScript, or TSX."""

# One query for every construct that can import. Statements are captured whole (the
# type-only and ESM checks need them); calls capture their argument list, because the
# first argument may be preceded by a comment node.
_IMPORT_QUERY = """
(import_statement) @import
(export_statement) @export
(call_expression
  function: (import)
  arguments: (arguments) @dynamic)
(call_expression
  function: (identifier) @_require (#eq? @_require "require")
  arguments: (arguments) @require)
(call_expression
  function: (member_expression
    object: (meta_property)
    property: (property_identifier) @_glob (#eq? @_glob "glob"))
  arguments: (arguments) @glob)
"""


@functools.cache
def language(dialect: Dialect) -> tree_sitter.Language:
    """The tree-sitter language for ``dialect``."""
    if dialect == "js":
        return tree_sitter.Language(tree_sitter_javascript.language())
    if dialect == "ts":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_typescript.language_tsx())


@functools.cache
def import_query(dialect: Dialect) -> tree_sitter.Query:
    """The compiled import query for ``dialect`` (captures: import, export, dynamic, require, glob)."""
    return tree_sitter.Query(language(dialect), _IMPORT_QUERY)


_local = threading.local()


def parser(dialect: Dialect) -> tree_sitter.Parser:
    """This thread's parser for ``dialect``."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    found = parsers.get(dialect)
    if found is None:
        found = parsers[dialect] = tree_sitter.Parser(language(dialect))
    return found
