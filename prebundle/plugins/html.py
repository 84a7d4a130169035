"""Tag descriptors from ``transform_index_html`` put into a page: ``{"tag", "attrs", "children",
"inject_to"}`` with ``inject_to`` one of ``head`` (default), ``body``, ``head-prepend``,
``body-prepend``."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["IndexHtmlContext", "apply_tags", "render_tag"]

VOID = frozenset({"meta", "link", "base", "br", "hr", "img", "input"})
POSITIONS = ("head", "body", "head-prepend", "body-prepend")


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


def apply_tags(html: str, tags: Iterable[Mapping[str, Any]], *, nonce: str | None = None) -> str:
    """Insert each tag at its position; a page without ``<head>``/``<body>`` gets them at the top/end."""
    for tag in tags:
        position = tag.get("inject_to", "head")
        if position not in POSITIONS:
            raise ValueError(f"inject_to must be one of {', '.join(POSITIONS)}, got {position!r}")
        markup = render_tag(tag, nonce=nonce)
        element = position.split("-")[0]
        if position.endswith("-prepend"):
            match = re.search(rf"<{element}\b[^>]*>", html, re.IGNORECASE)
            html = html[: match.end()] + markup + html[match.end():] if match else markup + html
        else:
            match = re.search(rf"</{element}\s*>", html, re.IGNORECASE)
            html = html[: match.start()] + markup + html[match.start():] if match else html + markup
    return html
