"""The plugins' part in a crawl: their ``resolve_id``, ``load``, ``transform`` and
``transform_index_html`` hooks, applied to the crawled files as the daemon applies them when
it serves them, so the imports a plugin adds or rewrites are found.

Code a plugin produced is extracted here and never cached (it depends on the plugins); a
crawl with such plugins saves no snapshot either (``scan_key``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import Config
from .extract import SOURCE_DIALECTS, extract_file
from .files import HTML_SUFFIXES
from .records import Records

if TYPE_CHECKING:
    from ..plugins import PluginContainer

__all__ = ["CRAWL_HOOKS", "PluginHooks", "crawl_hooks", "scan_code"]

CRAWL_HOOKS = ("resolve_id", "load", "transform", "transform_index_html")
"""The hooks that take part in a crawl."""


def crawl_hooks(config: Config, source_text: Callable[[str], str | None],
                name: Callable[[str], str]) -> PluginHooks | None:
    """The hooks of ``config``'s plugins for a crawl; None when none of them takes part.
    ``source_text`` reads a file for them; ``name`` names a file as reports do."""
    plugins = config.plugins_for(*CRAWL_HOOKS)
    if plugins is None:
        return None
    return PluginHooks(plugins, source_text, name)


class PluginHooks:
    """A plugin container's crawl hooks (see :func:`crawl_hooks`)."""

    def __init__(self, plugins: PluginContainer, source_text: Callable[[str], str | None],
                 name: Callable[[str], str]) -> None:
        self.plugins = plugins
        self._source_text = source_text
        self._name = name

    def run(self, wave: list[str]) -> dict[str, str | None]:
        """The plugins' code for a wave of files (or ``\\0`` virtual ids), None where they
        leave one as it is. HTML pages go through ``transform_index_html``, as when the daemon
        serves them (so the imports of tags it adds are found), the rest through ``load`` and
        ``transform``, all in one batch."""
        pages = [path for path in wave if path.lower().endswith(HTML_SUFFIXES)]
        modules = [path for path in wave if not path.lower().endswith(HTML_SUFFIXES)]
        out: dict[str, str | None] = {}
        if modules and (self.plugins.has("load") or self.plugins.has("transform")):
            out.update(self.plugins.load_and_transform(modules, self._source_text))
        if self.plugins.has("transform_index_html"):
            for page in pages:
                out[page] = self._index_html(page)
        return out

    def resolve(self, specifier: str, importer: str) -> str | None:
        """What a plugin's ``resolve_id`` makes of an import (an id; ``\\0``-prefixed ids are
        virtual); None when no plugin answered."""
        return self.plugins.resolve_id(specifier, importer, {"scan": True})

    def _index_html(self, page: str) -> str | None:
        html = self._source_text(page)
        if html is None:
            return None
        from ..plugins import IndexHtmlContext  # only with plugins: they bring asyncio

        ctx = IndexHtmlContext(path="/" + self._name(page), filename=page)
        transformed = self.plugins.transform_index_html(html, ctx)
        return transformed if transformed != html else None


def scan_code(path: str, code: str) -> Records:
    """The imports and warnings of code the plugins produced for ``path`` (a file or a
    ``\\0`` virtual id); a module of no known dialect is read as JavaScript."""
    suffix = "" if path.startswith("\0") else os.path.splitext(path)[1].lower()
    html = path.lower().endswith(HTML_SUFFIXES)
    fake = path if html or suffix in SOURCE_DIALECTS else path + ".js"
    result = extract_file(fake, code.encode("utf-8", "surrogateescape"))
    warnings = tuple(w.replace(fake, path, 1) for w in result.warnings)
    return Records(tuple((r.specifier, r.line, r.kind) for r in result.imports), warnings)
