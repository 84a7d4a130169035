"""ASGI: ``StaticFiles`` serves the deps (mount it at ``assets.base``), with the rules of
``serve.DepsFiles``; ``setup_templates`` gives Starlette/FastAPI Jinja2 templates the helpers.

    from starlette.routing import Mount
    assets = Assets("frontend")
    app = Starlette(routes=[..., Mount(assets.base.rstrip("/"), app=StaticFiles(assets))])
    templates = Jinja2Templates("templates"); setup_templates(templates, assets)
"""

from __future__ import annotations

import os
from typing import Any

from ..static import _header, _relative_raw_path, send_answer
from .core import Assets
from .serve import DepsFiles

__all__ = ["StaticFiles", "setup_templates"]


class StaticFiles:
    """An ASGI app serving the deps of ``assets`` (an ``Assets`` or a deps dir)."""

    def __init__(self, assets: Assets | str | os.PathLike[str], *, compress: bool = True) -> None:
        self.files = DepsFiles(assets, compress=compress)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan/websocket are not ours
            return
        answer = self.files.answer(
            _relative_raw_path(scope), query_string=scope.get("query_string", b""),
            if_none_match=_header(scope, b"if-none-match"),
            accept_encoding=_header(scope, b"accept-encoding"), method=scope["method"],
        )
        await send_answer(answer, send, head=scope["method"] == "HEAD")


def setup_templates(templates: Any, assets: Assets) -> Any:
    """Add the prebundle extension to a ``Jinja2Templates`` (or a Jinja2 ``Environment``). The
    nonce comes from ``request.state.csp_nonce`` when the template has ``request``."""
    from .jinja import install

    install(getattr(templates, "env", templates), assets)
    return templates
