"""Backend integration: npm packages pre-bundled by prebundle, in Django, Flask, Jinja2,
Starlette/FastAPI and any WSGI or ASGI app.

``Assets`` renders the tags (``Assets.for_project``, ``.for_deps_dir``, ``.for_build``,
``.for_vite_manifest``), the app's own entries among them (``app_entries``);
``asgi.AsgiDepsApp`` and ``wsgi.WsgiDepsApp`` serve the files with immutable caching, ETags and
gzip/brotli; ``compress.precompress`` writes ``.gz``/``.br`` at build.
"""

from __future__ import annotations

from .core import Assets, AssetsError, UnknownAsset

__all__ = ["Assets", "AssetsError", "UnknownAsset"]
