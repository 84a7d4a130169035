"""JavaScript modules the daemon makes for files an app module imports that are not JavaScript.

A module imports ``./style.css``, ``./data.json`` or ``./logo.png``; the daemon rewrites the
import to ``?import`` and answers that URL with one of these:

* CSS: a module that puts the stylesheet in a ``<style data-prebundle-css="/src/style.css">``
  (the same element again when it runs again: the reload client imports it anew, with a new
  query, to swap the styles in place; with the nonce of the page's scripts, so a nonce-based
  ``style-src`` lets it apply) and exports the CSS text. Its ``url()`` and ``@import``
  URLs are made absolute against the stylesheet's own URL, as a ``<link>`` would resolve them;
  an ``@import`` of a name with no file beside it is the package's stylesheet of that name.
* JSON: ``export default`` the value, and its top-level keys that are names as named exports.
* Anything else: ``export default`` the file's absolute URL.

Both kinds of stylesheet, imported by a module or linked by a page (served as CSS), first get
``package_imports``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

__all__ = ["asset_module", "css_module", "json_module", "package_imports"]

_CSS_URL = re.compile(r"""(url\(\s*)(["']?)([^"')\s]+)\2(\s*\))|(@import\s+)(["'])([^"']+)\6""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""(@import\s+)(["'])([^"']+)\2""", re.IGNORECASE)
_KEPT_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z\d+.-]*:|#|//)")
"""URLs left as written: with a scheme (``data:``, ``https:``), fragments, protocol-relative."""
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NOT_NAMES = frozenset({"data", "__proto__"})
"""Keys not exported by name: the module's own binding, and the one that names the prototype."""
_RESERVED = frozenset("""arguments await break case catch class const continue debugger default delete do else
    enum eval export extends false finally for function if implements import in instanceof interface let new
    null package private protected public return static super switch this throw true try typeof var void
    while with yield""".split())

_CSS_TEMPLATE = """const parts = %s;
const css = parts.map((part, i) => (i %% 2 ? new URL(part, import.meta.url).href : part)).join("");
const id = %s;
let style = [...document.querySelectorAll("style[data-prebundle-css]")].find((s) => s.dataset.prebundleCss === id);
if (!style) {
  style = document.createElement("style");
  style.dataset.prebundleCss = id;
  const nonce = document.querySelector("script[nonce]")?.nonce; // a page under a nonce CSP: its tags carry it
  if (nonce) style.nonce = nonce;
  document.head.append(style);
}
style.textContent = css;
export default css;
"""


def css_module(css: str, url_path: str) -> str:
    """The module for the stylesheet ``css`` served at ``url_path`` (decoded, ``/src/x.css``)."""
    parts: list[str] = []
    at = 0
    for match in _CSS_URL.finditer(css):
        url = match.group(3) or match.group(7)
        if _KEPT_URL.match(url):
            continue
        start, end = match.span(3) if match.group(3) else match.span(7)
        parts += [css[at:start], url]
        at = end
    parts.append(css[at:])
    return _CSS_TEMPLATE % (json.dumps(parts), json.dumps(url_path))


def package_imports(css: str, package_import: Callable[[str], str | None]) -> str:
    """``css`` with each ``@import "name"`` that ``package_import`` gives a URL for written as
    that URL; every other byte as it is."""
    def written(match: re.Match[str]) -> str:
        url = package_import(match.group(3))
        if url is None:
            return match.group(0)
        quote = match.group(2)
        escaped = url.replace(quote, "%27" if quote == "'" else "%22")
        return match.group(1) + quote + escaped + quote

    return _CSS_IMPORT.sub(written, css) if "@import" in css else css


def json_module(text: str) -> str:
    """The module for a JSON file; ``ValueError`` when it is not JSON. The browser parses the
    file's text with ``JSON.parse``, so that a ``"__proto__"`` key is a key and ``1e400`` is
    what JavaScript makes of it, as in ``JSON.parse`` of the file."""
    text = text.removeprefix("\ufeff")  # a byte order mark is no JSON whitespace
    value = json.loads(text, parse_constant=_not_json)  # checked here: an error names the line
    code = f"const data = JSON.parse({json.dumps(text)});\nexport default data;\n"  # the file's own numbers
    if isinstance(value, dict):
        names = [key for key in value if _NAME.fullmatch(key) and key not in _RESERVED and key not in _NOT_NAMES]
        if names:
            code += f"export const {{ {', '.join(names)} }} = data;\n"
    return code


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON value")


def asset_module(url_path: str) -> str:
    """The module for any other file: its URL, absolute (a page on another origin gets the
    daemon's)."""
    return f"export default new URL({json.dumps(url_path)}, import.meta.url).href;\n"
