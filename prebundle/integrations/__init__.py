"""Backend integration: npm packages pre-bundled by prebundle, in Django, Flask, Jinja2,
Starlette/FastAPI and any WSGI or ASGI app.

``Assets`` renders the tags (``Assets.for_project``, ``.for_deps_dir``, ``.for_build``,
``.for_vite_manifest``), the app's own entries among them (``app_entries``);
``asgi.AsgiDepsApp`` and ``wsgi.WsgiDepsApp`` serve the files with immutable caching, ETags and
gzip/brotli; ``compress.precompress`` writes ``.gz``/``.br`` at build.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from .core import Assets, AssetsError, UnknownAsset

__all__ = ["Assets", "AssetsError", "UnknownAsset"]


def __getattr__(name: str) -> Any:
    """``Assets`` and its errors, imported on first use: a build's precompression
    (``compress``) loads neither them nor the config and plugin machinery behind them."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import core

    value = getattr(core, name)
    globals()[name] = value
    return value
