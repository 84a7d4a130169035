"""Flask (test client), Starlette (``TestClient``) and plain Jinja2: the example apps render the
demo's build with one tag, whose import map, integrity, stylesheet, script and nonce are checked,
and serve its files; hostile values escaped."""

from __future__ import annotations

import html
import json
import re

import pytest
from jinja2 import Environment
from markupsafe import Markup

from prebundle.integrations import Assets
from prebundle.integrations.jinja import PrebundleExtension

from .conftest import HOSTILE, check_built_page, importmap_of, load_example, tag_attrs

BASE = "/static/"


def _nonce(headers) -> str:
    return re.search(r"'nonce-([0-9a-f]+)'", headers["content-security-policy"]).group(1)


def _entry(root) -> dict:
    return json.loads((root / "dist" / ".prebundle" / "manifest.json").read_text())["src/main.tsx"]


def test_flask_page_and_files(demo_built):
    app = load_example("flask").create_app(demo_built)
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    check_built_page(page, demo_built / "dist", BASE, nonce=_nonce(response.headers))
    entry = _entry(demo_built)
    assert entry["css"] and all(f"<{BASE}{css}>; rel=preload; as=style" in response.headers["Link"]
                                for css in entry["css"])
    assert "modulepreload" not in response.headers["Link"]  # it would race the import map
    url = importmap_of(page)["imports"]["react"]
    served = client.get(url, headers={"Accept-Encoding": "br"})
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == "max-age=31536000,immutable"
    assert served.headers["Content-Encoding"] == "br"
    etag = served.headers["ETag"]
    assert client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304
    script = client.get(BASE + entry["file"])
    assert script.status_code == 200 and script.headers["Cache-Control"] == "max-age=31536000,immutable"
    assert script.get_data() == (demo_built / "dist" / entry["file"]).read_bytes()
    assert client.get(BASE + ".prebundle/manifest.json").status_code == 404
    assert client.get(BASE + "..%2Fsrc/main.tsx").status_code == 404
    assert client.get("/src/main.tsx").status_code == 404  # the sources are the daemon's to serve, not the app's


def test_starlette_page_and_files(demo_built):
    from starlette.testclient import TestClient

    with TestClient(load_example("starlette").create_app(demo_built)) as client:
        response = client.get("/")
        assert response.status_code == 200
        page = response.text
        check_built_page(page, demo_built / "dist", BASE, nonce=_nonce(response.headers))
        css = _entry(demo_built)["css"]
        assert css and all(f"<{BASE}{file}>; rel=preload; as=style" in response.headers["link"] for file in css)
        assert "modulepreload" not in response.headers["link"]
        files = [s["src"] for s in tag_attrs(page, "script", type="module")]
        files += [s["href"] for s in tag_attrs(page, "link", rel="stylesheet")]
        files += list(importmap_of(page)["imports"].values())
        for url in files:
            served = client.get(url, headers={"accept-encoding": "gzip"})
            assert served.status_code == 200
            assert served.headers["cache-control"] == "max-age=31536000,immutable"
        assert client.get("/src/main.tsx").status_code == 404


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
