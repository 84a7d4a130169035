"""The project's plugins' ``transform_index_html`` on pages the app renders: Assets itself, the
Django middleware, Flask's ``Prebundle(app)`` and the ASGI middleware, each adding the tags to
a real response (with the request's CSP nonce), and leaving other responses alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from prebundle.integrations import Assets

from .conftest import django_settings

PAGE = "<!doctype html><html><head><title>t</title></head><body><p>hi</p></body></html>"

CONFIG = """
from prebundle import Plugin, define_config


def tags(html, ctx):
    return [
        {"tag": "meta", "attrs": {"name": "x-page", "content": ctx.path}, "inject_to": "head-prepend"},
        {"tag": "script", "attrs": {"type": "module", "src": "/src/analytics.js"}, "inject_to": "body"},
    ]


config = define_config(plugins=[
    Plugin("page-tags", transform_index_html=tags),
    Plugin("daemon-only", apply="serve", transform_index_html=lambda html, ctx: html.replace("<p>", "<p class=dev>")),
])
"""


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "front"
    root.mkdir()
    (root / "prebundle.config.py").write_text(CONFIG)
    return root


def _has_tags(page: str, path: str, nonce: str | None) -> bool:
    script = '<script type="module" src="/src/analytics.js"' + (f' nonce="{nonce}"' if nonce else "") + "></script>"
    return page.startswith(f'<!doctype html><html><head><meta name="x-page" content="{path}"><title>') \
        and page.endswith(script + "</body></html>")


def test_assets_runs_the_build_plugins_on_a_page(project):
    assets = Assets(project)
    page = assets.transform_index_html(PAGE, "/about", nonce="n0nce")
    assert _has_tags(page, "/about", "n0nce")
    assert "class=dev" not in page  # no daemon runs: apply="serve" plugins stay out


def test_assets_without_plugins_returns_the_page_as_it_is(tmp_path):
    root = tmp_path / "plain"
    root.mkdir()
    assert Assets(root).transform_index_html(PAGE) == PAGE


def test_django_middleware(project):
    django_settings()
    from django.http import HttpResponse, JsonResponse
    from django.test import RequestFactory, override_settings

    from prebundle.integrations.django.middleware import PluginHtmlMiddleware

    request = RequestFactory().get("/shop/")
    request.csp_nonce = "dj4ngo"
    with override_settings(PREBUNDLE={"root": project}):
        def view(request):
            response = HttpResponse(PAGE)
            response["Content-Length"] = str(len(PAGE))  # as CommonMiddleware sets it
            return response

        response = PluginHtmlMiddleware(view)(request)
        assert _has_tags(response.content.decode(), "/shop/", "dj4ngo")
        assert response["Content-Length"] == str(len(response.content))
        data = PluginHtmlMiddleware(lambda r: JsonResponse({"page": PAGE}))(request)
        assert b"x-page" not in data.content
        missing = PluginHtmlMiddleware(lambda r: HttpResponse(PAGE, status=404))(request)
        assert missing.content.decode() == PAGE


def test_flask_pages_go_through_the_plugins(project):
    from flask import Flask, jsonify

    from prebundle.integrations.flask import Prebundle

    app = Flask(__name__)
    Prebundle(app, root=project)

    @app.get("/")
    def index():
        return PAGE

    @app.get("/data")
    def data():
        return jsonify(page=PAGE)

    client = app.test_client()
    assert _has_tags(client.get("/").get_data(as_text=True), "/", None)
    assert b"x-page" not in client.get("/data").data

    off = Flask("off")
    Prebundle(off, root=project, transform_html=False)
    off.add_url_rule("/", "index", index)
    assert off.test_client().get("/").get_data(as_text=True) == PAGE


def test_asgi_middleware(project):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, PlainTextResponse, StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from prebundle.integrations.asgi import PluginHtmlMiddleware

    async def page(request):
        request.state.csp_nonce = "4sgi"
        return HTMLResponse(PAGE)

    async def streamed(request):
        async def parts():
            yield PAGE[:20]
            yield PAGE[20:]
        return StreamingResponse(parts(), media_type="text/html")

    async def text(request):
        return PlainTextResponse(PAGE)

    app = Starlette(routes=[Route("/", page), Route("/streamed", streamed), Route("/text", text)],
                    middleware=[Middleware(PluginHtmlMiddleware, assets=Assets(project))])
    with TestClient(app) as client:
        response = client.get("/")
        assert _has_tags(response.text, "/", "4sgi")
        assert response.headers["content-length"] == str(len(response.content))
        assert _has_tags(client.get("/streamed").text, "/streamed", None)  # every part, joined
        assert client.get("/text").text == PAGE
