"""File extensions named by what prebundle does with them, defined once so the scanner, the
resolver, the watcher and the bundler agree on what counts as a script or a source file; and
the one way a file is read as text for the plugins' hooks."""

from __future__ import annotations

from pathlib import Path

__all__ = ["COMPONENT_EXTENSIONS", "SCRIPT_EXTENSIONS", "SOURCE_EXTENSIONS", "read_text"]

SCRIPT_EXTENSIONS: tuple[str, ...] = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
"""JavaScript and TypeScript modules: parsed for imports, resolved as ``js``, bundled by esbuild."""

COMPONENT_EXTENSIONS: tuple[str, ...] = (".vue", ".svelte")
"""Single-file components: their ``<script>`` blocks are scanned like scripts."""

SOURCE_EXTENSIONS: tuple[str, ...] = SCRIPT_EXTENSIONS + COMPONENT_EXTENSIONS
"""The app's own files the scan follows imports between, besides HTML (the contract's list)."""


def read_text(path: str) -> str | None:
    """A file's text for the plugins' ``load``/``transform``; None when it is not UTF-8 text
    (esbuild then loads it itself, as an asset for instance, or reports it)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
