"""Where a module's import specifiers are, so they can be rewritten for the browser.

Run on esbuild's output (plain JavaScript), with the scanner's tree-sitter grammar: every
whole-word ``import``/``export`` is looked up in the syntax tree, so one inside a string, a
comment, a template or a regular expression is not taken for an import. Static imports,
``export ... from`` and ``import("literal")`` count; an ``import()`` of anything but a plain
string literal is left to the browser.
"""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from ..scanner import grammars

__all__ = ["ImportSite", "import_sites"]

_KEYWORDS = (b"import", b"export")
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


class ImportSite(NamedTuple):
    """One specifier in the code: the byte range of its string literal, quotes included."""

    start: int
    end: int
    specifier: str
    dynamic: bool
    """An ``import()`` call, not a statement."""


def import_sites(code: bytes) -> tuple[ImportSite, ...]:
    """The import specifiers of ``code`` (JavaScript, JSX allowed), in order."""
    positions = _keyword_positions(code)
    if not positions:
        return ()
    root = grammars.parser("js").parse(code).root_node
    sites: list[ImportSite] = []
    for pos in positions:
        leaf = root.descendant_for_byte_range(pos, pos + 6)
        if leaf is None or leaf.start_byte != pos or leaf.type not in ("import", "export"):
            continue
        parent = leaf.parent
        if parent is not None and parent.type == "import":  # ``import(...)``: the callee node
            parent = parent.parent
        if parent is None:
            continue
        if parent.type in ("import_statement", "export_statement"):
            source = parent.child_by_field_name("source")
        elif parent.type == "call_expression" and leaf.type == "import":
            source = _first_argument(parent)
        else:
            continue
        site = _string_site(code, source, dynamic=parent.type == "call_expression")
        if site is not None:
            sites.append(site)
    return tuple(sites)


def _keyword_positions(code: bytes) -> list[int]:
    positions: list[int] = []
    for word in _KEYWORDS:
        at = code.find(word)
        while at != -1:
            end = at + len(word)
            if (at == 0 or code[at - 1] not in _IDENT) and (end >= len(code) or code[end] not in _IDENT):
                positions.append(at)
            at = code.find(word, end)
    positions.sort()
    return positions


def _first_argument(call: Node) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.named_child_count == 0:
        return None
    return arguments.named_children[0]


def _string_site(code: bytes, node: Node | None, *, dynamic: bool) -> ImportSite | None:
    """The site of a plain string literal (no escapes); None for anything else."""
    if node is None or node.type != "string":
        return None
    raw = code[node.start_byte + 1:node.end_byte - 1]
    if b"\\" in raw or any(child.type == "escape_sequence" for child in node.children):
        return None
    try:
        specifier = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return ImportSite(node.start_byte, node.end_byte, specifier, dynamic)
