"""The dashboard's HTML, in two forms over one template (``page.html``) and one script.

* The daemon's page names its script and styles as files under ``/@prebundle/dashboard/`` and is
  sent with ``PAGE_CSP``: scripts, styles and requests from the daemon only, nothing inline.
* The report is one file that opens from disk: styles, data and script inline, and the chart
  library as a ``data:`` URL the inline import map gives for ``./echarts.min.js`` (the name the
  script imports it by), so nothing is fetched. Its own CSP (a ``<meta>``) allows exactly those
  inline blocks, by hash, and no request at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["FILES_URL", "LIBRARY", "PAGE_CSP", "STATIC", "json_for_html", "report_page", "served_page"]

STATIC = Path(__file__).parent / "static"
"""The page's script and styles, the vendored chart library and its licences."""
LIBRARY = "echarts.min.js"
"""The vendored chart library (``scripts/build_dashboard.py``), imported by the script as ``./`` this."""
FILES_URL = "/@prebundle/dashboard/"
"""Where the daemon serves ``STATIC``."""
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
"""The daemon page's Content-Security-Policy: its own files only, no inline script or style."""
_HEAD, _BODY = "<!--head-->", "<!--body-->"
"""Where the template takes the styles, and the data and scripts."""


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _fill(head: str, body: str) -> bytes:
    template = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
    return template.replace(_HEAD, head, 1).replace(_BODY, body, 1).encode("utf-8")


@cache
def served_page() -> bytes:
    """The daemon's ``/@prebundle/`` page (send it with ``PAGE_CSP``)."""
    return _fill(f'<link rel="stylesheet" href="{FILES_URL}dashboard.css">',
                 f'<script type="module" src="{FILES_URL}dashboard.js"></script>')


def json_for_html(value: Any) -> str:
    """``value`` as JSON that cannot end or comment out the ``<script>`` block holding it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _inline(tag: str, text: str, **attributes: str) -> str:
    if f"</{tag}" in text.lower():  # the dashboard's own files: never true, but it would break the page
        raise ValueError(f"cannot inline text holding </{tag}")
    attrs = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f"<{tag}{attrs}>{text}</{tag}>"


def report_page(data: dict[str, Any]) -> bytes:
    """One HTML file showing ``data`` (``dashboard_data``'s shape) that needs no server."""
    styles, script = _static("dashboard.css"), _static("dashboard.js")
    library = base64.b64encode((STATIC / LIBRARY).read_bytes()).decode("ascii")
    importmap = json.dumps({"imports": {f"./{LIBRARY}": "data:text/javascript;base64," + library}})
    csp = (f"default-src 'none'; script-src {_hash(importmap)} {_hash(script)} data:; "
           f"style-src {_hash(styles)}; img-src data:; base-uri 'none'; form-action 'none'")
    head = (f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            + _inline("style", styles))
    body = "\n".join([
        _inline("script", json_for_html(data), type="application/json", id="prebundle-data"),
        _inline("script", importmap, type="importmap"),
        _inline("script", script, type="module"),
    ])
    return _fill(head, body)
