"""Flask (test client), Starlette (``TestClient``) and plain Jinja2: the example apps render a
page whose import map, integrity, preloads, CSS and nonce are checked; hostile values escaped."""

from __future__ import annotations

import html
import re

import pytest
from jinja2 import Environment
from markupsafe import Markup

from prebundle.integrations import Assets
from prebundle.integrations.jinja import PrebundleExtension

from .conftest import HOSTILE, check_page, importmap_of, load_example, tag_attrs

BASE = "/node_modules/.vite/deps/"
ENTRIES = ["react", "react-dom/client"]


def _nonce(response) -> str:
    return re.search(r"'nonce-([0-9a-f]+)'", response.headers["content-security-policy"]).group(1)


def test_flask_page_and_files(built, deps):
    app = load_example("flask").create_app(built)
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    check_page(page, deps, BASE, ENTRIES, nonce=_nonce(response))
    assert "modulepreload" in response.headers["Link"]
    url = importmap_of(page)["imports"]["react"]
    served = client.get(url, headers={"Accept-Encoding": "br"})
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == "max-age=31536000,immutable"
    assert served.headers["Content-Encoding"] == "br"
    etag = served.headers["ETag"]
    assert client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304
    assert client.get(BASE + "..%2Fdaemon.json").status_code == 404
    assert client.get("/src/main.js").status_code == 200


def test_starlette_page_and_files(built, deps):
    from starlette.testclient import TestClient

    with TestClient(load_example("starlette").create_app(built)) as client:
        response = client.get("/")
        assert response.status_code == 200
        page = response.text
        nonce = tag_attrs(page, "script", type="importmap")[0]["nonce"]
        check_page(page, deps, BASE, ENTRIES, nonce=nonce)
        assert "modulepreload" in response.headers["link"]
        for link in tag_attrs(page, "link", rel="modulepreload"):
            served = client.get(link["href"], headers={"accept-encoding": "gzip"})
            assert served.status_code == 200
            assert served.headers["cache-control"] == "max-age=31536000,immutable"


def test_jinja_extension_is_autoescape_safe(hostile_dir):
    env = Environment(autoescape=True, extensions=[PrebundleExtension])
    env.prebundle_assets = Assets(hostile_dir)
    template = env.from_string("{{ prebundle_importmap() }}{{ prebundle_preload(name) }}{{ prebundle_url(name) }}")
    page = template.render(name=HOSTILE, csp_nonce=HOSTILE)
    assert "<script>alert" not in page and page.count("<script") == 1
    assert HOSTILE in importmap_of(page)["imports"]
    links = tag_attrs(page, "link", rel="modulepreload")
    assert html.unescape(links[0]["nonce"]) == HOSTILE
    assert isinstance(env.globals["prebundle_importmap"](env.from_string("").new_context()), Markup)


def test_jinja_without_assets_says_how_to_set_them():
    env = Environment(extensions=[PrebundleExtension])
    with pytest.raises(RuntimeError, match="prebundle_assets"):
        env.from_string("{{ prebundle_importmap() }}").render()
