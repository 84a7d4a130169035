"""Tag descriptors from ``transform_index_html`` put into a page: ``{"tag", "attrs", "children",
"inject_to"}`` with ``inject_to`` (or Vite's ``injectTo``) one of ``head`` (the default),
``body``, ``head-prepend``, ``body-prepend``.

As in Vite, the tags of one result go in by position, each group in its own order:
``head-prepend`` right after ``<head>``, ``head`` before ``</head>``, ``body-prepend`` right
after ``<body>``, ``body`` before ``</body>``. A page without the element falls back the way
Vite's does: ``head`` before ``<body>``; ``body-prepend`` after ``</head>``; ``body`` before
``</html>`` or at the end; else after ``<html>``, after the doctype, or at the very start."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["IndexHtmlContext", "apply_tags", "misplaced_in_head", "render_tag"]

VOID = frozenset({"meta", "link", "base", "br", "hr", "img", "input"})
POSITIONS = ("head", "body", "head-prepend", "body-prepend")
HEAD_ELEMENTS = frozenset({"title", "base", "link", "style", "meta", "script", "noscript", "template"})
"""Elements a ``<head>`` may hold; others put there end up in ``<body>``."""

_HEAD_OPEN = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
_HTML_OPEN = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_HTML_CLOSE = re.compile(r"</html\s*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!doctype html>", re.IGNORECASE)


@dataclass(frozen=True)
class IndexHtmlContext:
    """What ``transform_index_html(html, ctx)`` gets besides the HTML."""

    path: str
    """The URL path of the page (``/index.html``)."""
    filename: str | None
    """The HTML file, when the page is one."""
    server: Any = None
    """The daemon's ``PluginServer`` when the daemon serves the page; else None."""


NONCED = frozenset({"script", "style", "link"})
"""Tags a Content-Security-Policy nonce applies to."""


def render_tag(tag: Mapping[str, Any], *, nonce: str | None = None) -> str:
    """A tag descriptor as HTML; ``nonce`` is added to script, style and link tags that have
    none (the page's CSP nonce)."""
    name = tag["tag"]
    attributes = dict(tag.get("attrs") or {})
    if nonce and name in NONCED and "nonce" not in attributes:
        attributes["nonce"] = nonce
    attrs = "".join(
        f" {key}" if value is True else f' {key}="{html_lib.escape(str(value), quote=True)}"'
        for key, value in attributes.items() if value is not False and value is not None
    )
    if name in VOID:
        return f"<{name}{attrs}>"
    children = tag.get("children") or ""
    if isinstance(children, list):
        children = "".join(render_tag(child, nonce=nonce) for child in children)
    return f"<{name}{attrs}>{children}</{name}>"


def position_of(tag: Mapping[str, Any]) -> str:
    """Where a tag goes: its ``inject_to`` (or ``injectTo``), ``head`` when it has none."""
    position = tag.get("inject_to") or tag.get("injectTo") or "head"
    if position not in POSITIONS:
        raise ValueError(f"inject_to must be one of {', '.join(POSITIONS)}, got {position!r}")
    return position


def apply_tags(html: str, tags: Iterable[Mapping[str, Any]], *, nonce: str | None = None) -> str:
    """Insert the tags of one ``transform_index_html`` result, each group of a position in order
    (see the module docstring for where a position falls back to)."""
    groups: dict[str, list[str]] = {position: [] for position in POSITIONS}
    for tag in tags:
        groups[position_of(tag)].append(render_tag(tag, nonce=nonce))
    if groups["head-prepend"]:
        prepend = "".join(groups["head-prepend"])
        html = _after(html, prepend, _HEAD_OPEN) or _prepended(html, prepend)
    if groups["head"]:
        markup = "".join(groups["head"])
        html = _before(html, markup, _HEAD_CLOSE) or _before(html, markup, _BODY_OPEN) or _prepended(html, markup)
    if groups["body-prepend"]:
        markup = "".join(groups["body-prepend"])
        html = _after(html, markup, _BODY_OPEN) or _after(html, markup, _HEAD_CLOSE) or _prepended(html, markup)
    if groups["body"]:
        markup = "".join(groups["body"])
        html = _before(html, markup, _BODY_CLOSE) or _before(html, markup, _HTML_CLOSE) or html + markup
    return html


def misplaced_in_head(tags: Iterable[Mapping[str, Any]]) -> list[str]:
    """``<div>``-like tags a result puts into ``<head>`` (Vite warns about them too)."""
    found = {f"<{tag['tag']}>" for tag in tags
             if position_of(tag).startswith("head") and tag.get("tag") not in HEAD_ELEMENTS}
    return sorted(found)


def _after(html: str, markup: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(html)
    return None if match is None else html[: match.end()] + markup + html[match.end():]


def _before(html: str, markup: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(html)
    return None if match is None else html[: match.start()] + markup + html[match.start():]


def _prepended(html: str, markup: str) -> str:
    """At the top of a page with no element to go by: after ``<html>``, the doctype, or first."""
    return _after(html, markup, _HTML_OPEN) or _after(html, markup, _DOCTYPE) or markup + html
