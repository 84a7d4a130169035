"""``PluginHtmlMiddleware``: the project's plugins' ``transform_index_html`` on every HTML page
Django renders, as the daemon applies it to the pages it serves.

    MIDDLEWARE = [..., "prebundle.integrations.django.middleware.PluginHtmlMiddleware"]

Pages are complete ``text/html`` responses with status 200; streaming and already encoded
responses pass unchanged. Tags get the request's CSP nonce (``request.csp_nonce``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .conf import get_assets

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

__all__ = ["PluginHtmlMiddleware"]


class PluginHtmlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        assets = get_assets()
        if (response.status_code != 200 or getattr(response, "streaming", False)
                or not response.get("Content-Type", "").startswith("text/html")
                or response.has_header("Content-Encoding") or assets.page_plugins() is None):
            return response  # (no page hook: the body is not even decoded)
        charset = response.charset or "utf-8"
        page = response.content.decode(charset, "replace")
        nonce = getattr(request, "csp_nonce", None)
        transformed = assets.transform_index_html(page, request.path, nonce=str(nonce) if nonce else None)
        if transformed != page:
            response.content = transformed.encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
