"""Backend integration: npm packages pre-bundled by prebundle, in Django, Flask, Jinja2,
Starlette/FastAPI and any WSGI or ASGI app.

``Assets`` renders the tags; ``asgi.StaticFiles`` and ``wsgi.StaticFiles`` serve the files with
immutable caching, ETags and gzip/brotli; ``compress.precompress`` writes ``.gz``/``.br`` at build.
"""

from __future__ import annotations

from .core import Assets, AssetsError, UnknownAsset

__all__ = ["Assets", "AssetsError", "UnknownAsset"]
