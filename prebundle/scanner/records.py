"""What the scanner extracts from one file: the imports it makes and the warnings it raised.

Named tuples rather than dataclasses: a scan that re-extracts one edited file should not pay
for importing ``dataclasses`` (and ``inspect``) first.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["ImportKind", "ImportRecord", "FileImports"]

ImportKind = Literal["static", "dynamic", "require", "glob", "script"]
"""How a specifier was found.

``static``: ``import``/``export ... from``/side-effect import. ``dynamic``: ``import('x')``.
``require``: ``require('x')`` in CommonJS source. ``glob``: an ``import.meta.glob`` pattern
(the crawler expands it). ``script``: ``<script type="module" src>`` in HTML.
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
