"""The content encodings of the deps' files, shared by the build that precompresses them
(``compress``) and the servers that send them (``serve``): which files, their suffixes, and the
brotli module when one is installed.

A module of its own so that a build's precompression loads neither the servers nor the
``Assets`` machinery behind them.
"""

from __future__ import annotations

__all__ = ["COMPRESSIBLE", "MIN_SIZE", "SUFFIX", "brotli_module"]

try:  # brotli or brotlicffi, whichever is installed
    import brotli as brotli_module
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as brotli_module  # type: ignore[no-redef]
    except ImportError:
        brotli_module = None

COMPRESSIBLE = (".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt", ".html", ".wasm")
"""Suffixes of the files sent compressed."""
MIN_SIZE = 1024
"""Smaller files go out as they are: compression would not pay for its header."""
SUFFIX = {"br": ".br", "gzip": ".gz"}
"""Each encoding's suffix of a precompressed copy beside its file."""
