"""Dual packages whose CommonJS file only wraps the package's own ES module (jQuery 4).

jQuery 4 gives bundlers (the ``module`` condition) ``import`` → ``dist-module/jquery.module.js``
and ``require`` → ``dist/wrappers/jquery.bundler-require-wrapper.js``, which is just
``module.exports = require("../../dist-module/jquery.module.js").jQuery``. A ``require`` of a
dual package bundles its CommonJS file inside the requiring package (``imports``,
``Decision.DUAL``), and that is still right here: ``module.exports`` must be what the wrapper
makes of the module (the jQuery function, not a namespace). But the ES module the wrapper
requires is the very file the import map serves as ``jquery``: bundled inside too, it would be a
second jQuery, and a plugin (select2) would attach itself to a copy the app never sees.

So the files that lead from the CommonJS file to the ES entry are loaded in ``DUAL_NS``, and
their ``require`` of the entry becomes the ``require()`` facade of the package's id (one module,
the import map's), which gives what Node's ``require(esm)`` gives: the module's namespace. Node
loads one jQuery for both, and so does the page. The links are found statically
(:func:`find_wrapper`: the lexer's ``require('literal')`` calls in live code); a require that
only runtime code computes stays bundled, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..interop.lexer import ResolveRequire, lex
from ..interop.resolve import resolve_cjs

__all__ = ["MAX_FILES", "RequireWrapper", "find_wrapper"]

MAX_FILES = 16
"""Files of the package followed from its CommonJS file. A wrapper is one small file; a real
CommonJS build (one big file, or a tree of them) never requires the ES entry, and is not walked
further than this."""
_SCRIPTS = (".js", ".cjs")


@dataclass(frozen=True)
class RequireWrapper:
    """The requires by which a dual package's CommonJS file reaches the package's ES entry."""

    specifier: str
    """The id the import map serves the ES entry as (what ``import`` of it gets)."""
    file: str
    """The CommonJS file ``require(specifier)`` loads (real path)."""
    entry: str
    """The ES entry (real path)."""
    links: Mapping[str, Mapping[str, str]]
    """File (real path) -> {specifier written in its ``require()`` -> the file (real path) it
    loads}, for the requires that lead to ``entry``, directly or through other files."""


def find_wrapper(specifier: str, commonjs: Path, entry: Path, *, package_dir: Path, mode: str,
                 resolve_require: ResolveRequire) -> RequireWrapper | None:
    """How ``commonjs`` (``require(specifier)``'s file) reaches ``entry`` (``import``'s), through
    files of the package in ``package_dir``; None when it does not."""
    start, end = os.path.realpath(commonjs), os.path.realpath(entry)
    inside = os.path.realpath(package_dir) + os.sep
    edges: dict[str, dict[str, str]] = {}
    pending, seen = [start], {start}
    while pending:
        file = pending.pop()
        for written in _requires(file, mode):
            target = resolve_cjs(written, Path(file), resolve_require)
            if target is None:
                continue
            target_path = os.path.realpath(target)
            edges.setdefault(file, {})[written] = target_path
            if target_path == end or target_path in seen or not target_path.startswith(inside) \
                    or not target_path.endswith(_SCRIPTS) or len(seen) >= MAX_FILES:
                continue
            seen.add(target_path)
            pending.append(target_path)
    reaching = {end}
    grown = True
    while grown:  # the files from which a chain of requires leads to the entry
        grown = False
        for file, targets in edges.items():
            if file not in reaching and not reaching.isdisjoint(targets.values()):
                reaching.add(file)
                grown = True
    if start not in reaching:
        return None
    links = {file: {written: target for written, target in targets.items() if target in reaching}
             for file, targets in edges.items() if file in reaching and file != end}
    return RequireWrapper(specifier, start, end, links)


def _requires(file: str, mode: str) -> tuple[str, ...]:
    """The ``require('literal')`` specifiers of ``file``'s live code."""
    try:
        return lex(Path(file).read_bytes(), mode=mode).requires
    except (OSError, ValueError):
        return ()
