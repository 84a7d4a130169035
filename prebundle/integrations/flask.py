"""Flask: ``Prebundle(app)`` gives templates the Jinja2 helpers and serves the deps.

    app = Flask(__name__)
    app.config["PREBUNDLE"] = {"root": "frontend"}   # Assets() keywords; or Prebundle(app, root=...)
    Prebundle(app)

The route serves ``assets.base`` (default ``/node_modules/.vite/deps/``) with the rules of
``serve.DepsFiles``: the deps, or the build of the app (``dist/``) while it is in use, with
immutable caching of hashed files, ETag/304, gzip/brotli. Set
``serve=False`` when a CDN or a front server serves them. ``Prebundle(app).link_header`` and
``assets`` are there for views that want the preload list as a ``Link`` header.

HTML pages (complete ``text/html`` responses, status 200) go through the project's plugins'
``transform_index_html`` hooks, as the daemon's pages do; ``transform_html=False`` turns
that off. Tags get ``request.csp_nonce`` when there is one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request

from .core import Assets
from .jinja import install
from .serve import DepsFiles

__all__ = ["Prebundle"]


class Prebundle:
    def __init__(self, app: Flask | None = None, *, assets: Assets | None = None, serve: bool = True,
                 transform_html: bool = True, **options: Any) -> None:
        self.assets = assets
        self.options = options
        self.serve = serve
        self.transform_html = transform_html
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if self.assets is None:
            options = {**app.config.get("PREBUNDLE", {}), **self.options}
            self.assets = Assets(**options)
        install(app.jinja_env, self.assets)
        app.extensions["prebundle"] = self
        if self.transform_html:
            app.after_request(self._plugin_html)
        base = self.assets.base
        if self.serve and base.startswith("/") and not base.startswith("//"):
            files = DepsFiles(self.assets)

            def prebundle_deps(filename: str) -> Response:
                raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
                raw = raw.split("?", 1)[0]
                relative = raw[len(base):] if raw.startswith(base) else quote(filename, safe="/")
                answer = files.answer(relative, query_string=request.query_string,
                                      if_none_match=request.headers.get("If-None-Match"),
                                      accept_encoding=request.headers.get("Accept-Encoding"),
                                      method=request.method)
                body = answer.read() if request.method != "HEAD" and answer.status != 304 else b""
                response = Response(body, status=answer.status)
                response.headers.clear()
                for key, value in answer.headers:
                    response.headers[key] = value
                if answer.path is None and answer.status not in (304,):
                    response.headers["content-length"] = str(len(answer.body))
                return response

            app.add_url_rule(base + "<path:filename>", "prebundle_deps", prebundle_deps,
                             methods=["GET", "HEAD"])

    def _plugin_html(self, response: Response) -> Response:
        if (response.status_code != 200 or response.mimetype != "text/html" or response.is_streamed
                or response.direct_passthrough or "Content-Encoding" in response.headers
                or self.assets.page_plugins() is None):
            return response  # (no page hook: the body is not even decoded)
        page = response.get_data(as_text=True)
        nonce = getattr(request, "csp_nonce", None)
        transformed = self.assets.transform_index_html(page, request.path, nonce=str(nonce) if nonce else None)
        if transformed != page:
            response.set_data(transformed)
        return response

    def link_header(self, *names: str) -> str:
        return self.assets.link_header(*names)
