"""Tree-sitter languages and parsers, built lazily once per process.

Languages are immutable and shared; a ``Parser`` holds mutable state, so each thread gets
its own. (The extractor uses no tree-sitter queries: see :mod:`.extract` for why.)
"""

from __future__ import annotations

import functools
import threading
from typing import Literal

import tree_sitter

__all__ = ["Dialect", "language", "parser"]

Dialect = Literal["js", "ts", "tsx"]
"""Which grammar parses a source: JavaScript (with JSX), TypeScript, or TSX."""


@functools.cache
def language(dialect: Dialect) -> tree_sitter.Language:
    """The tree-sitter language for ``dialect``."""
    if dialect == "js":  # each grammar package is imported when first needed
        import tree_sitter_javascript

        return tree_sitter.Language(tree_sitter_javascript.language())
    import tree_sitter_typescript

    if dialect == "ts":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_typescript.language_tsx())


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
