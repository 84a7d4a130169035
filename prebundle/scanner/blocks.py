"""Find the ``<script>`` blocks of an HTML page, a Vue component or a Svelte component.

A small hand-written tag scanner, not an HTML parser: it knows comments, raw-text elements
(``<script>``, ``<style>``, ``<textarea>``, ``<title>``), quoted and unquoted attributes, and
the few flavour rules that decide which scripts are the file's own:

- ``html``: every ``<script>`` (the caller picks ``type="module"`` ones).
- ``vue``: top-level ``<script>`` blocks only; ``<template>`` (with nested templates) and
  custom blocks are skipped whole.
- ``svelte``: ``<script>`` blocks outside ``<svelte:head>``.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

__all__ = ["Flavor", "ScriptBlock", "script_blocks"]

Flavor = Literal["html", "vue", "svelte"]
"""Which container format is being scanned."""

# A comment opener or a tag opener (`<name` or `</name`).
_TOKEN = re.compile(rb"<!--|<(/?)([A-Za-z][^\s/>]*)")
_SPACE = re.compile(rb"[\s/]*")
_ATTR = re.compile(rb"""([^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")
_RAW_TEXT = frozenset({b"script", b"style", b"textarea", b"title"})


class ScriptBlock(NamedTuple):
    attrs: dict[str, str]
    """Attributes by lower-cased name; a bare attribute (``setup``) maps to ``""``."""
    start: int
    """Byte offset where the content starts (just after ``>``)."""
    end: int
    """Byte offset where the content ends (at ``</script``, or the end of the file)."""
    line: int
    """1-based line on which the content starts."""
    src_line: int
    """1-based line of the ``src`` value (of the tag when there is no ``src``)."""


class _Tag(NamedTuple):
    name: bytes
    attrs: dict[str, str]
    end: int
    """Offset just past the closing ``>`` (or the end of the data)."""
    self_closing: bool
    attr_offsets: dict[str, int]
    """Offset of each attribute's value (or name, when bare)."""


def script_blocks(data: bytes, flavor: Flavor) -> list[ScriptBlock]:
    """Every ``<script>`` block of ``data`` that belongs to the file, in order."""
    blocks: list[ScriptBlock] = []
    pos = 0
    line = 1
    line_pos = 0  # `line` is the line number at offset `line_pos`
    size = len(data)
    while pos < size:
        m = _TOKEN.search(data, pos)
        if m is None:
            break
        if m.group(2) is None:  # comment
            close = data.find(b"-->", m.end())
            pos = size if close == -1 else close + 3
            continue
        name = m.group(2).lower()
        if m.group(1):  # a stray closing tag
            pos = m.end()
            continue
        tag = _read_tag(data, m.end(), name)
        pos = tag.end
        if name == b"script":
            # `<script ... />` is empty in a component; HTML ignores the slash.
            empty = tag.self_closing and flavor != "html"
            end = tag.end if empty else _find_close(data, pos, b"script")
            line += data.count(b"\n", line_pos, m.start())
            line_pos = m.start()
            src_at = tag.attr_offsets.get("src", m.start())
            blocks.append(
                ScriptBlock(
                    attrs=tag.attrs,
                    start=tag.end,
                    end=end,
                    line=line + data.count(b"\n", m.start(), tag.end),
                    src_line=line + data.count(b"\n", m.start(), src_at),
                )
            )
            pos = tag.end if empty else _after_close(data, end)
        elif tag.self_closing and flavor != "html":
            continue
        elif flavor == "vue" and name == b"template":
            pos = _skip_nested(data, pos, b"template")
        elif name in _RAW_TEXT or flavor == "vue":
            # Vue: every other top-level block (style, i18n, docs...) is opaque text.
            pos = _after_close(data, _find_close(data, pos, name))
        elif flavor == "svelte" and name == b"svelte:head":
            pos = _after_close(data, _find_close(data, pos, name))
    return blocks


def _read_tag(data: bytes, pos: int, name: bytes) -> _Tag:
    """Parse the attributes of a tag whose name ends at ``pos``."""
    attrs: dict[str, str] = {}
    offsets: dict[str, int] = {}
    size = len(data)
    self_closing = False
    while True:
        pos = _SPACE.match(data, pos).end()  # type: ignore[union-attr]  # always matches
        if pos >= size:
            return _Tag(name, attrs, size, False, offsets)
        if data[pos] == 0x3E:  # '>'
            self_closing = data[pos - 1] == 0x2F  # '/'
            return _Tag(name, attrs, pos + 1, self_closing, offsets)
        m = _ATTR.match(data, pos)
        if m is None:  # a stray quote or '=': skip it
            pos += 1
            continue
        key = m.group(1).decode("utf-8", "replace").lower()
        raw = m.group(2)
        value_at = m.start(2) if raw is not None else m.start(1)
        value = _attr_value(raw) if raw is not None else ""
        if key not in attrs:  # HTML keeps the first of duplicated attributes
            attrs[key] = value
            offsets[key] = value_at
        pos = m.end()


def _attr_value(raw: bytes) -> str:
    if raw[:1] in (b'"', b"'"):
        raw = raw[1:-1] if len(raw) > 1 and raw[-1:] == raw[:1] else raw[1:]
    value = raw.decode("utf-8", "replace")
    if "&" not in value:
        return value
    import html  # its table of entities: only for a value that has one

    return html.unescape(value)


def _find_close(data: bytes, pos: int, name: bytes) -> int:
    """Offset of the ``</name`` that ends a raw-text element (or the end of the data)."""
    pattern = _close_pattern(name)
    m = pattern.search(data, pos)
    return len(data) if m is None else m.start()


def _after_close(data: bytes, pos: int) -> int:
    """Offset just past the closing tag that starts at ``pos``."""
    close = data.find(b">", pos)
    return len(data) if close == -1 else close + 1


_close_patterns: dict[bytes, re.Pattern[bytes]] = {}


def _close_pattern(name: bytes) -> re.Pattern[bytes]:
    found = _close_patterns.get(name)
    if found is None:
        found = re.compile(rb"</" + re.escape(name) + rb"(?=[\s/>]|\Z)", re.IGNORECASE)
        if len(_close_patterns) < 64:
            _close_patterns[name] = found
    return found


_TEMPLATE_TOKEN = re.compile(rb"<!--|<(/?)template(?=[\s/>]|\Z)", re.IGNORECASE)


def _skip_nested(data: bytes, pos: int, name: bytes) -> int:
    """Offset just past the ``</template>`` that balances an already opened one."""
    depth = 1
    while True:
        m = _TEMPLATE_TOKEN.search(data, pos)
        if m is None:
            return len(data)
        if m.group(1) is None:  # comment
            close = data.find(b"-->", m.end())
            if close == -1:
                return len(data)
            pos = close + 3
        elif m.group(1):
            depth -= 1
            pos = _after_close(data, m.start())
            if depth == 0:
                return pos
        else:
            tag = _read_tag(data, m.end(), name)
            pos = tag.end
            if not tag.self_closing:
                depth += 1
