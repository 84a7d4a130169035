"""Shared tree-sitter plumbing: the JavaScript parser, string literals, ``NODE_ENV`` branches."""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter_javascript
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

__all__ = [
    "JS",
    "parse",
    "query",
    "captures",
    "matches",
    "text",
    "string_value",
    "is_dead",
    "node_env_value",
]

JS = Language(tree_sitter_javascript.language())
"""The JavaScript grammar (it also parses JSX and Flow-free modern syntax)."""

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def parse(source: bytes) -> Tree:
    return Parser(JS).parse(source)


@lru_cache(maxsize=None)
def query(source: str) -> Query:
    return Query(JS, source)


def captures(q: str, node: Node) -> dict[str, list[Node]]:
    return QueryCursor(query(q)).captures(node)


def matches(q: str, node: Node) -> list[dict[str, list[Node]]]:
    return [m for _, m in QueryCursor(query(q)).matches(node)]


def text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


def string_value(node: Node) -> str | None:
    """The value of a ``string`` node with its JS escapes decoded; None for any other node."""
    if node.type != "string":
        return None
    out: list[str] = []
    for child in node.named_children:
        if child.type == "string_fragment":
            out.append(text(child))
        elif child.type == "escape_sequence":
            out.append(_decode_escape(text(child)))
    value = "".join(out)
    try:  # join \uD83D\uDE00-style surrogate pairs; lone surrogates stay as they are
        return value.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return value


def _decode_escape(esc: str) -> str:
    body = esc[1:]
    if body.startswith("u{"):
        return chr(int(body[2:-1], 16))
    if body[0] in "xu" and len(body) > 1:
        return chr(int(body[1:], 16))
    if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
        return ""  # line continuation
    return _SIMPLE_ESCAPES.get(body, body)


def _is_node_env(node: Node) -> bool:
    """``process.env.NODE_ENV`` or ``process.env["NODE_ENV"]``."""
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        obj = node.child_by_field_name("object")
        ok = prop is not None and text(prop) == "NODE_ENV"
    elif node.type == "subscript_expression":
        obj = node.child_by_field_name("object")
        index = node.child_by_field_name("index")
        ok = index is not None and string_value(index) == "NODE_ENV"
    else:
        return False
    return ok and obj is not None and re.fullmatch(r"process\s*\.\s*env", text(obj)) is not None


def node_env_value(cond: Node, mode: str) -> bool | None:
    """Evaluate a condition over ``process.env.NODE_ENV`` for ``mode``; None when it depends on more."""
    t = cond.type
    if t == "parenthesized_expression":
        inner = [c for c in cond.named_children if c.type != "comment"]
        return node_env_value(inner[0], mode) if len(inner) == 1 else None
    if t == "unary_expression" and cond.child_by_field_name("operator") is not None:
        if text(cond.child_by_field_name("operator")) == "!":
            v = node_env_value(cond.child_by_field_name("argument"), mode)
            return None if v is None else not v
        return None
    if t != "binary_expression":
        return None
    op = text(cond.child_by_field_name("operator"))
    left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
    if op in ("&&", "||"):
        a, b = node_env_value(left, mode), node_env_value(right, mode)
        if op == "&&":
            return False if False in (a, b) else (True if a is True and b is True else None)
        return True if True in (a, b) else (False if a is False and b is False else None)
    if op not in ("===", "!==", "==", "!="):
        return None
    if _is_node_env(right):
        left, right = right, left
    if not _is_node_env(left):
        return None
    literal = string_value(right)
    if literal is None:
        return None
    equal = literal == mode
    return equal if op in ("===", "==") else not equal


_BRANCHING = {"if_statement", "ternary_expression"}


def is_dead(node: Node, mode: str) -> bool:
    """True when ``node`` sits in a branch that ``process.env.NODE_ENV == mode`` never takes."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in _BRANCHING:
            if parent.type == "if_statement":
                taken = _if_branch(parent, child)
            else:
                taken = _ternary_branch(parent, child)
            if taken is not None:
                value = node_env_value(parent.child_by_field_name("condition"), mode)
                if value is not None and value != taken:
                    return True
        child, parent = parent, parent.parent
    return False


def _if_branch(stmt: Node, child: Node) -> bool | None:
    """True if ``child`` is the consequence, False if it is the ``else`` clause."""
    if _same(stmt.child_by_field_name("consequence"), child):
        return True
    if _same(stmt.child_by_field_name("alternative"), child):
        return False
    return None


def _ternary_branch(expr: Node, child: Node) -> bool | None:
    if _same(expr.child_by_field_name("consequence"), child):
        return True
    if _same(expr.child_by_field_name("alternative"), child):
        return False
    return None


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte and a.type == b.type
