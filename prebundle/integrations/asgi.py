"""ASGI: ``AsgiDepsApp`` serves the deps, or the build of the app (``dist/``) while it is in use
(mount it at ``assets.base``), with the rules of ``serve.DepsFiles``; ``setup_templates`` gives
Starlette/FastAPI Jinja2 templates the helpers;
``PluginHtmlMiddleware`` runs the project's plugins' ``transform_index_html`` on HTML pages.

    from starlette.routing import Mount
    assets = Assets.for_project("frontend")
    app = Starlette(routes=[..., Mount(assets.base.rstrip("/"), app=AsgiDepsApp(assets))])
    templates = Jinja2Templates("templates"); setup_templates(templates, assets)

``StaticFiles`` is the former name of ``AsgiDepsApp`` (documented, so it stays).
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from ..static import _header, _relative_raw_path, send_answer
from .core import Assets
from .serve import DepsFiles

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AsgiDepsApp", "PluginHtmlMiddleware", "StaticFiles", "setup_templates"]


class AsgiDepsApp:
    """An ASGI app serving the deps of ``assets`` (an ``Assets`` or a deps dir).

    Unlike the daemon's ``static.DepsEndpoint`` it adds the backend rules of ``serve.DepsFiles``
    (compression, the polyfill, CORS for a CDN), because the app, not the daemon, serves here.
    """

    def __init__(self, assets: Assets | str | os.PathLike[str], *, compress: bool = True) -> None:
        self.files = DepsFiles(assets, compress=compress)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan/websocket are not ours
            return
        answer = self.files.answer(
            _relative_raw_path(scope), query_string=scope.get("query_string", b""),
            if_none_match=_header(scope, b"if-none-match"),
            accept_encoding=_header(scope, b"accept-encoding"), method=scope["method"],
        )
        await send_answer(answer, send, head=scope["method"] == "HEAD")


StaticFiles = AsgiDepsApp
"""The former, documented name of ``AsgiDepsApp``: existing apps keep working."""


def setup_templates(templates: Any, assets: Assets) -> Any:
    """Add the prebundle extension to a ``Jinja2Templates`` (or a Jinja2 ``Environment``). The
    nonce comes from ``request.state.csp_nonce`` when the template has ``request``."""
    from .jinja import install  # Jinja2 is optional: only apps that render templates have it

    install(getattr(templates, "env", templates), assets)
    return templates


class PluginHtmlMiddleware:
    """ASGI middleware: complete ``text/html`` responses with status 200 go through the
    project's plugins' ``transform_index_html`` (as the daemon's pages do); everything else
    passes unchanged. Tags get ``scope["state"]["csp_nonce"]`` when set.

        app = Starlette(routes=..., middleware=[Middleware(PluginHtmlMiddleware, assets=assets)])
    """

    def __init__(self, app: ASGIApp, assets: Assets) -> None:
        self.app = app
        self.assets = assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.assets.page_plugins() is None:
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {key.lower(): value for key, value in message.get("headers", ())}
                page = (message.get("status") == 200 and b"content-encoding" not in headers
                        and headers.get(b"content-type", b"").startswith(b"text/html"))
                if not page:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send_page(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, capture)

    async def _send_page(self, scope: Scope, start: dict, body: bytes, send: Send) -> None:
        state = scope.get("state") or {}
        nonce = state.get("csp_nonce") if isinstance(state, dict) else None
        page = body.decode("utf-8", "replace")
        transformed = await asyncio.to_thread(
            self.assets.transform_index_html, page, scope.get("path", "/"), nonce=nonce)
        body = transformed.encode("utf-8") if transformed != page else body
        headers = [(key, value) for key, value in start.get("headers", ()) if key.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
