"""What the scanner extracts from one file: the imports it makes and the warnings it raised.

Named tuples rather than dataclasses: a scan that re-extracts one edited file should not pay
for importing ``dataclasses`` (and ``inspect``) first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from .files import RawImports

__all__ = ["ImportKind", "ImportRecord", "FileImports", "Parsed", "Records"]

ImportKind = Literal["static", "elidable", "dynamic", "require", "glob", "script", "jsx"]
"""How a specifier was found.

``static``: ``import``/``export ... from``/side-effect import. ``elidable``: a TypeScript import
of a package whose bindings are used only as types, which TypeScript drops (see
:mod:`.elision`). ``dynamic``: ``import('x')``.
``require``: ``require('x')`` in CommonJS source. ``glob``: an ``import.meta.glob`` pattern
(the crawler expands it). ``script``: ``<script type="module" src>`` in HTML. ``jsx``: a
``@jsxImportSource`` comment's package (the crawler records its JSX runtime).
"""


class ImportRecord(NamedTuple):
    specifier: str
    """The specifier exactly as written (quotes removed)."""
    line: int
    """1-based line in the original file (HTML/Vue/Svelte offsets applied)."""
    kind: ImportKind


class FileImports(NamedTuple):
    imports: tuple[ImportRecord, ...] = ()
    """Every import found, in source order."""
    warnings: tuple[str, ...] = ()
    """One-line warnings, each starting ``<path>:<line>: ``."""


class Records(NamedTuple):
    """One file's imports as plain tuples and its warnings: what the scan cache keeps of it."""

    imports: RawImports
    """``(specifier, line, kind)`` of every import, in source order."""
    warnings: tuple[str, ...]


class Parsed(NamedTuple):
    """One file read and extracted, with the stamp it was read at: what a pool worker sends
    back to the crawl (a tuple: it pickles small and fast)."""

    path: str
    size: int
    """-1 when the file could not be read (``warnings`` says why)."""
    mtime_ns: int
    digest: str
    """Content hash of the bytes extracted; "" when the file could not be read."""
    imports: RawImports
    """``(specifier, line, kind)`` of every import, in source order."""
    warnings: tuple[str, ...]
