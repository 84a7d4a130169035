"""Named exports of a CommonJS file, found statically the way Node's ``cjs-module-lexer`` does.

The patterns are Node's (see its README): ``exports.x =``, ``module.exports.x =``,
``exports['x'] =``, ``Object.defineProperty(exports, 'x', {value | get})``, object literals
assigned to ``module.exports`` (with ``...require()`` spreads), and the reexports
``module.exports = require()`` (last one wins), ``__exportStar(require())``/``__export(require())``
and Babel's ``Object.keys(_x).forEach(...)`` loop. Matching works on the syntax tree, so code in
comments and strings never counts. Two things go beyond Node: given a ``mode``, code in
``process.env.NODE_ENV`` branches that the mode never takes is ignored (so ``index.js`` of React
follows the production file in production), and every static key of an object literal counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from ._syntax import is_dead, matches, node_env_value, parse, string_value, text
from .format import module_syntax
from .resolve import resolve_cjs

__all__ = ["FileExports", "CjsExports", "lex", "lex_tree", "cjs_exports", "ResolveRequire"]

ResolveRequire = Callable[[str, Path], "Path | None"]
"""``resolve_require(specifier, from_file)``: where ``require(specifier)`` in ``from_file`` leads."""

_EXPORTS = r'"^(module\\.exports|exports)$"'

_ASSIGN_QUERY = f"""
(assignment_expression
  left: (member_expression object: (_) @obj property: (property_identifier) @name)
  (#match? @obj {_EXPORTS})) @assign
(assignment_expression
  left: (subscript_expression object: (_) @obj index: (string) @name)
  (#match? @obj {_EXPORTS})) @assign
"""

_MODULE_EXPORTS_QUERY = """
(assignment_expression
  left: (member_expression object: (identifier) @m property: (property_identifier) @e)
  right: (_) @rhs
  (#eq? @m "module") (#eq? @e "exports")) @module_assign
"""

_DEFINE_QUERY = f"""
(call_expression
  function: (member_expression object: (identifier) @O property: (property_identifier) @dp)
  arguments: (arguments . (_) @target . (string) @name . (_)? @desc)
  (#eq? @O "Object") (#eq? @dp "defineProperty")
  (#match? @target {_EXPORTS})) @define
"""

_STAR_QUERY = r"""
(call_expression
  function: (_) @fn
  arguments: (arguments . (call_expression
      function: (identifier) @req
      arguments: (arguments . (string) @spec)))
  (#eq? @req "require") (#match? @fn "__export(Star)?\\)?$")) @star
"""

_BABEL_LOOP_QUERY = """
(call_expression
  function: (member_expression
    object: (call_expression
      function: (member_expression object: (identifier) @O property: (property_identifier) @keys)
      arguments: (arguments . (identifier) @src .))
    property: (property_identifier) @fe)
  arguments: (arguments . [(function_expression) (arrow_function)] @cb)
  (#eq? @O "Object") (#eq? @keys "keys") (#eq? @fe "forEach")) @loop
"""

_REQUIRE_QUERY = """
(call_expression
  function: (identifier) @req
  arguments: (arguments . (string) @spec .)
  (#eq? @req "require")) @require
"""

_QUERY = _ASSIGN_QUERY + _MODULE_EXPORTS_QUERY + _DEFINE_QUERY + _STAR_QUERY + _BABEL_LOOP_QUERY + _REQUIRE_QUERY
"""All patterns in one query: one pass over the tree (big files are ~1 MB)."""

_FIRST_PARAM = re.compile(r"^\s*(?:async\s+)?(?:function\b[^(]*)?\(?\s*([A-Za-z_$][\w$]*)")


@dataclass(frozen=True)
class FileExports:
    """What one file says about its own ``module.exports``."""

    names: frozenset[str]
    """Names assigned or defined on ``exports`` (may include ``default`` and ``__esModule``)."""
    star_reexports: tuple[str, ...]
    """Specifiers whose keys are copied onto ``exports`` (spreads, ``__exportStar``, Babel loops)."""
    whole_reexport: str | None
    """The last ``module.exports = require(spec)`` in live code: ``module.exports`` *is* that module."""
    es_module: bool
    """``__esModule`` is set (Babel/TypeScript output)."""
    opaque: bool
    """``module.exports`` is assigned a value whose keys no static rule can see (``factory()``)."""
    requires: tuple[str, ...] = ()
    """Every ``require('literal')`` in live code, in source order (for the evaluator)."""

    @property
    def reexports(self) -> tuple[str, ...]:
        """All reexported specifiers, Node's order: star reexports, then the whole one."""
        if self.whole_reexport is None:
            return self.star_reexports
        return tuple(dict.fromkeys((*self.star_reexports, self.whole_reexport)))


def lex(source: bytes, *, mode: str | None = None) -> FileExports:
    """Lex one CommonJS source. ``mode=None`` is Node's behaviour (no branch is dead)."""
    return lex_tree(parse(source).root_node, mode=mode)


def lex_tree(root: Node, *, mode: str | None = None) -> FileExports:
    """:func:`lex` on an already parsed tree."""
    found: dict[str, list[dict[str, list[Node]]]] = {}
    for m in matches(_QUERY, root):
        kind = next(k for k in ("assign", "module_assign", "define", "star", "loop", "require") if k in m)
        found.setdefault(kind, []).append(m)

    def live(node: Node) -> bool:
        return mode is None or not is_dead(node, mode)

    names: set[str] = set()
    es_module = False
    opaque = False
    reexports: list[tuple[int, str]] = []
    whole: tuple[int, str] | None = None  # the last ``module.exports = require(...)``

    for m in found.get("assign", ()):
        assign, name_node = m["assign"][0], m["name"][0]
        name = string_value(name_node) if name_node.type == "string" else text(name_node)
        if name is not None and live(assign):
            names.add(name)
            if name == "__esModule":
                es_module = True

    for m in found.get("module_assign", ()):
        assign = m["module_assign"][0]
        if not live(assign):
            continue
        rhs = _pick_branch(m["rhs"][0], mode)
        spec = _require_specifier(rhs)
        if spec is not None:
            whole = (assign.start_byte, spec)
        elif rhs.type == "object":
            lit_names, lit_reexports, lit_esm = _object_literal(rhs)
            names |= lit_names
            es_module |= lit_esm
            reexports += [(rhs.start_byte, s) for s in lit_reexports]
        elif not _is_exports_ref(rhs):
            opaque = True

    for m in found.get("define", ()):
        call = m["define"][0]
        name = string_value(m["name"][0])
        desc = m.get("desc", [None])[0]
        if name is None or not live(call) or desc is None or desc.type != "object":
            continue
        if _descriptor_exports(desc):
            names.add(name)
            if name == "__esModule":
                es_module = True

    for m in found.get("star", ()):
        call = m["star"][0]
        spec = string_value(m["spec"][0])
        if spec is not None and live(call):
            reexports.append((call.start_byte, spec))

    requires = [(m["require"][0], string_value(m["spec"][0])) for m in found.get("require", ())]
    requires = [(c, s) for c, s in requires if s is not None and live(c)]

    for m in found.get("loop", ()):
        call, src, cb = m["loop"][0], text(m["src"][0]), m["cb"][0]
        if not live(call) or not _copies_onto_exports(cb):
            continue
        for req, spec in requires:
            if _binding_of(req) == src:
                reexports.append((call.start_byte, spec))

    reexports.sort()
    return FileExports(
        names=frozenset(names),
        star_reexports=tuple(dict.fromkeys(spec for _, spec in reexports)),
        whole_reexport=whole[1] if whole is not None else None,
        es_module=es_module,
        opaque=opaque,
        requires=tuple(dict.fromkeys(spec for _, spec in requires)),
    )


def _pick_branch(node: Node, mode: str | None) -> Node:
    """``cond ? a : b`` over ``NODE_ENV`` → the branch ``mode`` takes (recursively); else ``node``."""
    while True:
        while node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        if node.type != "ternary_expression" or mode is None:
            return node
        value = node_env_value(node.child_by_field_name("condition"), mode)
        if value is None:
            return node
        node = node.child_by_field_name("consequence" if value else "alternative")


def _require_specifier(node: Node) -> str | None:
    if node.type != "call_expression":
        return None
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or fn.type != "identifier" or text(fn) != "require" or args is None:
        return None
    real = [a for a in args.named_children if a.type != "comment"]
    return string_value(real[0]) if len(real) == 1 else None


def _is_exports_ref(node: Node) -> bool:
    """``module.exports = exports`` and friends change nothing."""
    return text(node) in ("exports", "module.exports")


def _object_literal(obj: Node) -> tuple[set[str], list[str], bool]:
    names: set[str] = set()
    reexports: list[str] = []
    for prop in obj.named_children:
        key: Node | None = None
        if prop.type == "shorthand_property_identifier":
            key = prop
        elif prop.type == "pair":
            key = prop.child_by_field_name("key")
        elif prop.type == "method_definition":
            key = prop.child_by_field_name("name")
        elif prop.type == "spread_element":
            spec = _require_specifier(prop.named_children[0]) if prop.named_child_count else None
            if spec is not None:
                reexports.append(spec)
            continue
        if key is None:
            continue
        if key.type in ("property_identifier", "shorthand_property_identifier", "identifier"):
            names.add(text(key))
        elif key.type == "string":
            value = string_value(key)
            if value is not None:
                names.add(value)
        elif key.type == "number":
            names.add(_number_key(text(key)))
    return names, reexports, "__esModule" in names


def _number_key(literal: str) -> str:
    try:
        value = float(int(literal, 0)) if literal[:2].lower() in ("0x", "0o", "0b") else float(literal)
    except ValueError:
        return literal
    return str(int(value)) if value.is_integer() else repr(value)


def _descriptor_exports(desc: Node) -> bool:
    """``{ value: ... }`` or a getter that only returns a binding (``return x``, ``return m.x``)."""
    for prop in desc.named_children:
        if prop.type == "pair":
            key = text(prop.child_by_field_name("key")).strip("'\"")
            value = prop.child_by_field_name("value")
            if key == "value":
                return True
            if key == "get":
                return _safe_getter(value)
        elif prop.type == "method_definition" and text(prop.child_by_field_name("name")) == "get":
            return _safe_getter(prop)
    return False


def _safe_getter(fn: Node | None) -> bool:
    if fn is None:
        return False
    body = fn.child_by_field_name("body")
    if body is None:
        return False
    if body.type != "statement_block":  # arrow with an expression body
        returned = body
    else:
        stmts = [s for s in body.named_children if s.type != "comment"]
        if len(stmts) != 1 or stmts[0].type != "return_statement" or not stmts[0].named_child_count:
            return False
        returned = stmts[0].named_children[0]
    return _is_binding_read(returned)


def _is_binding_read(node: Node) -> bool:
    if node.type == "identifier":
        return True
    if node.type == "member_expression":
        return _is_binding_read(node.child_by_field_name("object"))
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        return index is not None and index.type == "string" and _is_binding_read(node.child_by_field_name("object"))
    return False


def _copies_onto_exports(cb: Node) -> bool:
    """Babel's loop body writes each key onto ``exports``."""
    source = text(cb)
    m = _FIRST_PARAM.match(source)
    if not m:
        return False
    key = re.escape(m.group(1))
    return bool(
        re.search(rf"\bexports\s*\[\s*{key}\s*\]\s*=(?!=)", source)
        or re.search(rf"\bdefineProperty\(\s*exports\s*,\s*{key}\s*,", source)
    )


def _binding_of(call: Node) -> str | None:
    """The variable a ``require()`` result is stored in: ``var _x = require()``,
    ``_x = _interopRequireWildcard(require())``."""
    node = call.parent
    while node is not None and node.type in ("arguments", "call_expression", "parenthesized_expression"):
        node = node.parent
    if node is None:
        return None
    if node.type == "variable_declarator":
        target = node.child_by_field_name("name")
    elif node.type == "assignment_expression":
        target = node.child_by_field_name("left")
    else:
        return None
    return text(target) if target is not None and target.type == "identifier" else None


@dataclass(frozen=True)
class CjsExports:
    """The static export names of a CommonJS module, reexports followed."""

    names: frozenset[str]
    es_module: bool
    opaque: bool
    """Some file in the reexport chain assigns ``module.exports`` something the lexer can't see into."""
    files: tuple[Path, ...]
    """Files read, entry first."""


def cjs_exports(entry: Path, *, mode: str | None = None, resolve_require: ResolveRequire | None = None,
                force: bool = False) -> CjsExports:
    """Lex ``entry`` and, recursively and cycle-safely, every file it reexports.

    Relative reexports are resolved with CommonJS rules; bare ones with ``resolve_require``
    (unresolvable ones are skipped). Reexported ESM files contribute nothing, as in Node;
    ``force=True`` lexes an ``entry`` with ESM syntax all the same (config ``needs_interop``)."""
    names: set[str] = set()
    seen: dict[Path, FileExports] = {}
    opaque = False

    def visit(path: Path) -> bool:
        """Collect ``path``; returns its ``__esModule``."""
        nonlocal opaque
        key = path.resolve()
        if key in seen:
            return seen[key].es_module
        source = _read(key)
        if source is None:
            return False
        if key.suffix == ".json":
            seen[key] = FileExports(frozenset(_json_keys(source)), (), None, False, False)
            names.update(seen[key].names)
            return False
        root = parse(source).root_node
        if key.suffix not in (".cjs", ".cts") and not (force and path is entry) and module_syntax(root):
            seen[key] = FileExports(frozenset(), (), None, False, False)
            return False
        info = lex_tree(root, mode=mode)
        seen[key] = info
        names.update(info.names)
        opaque |= info.opaque
        es_module = info.es_module
        for spec in info.reexports:
            target = resolve_cjs(spec, key, resolve_require)
            if target is not None:
                child_esm = visit(target)
                if spec == info.whole_reexport:
                    es_module |= child_esm
        return es_module

    es_module = visit(entry)
    return CjsExports(frozenset(names), es_module, opaque, tuple(seen))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _json_keys(source: bytes) -> list[str]:
    try:
        value = json.loads(source)
    except ValueError:
        return []
    return list(value) if isinstance(value, dict) else []
