"""HTML pieces: escaped attributes, URL quoting and JSON that is safe inside ``<script>``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import quote

__all__ = ["attrs", "link", "quote_file", "script", "script_json"]

_URL_SAFE = "/@:+,;=!$'()*~"


def quote_file(name: str) -> str:
    """A file name as a URL path: quotes, angle brackets and spaces percent-encoded."""
    return quote(name, safe=_URL_SAFE)


def attrs(pairs: Iterable[tuple[str, Any]]) -> str:
    """`` name="value"`` for each pair, values HTML-escaped; ``True`` gives a bare name and
    ``None``/``False`` leave the attribute out."""
    out = []
    for name, value in pairs:
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{escape(str(value), quote=True)}"')
    return "".join(out)


def link(rel: str, href: str, **extra: Any) -> str:
    return f"<link{attrs([('rel', rel), ('href', href), *_named(extra)])}>"


def script(body: str = "", **extra: Any) -> str:
    return f"<script{attrs(_named(extra))}>{body}</script>"


def script_json(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open a comment in it."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _named(extra: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name.rstrip("_").replace("_", "-"), value) for name, value in extra.items()]
