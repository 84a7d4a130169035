"""TypeScript's import elision: an import whose bindings are used only as types is dropped.

``import { JSONSchema7 } from 'json-schema'`` with ``JSONSchema7`` used only in type positions
(no ``type`` keyword) is removed by TypeScript and esbuild, so the page never loads
``json-schema``: the types come from ``@types/json-schema``. The extractor marks such imports
(:func:`bindings_used_as_values` decides) and the crawl does not report them as missing (tsconfig
``verbatimModuleSyntax``, ``preserveValueImports`` or ``importsNotUsedAsValues`` keep them).

Checked as esbuild does, for TypeScript files and ``lang="ts"`` blocks: a binding is used as a
value when a reference to it sits outside every type (``typeof X`` and ``X.T`` in a type are
not values; ``export { X }``, JSX ``<X />`` and ``{ X }`` are). Rather than walk the whole
tree, each bound name is looked up in the bytes and only its occurrences are read, stopping at
the first value use: most imports are used as values, and the check costs a lookup or two.
"""

from __future__ import annotations

from tree_sitter import Node, TreeCursor

__all__ = ["TYPE_CONTEXTS", "binding_names", "bindings_used_as_values", "in_type"]

TYPE_CONTEXTS = frozenset({
    "type_annotation", "opting_type_annotation", "omitting_type_annotation", "adding_type_annotation",
    "asserts_annotation", "type_predicate_annotation", "type_alias_declaration", "interface_declaration",
    "ambient_declaration", "function_signature", "abstract_method_signature", "index_signature", "type_query",
    "type_arguments", "type_parameters", "constraint", "default_type", "implements_clause", "extends_type_clause",
    "object_type", "generic_type", "nested_type_identifier", "lookup_type", "union_type", "intersection_type",
    "array_type", "tuple_type", "function_type", "constructor_type", "conditional_type", "parenthesized_type",
    "readonly_type", "index_type_query",
})
"""tree-sitter-typescript nodes whose contents are types only (``declare ...`` included: it
emits nothing). Every type position sits in one of them, except the type after ``as`` and
``satisfies`` (see :func:`in_type`)."""
_TYPE_AFTER = frozenset({"as_expression", "satisfies_expression"})
_REFERENCES = frozenset({"identifier", "shorthand_property_identifier"})
"""Tokens that may refer to a binding (``type_identifier`` only names types; property names
are not references)."""
_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def in_type(cursor: TreeCursor) -> bool:
    """Whether the node under ``cursor`` sits in a TypeScript type (``let s: import('x').T``,
    ``x as typeof import('x')``). Moves the cursor up."""
    start = cursor.node.start_byte
    while cursor.goto_parent():
        node = cursor.node
        ntype = node.type
        if ntype in TYPE_CONTEXTS:
            return True
        if ntype in _TYPE_AFTER and start != node.start_byte:
            return True  # after `as`/`satisfies`: the value comes first
        start = node.start_byte
    return False


def binding_names(clause: Node) -> list[bytes]:
    """The local names an ``import_clause`` binds, ``type X`` specifiers left out."""
    names: list[bytes] = []
    for child in clause.named_children:
        ctype = child.type
        if ctype == "identifier":  # default import
            names.append(child.text)
        elif ctype == "namespace_import":
            names.extend(c.text for c in child.named_children if c.type == "identifier")
        elif ctype == "named_imports":
            for item in child.named_children:
                first = item.child(0)
                if item.type != "import_specifier" or first is None or (first.type == "type" and not first.is_named):
                    continue
                local = item.child_by_field_name("alias") or item.child_by_field_name("name")
                if local is not None:
                    names.append(local.text)
    return names


def bindings_used_as_values(data: bytes, root: Node, statement: Node, names: list[bytes]) -> bool:
    """Whether any of ``names``, bound by the import ``statement``, is referenced as a value
    anywhere in the source ``data`` parsed as ``root``."""
    cursor = root.walk()
    skip_start, skip_end = statement.start_byte, statement.end_byte
    for name in names:
        at = data.find(name)
        while at != -1:
            end = at + len(name)
            if (not skip_start <= at < skip_end and (at == 0 or data[at - 1] not in _IDENT)
                    and (end >= len(data) or data[end] not in _IDENT) and _value_reference(cursor, root, at, end)):
                return True
            at = data.find(name, end)
    return False


def _value_reference(cursor: TreeCursor, root: Node, start: int, end: int) -> bool:
    """Whether the token at ``start``..``end`` (if it is one) refers to a binding as a value."""
    cursor.reset(root)
    while cursor.goto_first_child_for_byte(start) is not None:
        pass
    leaf = cursor.node
    if leaf is None or leaf.start_byte != start or leaf.end_byte != end or leaf.type not in _REFERENCES:
        return False  # inside a comment or string, a type name, a property name
    at = start
    while cursor.goto_parent():
        node = cursor.node
        ntype = node.type
        if ntype in TYPE_CONTEXTS or ntype == "import_statement":
            return False
        if ntype in _TYPE_AFTER and at != node.start_byte:
            return False
        if ntype == "export_specifier":
            first = node.child(0)
            if first is not None and first.type == "type" and not first.is_named:
                return False  # export { type X }
        elif ntype == "export_statement":
            # `export { X } from 'm'` names m's X, not ours; `export type { X }` is a type.
            return node.child_by_field_name("source") is None and not any(
                child.type == "type" and not child.is_named for child in node.children)
        at = node.start_byte
    return True
