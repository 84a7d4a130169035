"""The tags that load a graph's files in a page: stylesheets, ``modulepreload`` links and module
scripts, each with its URL, SRI ``integrity`` and nonce. One ``PageFiles`` per folder of files
(the deps, or the app's build), since each has its own URL prefix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import html
from .graph import Node

__all__ = ["PageFiles", "Tags", "css_files"]


@dataclass(frozen=True)
class PageFiles:
    """Files on disk under ``directory`` that a page loads from ``base`` + their name."""

    directory: Path
    base: str
    """URL prefix, ending in ``/`` (a path on this app, or another origin)."""
    crossorigin: str | None
    """The ``crossorigin`` attribute every tag gets (``anonymous`` for another origin)."""
    digest: Callable[[Path], str | None]
    """``sha384-…`` of a file, or None (integrity off, or the file is missing)."""

    def url(self, file: str, query: str = "") -> str:
        return self.base + html.quote_file(file) + query

    def integrity(self, file: str) -> str | None:
        return self.digest(self.directory / file)

    def stylesheets(self, nodes: Iterable[Node], nonce: str | None) -> list[str]:
        """A stylesheet link for each CSS file of ``nodes`` (their own and their chunks'), once."""
        return [html.link("stylesheet", self.url(file), crossorigin=self.crossorigin,
                          integrity=self.integrity(file), nonce=nonce) for file in css_files(nodes)]

    def modulepreloads(self, nodes: Iterable[Node], nonce: str | None) -> list[str]:
        return [html.link("modulepreload", self.url(n.file, n.query), crossorigin=self.crossorigin,
                          integrity=self.integrity(n.file), nonce=nonce)
                for n in nodes if n.is_module]

    def scripts(self, nodes: Iterable[Node], nonce: str | None) -> list[str]:
        """A module script per JS node (a CSS-only entry has none: its stylesheet is enough)."""
        return [html.script(type="module", src=self.url(n.file, n.query), crossorigin=self.crossorigin,
                            nonce=nonce, integrity=self.integrity(n.file))
                for n in nodes if n.is_module]

    def link_header(self, nodes: list[Node]) -> list[str]:
        """The stylesheets of ``nodes`` as ``Link`` header preloads.

        No module: a ``modulepreload`` from a header starts before the browser has read the
        page's import map, so the module's bare imports resolve without it, and the failure
        ("Failed to resolve module specifier") stays with the module when the page imports it
        (whatwg/html#9274). Modules are preloaded by the tags, after the import map."""
        extra = f"; crossorigin={self.crossorigin}" if self.crossorigin else ""
        return [f"<{self.url(f)}>; rel=preload; as=style{extra}" for f in css_files(nodes)]


@dataclass
class Tags:
    """Tags in the order a page needs them: the import map and the client first, then
    stylesheets, preloads and scripts. Adding the same tag twice keeps the first."""

    head: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    preloads: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)

    def add(self, other: Tags) -> Tags:
        for mine, theirs in ((self.head, other.head), (self.styles, other.styles),
                             (self.preloads, other.preloads), (self.scripts, other.scripts)):
            mine.extend(tag for tag in theirs if tag not in mine)
        return self

    def html(self) -> str:
        return "\n".join(tag for tag in (*self.head, *self.styles, *self.preloads, *self.scripts) if tag)


def css_files(nodes: Iterable[Node]) -> list[str]:
    """The CSS files of ``nodes``: CSS nodes themselves and each node's ``css``, in order, once."""
    files: dict[str, None] = {}
    for node in nodes:
        if node.file.endswith(".css"):
            files[node.file] = None
        for css in node.css:
            files[css] = None
    return list(files)
