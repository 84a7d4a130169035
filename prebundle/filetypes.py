"""File extensions named by what prebundle does with them, defined once so the scanner, the
resolver, the watcher and the bundler agree on what counts as a script or a source file."""

from __future__ import annotations

__all__ = ["COMPONENT_EXTENSIONS", "SCRIPT_EXTENSIONS", "SOURCE_EXTENSIONS"]

SCRIPT_EXTENSIONS: tuple[str, ...] = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
"""JavaScript and TypeScript modules: parsed for imports, resolved as ``js``, bundled by esbuild."""

COMPONENT_EXTENSIONS: tuple[str, ...] = (".vue", ".svelte")
"""Single-file components: their ``<script>`` blocks are scanned like scripts."""

SOURCE_EXTENSIONS: tuple[str, ...] = SCRIPT_EXTENSIONS + COMPONENT_EXTENSIONS
"""The app's own files the scan follows imports between, besides HTML (the contract's list)."""
