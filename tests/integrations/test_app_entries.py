"""``prebundle_entry("src/main.tsx")``: the app's own entry module, rendered from the build in
production (import map of ``dist/deps/``, CSS of the static closure, modulepreloads, the hashed
script, SRI and nonce on everything) and from ``prebundle daemon`` in development, with one
template. Real files throughout: a TSX app bundled by esbuild into ``dist/`` beside a production
deps dir, a hand-written manifest where exact closures are checked, Flask and Django pages in
headless Chromium, and a running daemon."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.urls import path
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from prebundle import esbuild, load_config, optimize
from prebundle.integrations import Assets, AssetsError, UnknownAsset
from prebundle.integrations.asgi import AsgiDepsApp
from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.daemon import Daemon

from .conftest import django_settings, importmap_of, sri, tag_attrs

MAIN_TSX = """\
import { createRoot } from 'react-dom/client'
import { loadHeavy } from 'lazy-pkg'
import { Greeting } from './shared'
import './main.css'

createRoot(document.getElementById('root')!).render(<Greeting name="TSX" />)
const out = document.getElementById('out')!
async function run(load: () => Promise<string>): Promise<void> {
  try {
    out.textContent = await load()
  } catch (error) {
    out.textContent = 'refused: ' + (error as Error).message
  }
}
document.getElementById('lazy')!.addEventListener('click', () => run(async () => (await import('./lazy')).lazy()))
document.getElementById('heavy')!.addEventListener('click', () => run(loadHeavy))
"""
APP_FILES: dict[str, str | bytes] = {
    "src/shared.tsx": 'export function Greeting({ name }: { name: string }) {\n'
                      '  return <p id="hello">hello from {name}</p>\n}\n',
    "src/lazy.tsx": "import { Greeting } from './shared'\n"
                    "export const lazy = (): string => 'lazy loaded ' + typeof Greeting\n",
    "src/main.css": "#hello { color: rebeccapurple; background: url(./logo.png) no-repeat }\n",
    "src/logo.png": bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                  "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f0ae0b00"
                                  "00000049454e44ae426082"),
    # a package that loads a part of itself lazily: its deps build has a dynamic chunk
    "node_modules/lazy-pkg/package.json": json.dumps({"name": "lazy-pkg", "version": "1.0.0", "type": "module",
                                                      "main": "index.js"}),
    "node_modules/lazy-pkg/index.js": "export async function loadHeavy() {\n"
                                      "  const { heavy } = await import('./heavy.js')\n  return heavy()\n}\n",
    "node_modules/lazy-pkg/heavy.js": "export const heavy = () => 'heavy loaded'\n",
}
MAIN_JS = """\
import React from 'react'
import { createRoot } from 'react-dom/client'
import { greeting } from './shared.js'
createRoot(document.getElementById('root')).render(React.createElement('p', { id: 'hello' }, greeting('JS')))
"""
"""The development entry: plain ``.js``, served by the daemon as it is."""
PURPLE = "rgb(102, 51, 153)"

DJANGO_PAGE = """{% load prebundle %}<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
{% prebundle_entry entry %}
</head><body><div id="root"></div><button id="lazy">lazy</button><button id="heavy">heavy</button>
<p id="out"></p></body></html>
"""
JINJA_PAGE = DJANGO_PAGE.replace("{% load prebundle %}", "").replace(
    "{% prebundle_entry entry %}", "{{ prebundle_entry(entry, preload=preload) }}")


# -- the app and its build ----------------------------------------------------------------------


def make_frontend(root: Path) -> Path:
    """A TSX app over react, react-dom and ``lazy-pkg``, its deps pre-bundled in production mode."""
    make_app(root, MAIN_TSX, entry="src/main.tsx", extra=APP_FILES, packages=["react", "react-dom", "scheduler"],
             hand_packages=False)
    optimize(load_config(root, overrides={"mode": "production", "log_level": "silent"}))
    return root


def build_dist(root: Path) -> Path:
    """``<root>/dist`` as ``prebundle build`` lays it out: the app bundled by esbuild (hashed names,
    packages left to the import map), its manifest in Vite's shape at ``.prebundle/manifest.json``
    (written here from esbuild's metafile, with the packages each module imports as
    ``externals``), and the production deps dir copied into ``deps/``."""
    out = root / "dist"
    result = esbuild.build(entry_points=[str(root / "src" / "main.tsx")], bundle=True, splitting=True,
                           format="esm", outdir=str(out / "assets"), entry_names="[name]-[hash]",
                           chunk_names="[name]-[hash]", asset_names="[name]-[hash]", packages="external",
                           jsx="automatic", minify=True, metafile=True, write=True, abs_working_dir=str(root),
                           loader={".png": "file"}, log_level="silent")
    meta = result.metafile if isinstance(result.metafile, dict) else json.loads(result.metafile)
    outputs = meta["outputs"]

    def file(path: str) -> str:
        return Path(path).relative_to("dist").as_posix()

    keys = {path: m.get("entryPoint") or "_" + Path(path).name for path, m in outputs.items() if path.endswith(".js")}
    manifest = {}
    for path, key in keys.items():
        m = outputs[path]
        record: dict = {"file": file(path)}
        if m.get("entryPoint"):
            entry = m["entryPoint"]
            record |= {"src": entry, "name": Path(entry).stem,
                       "isEntry" if entry == "src/main.tsx" else "isDynamicEntry": True}
        record["imports"] = [keys[i["path"]] for i in m["imports"] if i["kind"] == "import-statement"
                             and not i.get("external")]
        dynamic = [keys[i["path"]] for i in m["imports"] if i["kind"] == "dynamic-import" and not i.get("external")]
        if dynamic:
            record["dynamicImports"] = dynamic
        externals = [i["path"] for i in m["imports"] if i.get("external") and i["kind"] == "import-statement"]
        if externals:  # the packages it imports, as the deps manifest lists them
            record["externals"] = externals
        if m.get("cssBundle"):
            record["css"] = [file(m["cssBundle"])]
            record["assets"] = [file(i["path"]) for i in outputs[m["cssBundle"]]["imports"]]
        manifest[key] = record
    (out / ".prebundle").mkdir()
    (out / ".prebundle" / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.copytree(root / "node_modules" / ".vite" / "deps", out / "deps")
    return out


@pytest.fixture(scope="session")
def frontend(tmp_path_factory) -> Path:
    """The project root, with ``dist/`` built. Tests that change files work on copies."""
    root = make_frontend(tmp_path_factory.mktemp("app-entries") / "frontend")
    build_dist(root)
    return root


@pytest.fixture
def hand_dist(frontend, tmp_path) -> Path:
    """A build whose closure is known exactly: ``main`` imports ``_shared`` (with its own CSS),
    which imports ``_deep``; ``main`` may ``import()`` ``src/lazy.tsx``, which imports ``_lazydep``."""
    out = tmp_path / "dist"
    files = {"assets/main-AAAA1111.js": "import './shared-BBBB2222.js'\n",
             "assets/shared-BBBB2222.js": "import './deep-CCCC3333.js'\n", "assets/deep-CCCC3333.js": "export {}\n",
             "assets/lazy-DDDD4444.js": "import './lazydep-EEEE5555.js'\n", "assets/lazydep-EEEE5555.js": "export {}\n",
             "assets/main-FFFF6666.css": "a{}\n", "assets/shared-GGGG7777.css": "b{}\n",
             "assets/lazy-HHHH8888.css": "c{}\n", "assets/logo-IIII9999.png": "png"}
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    manifest = {
        "src/main.tsx": {"file": "assets/main-AAAA1111.js", "src": "src/main.tsx", "name": "main", "isEntry": True,
                         "imports": ["_shared-BBBB2222.js"], "dynamicImports": ["src/lazy.tsx"],
                         "css": ["assets/main-FFFF6666.css"], "assets": ["assets/logo-IIII9999.png"]},
        "_shared-BBBB2222.js": {"file": "assets/shared-BBBB2222.js", "name": "shared",
                                "imports": ["_deep-CCCC3333.js"], "css": ["assets/shared-GGGG7777.css"]},
        "_deep-CCCC3333.js": {"file": "assets/deep-CCCC3333.js", "name": "deep"},
        "src/lazy.tsx": {"file": "assets/lazy-DDDD4444.js", "src": "src/lazy.tsx", "isDynamicEntry": True,
                         "imports": ["_lazydep-EEEE5555.js"], "css": ["assets/lazy-HHHH8888.css"]},
        "_lazydep-EEEE5555.js": {"file": "assets/lazydep-EEEE5555.js", "name": "lazydep"},
        "src/logo.png": {"file": "assets/logo-IIII9999.png", "src": "src/logo.png"},
    }
    (out / ".prebundle").mkdir()
    (out / ".prebundle" / "manifest.json").write_text(json.dumps(manifest))
    shutil.copytree(frontend / "dist" / "deps", out / "deps")
    return out


def copy_project(frontend: Path, dest: Path, *, dist: bool = True) -> Path:
    """A copy of the project (node_modules links kept as links) that a test may change."""
    ignore = None if dist else shutil.ignore_patterns("dist")
    return Path(shutil.copytree(frontend, dest, symlinks=True, ignore=ignore))


def write_daemon_file(root: Path, port: int = 5999) -> None:
    """``daemon.json`` as a running daemon writes it, naming this (live) process."""
    (root / "node_modules" / ".vite" / "daemon.json").write_text(json.dumps({
        "pid": os.getpid(), "host": "127.0.0.1", "port": port, "url": f"http://127.0.0.1:{port}",
        "root": str(root), "started": "now", "version": "0.1.0"}))


def nonce_on_every_tag(page: str, nonce: str) -> bool:
    tags = [t for t in re.findall(r"<(?:script|link)\b[^>]*>", page) if 'rel="icon"' not in t]
    return bool(tags) and all(f'nonce="{nonce}"' in t for t in tags)


def hrefs(page: str, rel: str) -> list[str]:
    return [link["href"] for link in tag_attrs(page, "link", rel=rel)]


# -- tags -----------------------------------------------------------------------------------------


def test_production_entry_from_the_build(hand_dist):
    assets = Assets.for_build(hand_dist, base="/static")
    page = assets.entry_tags("src/main.tsx", nonce="n0nce")
    assert page.count('<script type="importmap"') == 1 and nonce_on_every_tag(page, "n0nce")
    assert "@prebundle/client.js" not in page  # no daemon in production
    imap = importmap_of(page)
    deps = json.loads((hand_dist / "deps" / "_metadata.json").read_text())["optimized"]
    assert {id_: url.split("?")[0] for id_, url in imap["imports"].items()} == {
        id_: "/static/deps/" + record["file"] for id_, record in deps.items()}
    for url in imap["imports"].values():
        assert imap["integrity"][url] == sri(hand_dist / "deps" / url.removeprefix("/static/deps/").split("?")[0])
    for name in ("main-AAAA1111", "shared-BBBB2222", "deep-CCCC3333", "lazy-DDDD4444", "lazydep-EEEE5555"):
        url = f"/static/assets/{name}.js"  # every module, lazy ones too
        assert imap["integrity"][url] == sri(hand_dist / "assets" / f"{name}.js")
    assert not [url for url in imap["integrity"] if url.endswith((".css", ".png"))]  # modules only
    sheets = tag_attrs(page, "link", rel="stylesheet")
    assert [s["href"] for s in sheets] == ["/static/assets/main-FFFF6666.css", "/static/assets/shared-GGGG7777.css"]
    assert all(s["integrity"] == sri(hand_dist / s["href"].removeprefix("/static/")) for s in sheets)
    preloads = tag_attrs(page, "link", rel="modulepreload")
    assert [p["href"] for p in preloads] == ["/static/assets/shared-BBBB2222.js", "/static/assets/deep-CCCC3333.js"]
    assert all(p["integrity"] == sri(hand_dist / p["href"].removeprefix("/static/")) for p in preloads)
    scripts = tag_attrs(page, "script", type="module")
    assert [(s["src"], s["integrity"]) for s in scripts] == [
        ("/static/assets/main-AAAA1111.js", sri(hand_dist / "assets" / "main-AAAA1111.js"))]
    order = [page.index(tag) for tag in ("importmap", "stylesheet", "modulepreload", '<script type="module"')]
    assert order == sorted(order)
    assert assets.url("src/main.tsx") == "/static/assets/main-AAAA1111.js" == assets.url("main")
    assert Assets(hand_dist, base="/static/").entry_tags("src/main.tsx", nonce="n0nce") == page  # a bare path


def test_preload_dynamic_adds_what_import_may_load(hand_dist):
    assets = Assets.for_build(hand_dist, base="/static/")
    page = assets.entry_tags("src/main.tsx", preload="dynamic")
    assert hrefs(page, "modulepreload") == ["/static/assets/shared-BBBB2222.js", "/static/assets/deep-CCCC3333.js",
                                            "/static/assets/lazy-DDDD4444.js", "/static/assets/lazydep-EEEE5555.js"]
    assert hrefs(page, "stylesheet") == ["/static/assets/main-FFFF6666.css", "/static/assets/shared-GGGG7777.css"]
    lazy = assets.preload_tags("src/lazy.tsx")  # a lazy route preloaded by itself: with its CSS
    assert hrefs(lazy, "modulepreload") == ["/static/assets/lazy-DDDD4444.js", "/static/assets/lazydep-EEEE5555.js"]
    assert hrefs(lazy, "stylesheet") == ["/static/assets/lazy-HHHH8888.css"]
    with pytest.raises(AssetsError, match="preload must be 'static' or 'dynamic'"):
        assets.entry_tags("src/main.tsx", preload="eager")


def test_one_import_map_per_page(hand_dist):
    assets = Assets.for_build(hand_dist, base="/static/")
    page = assets.importmap_tag() + assets.entry_tags("src/main.tsx", importmap=False)
    assert page.count('<script type="importmap"') == 1
    assert "/static/assets/lazy-DDDD4444.js" in importmap_of(page)["integrity"]  # the import map tag covers the build
    package = assets.entry_tags("react-dom/client")  # a package run by itself: no import map, as before
    assert "importmap" not in package
    assert tag_attrs(package, "script", type="module")[0]["src"].startswith("/static/deps/react-dom_client-")


def test_for_project_picks_up_the_build(frontend, tmp_path):
    dist = frontend / "dist"
    manifest = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    assets = Assets.for_project(frontend, base="/static/")
    assert assets.served_dir() == dist.resolve() and assets.deps_dir == (dist / "deps").resolve()
    script = tag_attrs(assets.entry_tags("src/main.tsx"), "script", type="module")[0]
    assert script["src"] == "/static/" + manifest["src/main.tsx"]["file"]
    assert importmap_of(assets.importmap_tag())["imports"]["react"].startswith("/static/deps/react-")
    with pytest.raises(UnknownAsset, match=r"'src/mian.tsx' is not in the build manifest .*did you mean 'src/main"):
        assets.entry_tags("src/mian.tsx")

    unbuilt = copy_project(frontend, tmp_path / "unbuilt", dist=False)
    assets = Assets.for_project(unbuilt, base="/static/")
    assert assets.served_dir() == (unbuilt / "node_modules" / ".vite" / "deps").resolve()
    assert importmap_of(assets.importmap_tag())["imports"]["react"].startswith("/static/react-")  # deps as before
    with pytest.raises(AssetsError, match=r"no `prebundle daemon` runs and .*manifest.json does not exist: run `pre"):
        assets.entry_tags("src/main.tsx")
    with pytest.raises(AssetsError, match="mode is 'development'.*start it"):
        Assets.for_project(frontend, mode="development").entry_tags("src/main.tsx")


def test_development_entry_points_at_the_daemon(frontend, tmp_path):
    root = copy_project(frontend, tmp_path / "dev")
    write_daemon_file(root)
    assets = Assets.for_project(root, base="/static/")
    page = assets.entry_tags("src/main.tsx", nonce="d3v")
    assert page.count('<script type="importmap"') == 1 and nonce_on_every_tag(page, "d3v")
    assert importmap_of(page)["imports"]["react"].startswith("http://127.0.0.1:5999/node_modules/.vite/deps/react-")
    scripts = [s["src"] for s in tag_attrs(page, "script", type="module")]
    assert scripts == ["http://127.0.0.1:5999/@prebundle/client.js", "http://127.0.0.1:5999/src/main.tsx"]
    assert "stylesheet" not in page and "modulepreload" not in page  # the daemon's module loads its own CSS
    assert assets.url("/src/main.tsx") == "http://127.0.0.1:5999/src/main.tsx"
    assert assets.served_dir() == (root / "node_modules" / ".vite" / "deps").resolve()  # the build waits
    with pytest.raises(UnknownAsset, match=r"'src/nope.tsx': no such file in .*dev"):
        assets.entry_tags("src/nope.tsx")
    production = Assets.for_project(root, base="/static/", mode="production")
    script = tag_attrs(production.entry_tags("src/main.tsx"), "script", type="module")[0]
    assert script["src"].startswith("/static/assets/main-")


def test_link_header_of_an_app_entry(hand_dist):
    header = Assets.for_build(hand_dist, base="/static/").link_header("src/main.tsx")
    assert header.split(", ") == [  # no modulepreload: it would race the import map
        "</static/assets/main-FFFF6666.css>; rel=preload; as=style",
        "</static/assets/shared-GGGG7777.css>; rel=preload; as=style"]


def test_serving_the_build(frontend):
    dist = frontend / "dist"
    manifest = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    assets = Assets.for_build(dist, base="/static/")
    app = Starlette(routes=[Mount("/static", app=AsgiDepsApp(assets))])
    with TestClient(app) as client:
        main = manifest["src/main.tsx"]
        for file in (main["file"], main["css"][0], main["assets"][0], manifest["src/lazy.tsx"]["file"]):
            response = client.get("/static/" + file)
            assert response.status_code == 200 and response.content == (dist / file).read_bytes()
            assert response.headers["cache-control"] == "max-age=31536000,immutable"
        react = importmap_of(assets.importmap_tag())["imports"]["react"]
        response = client.get(react)
        assert response.headers["cache-control"] == "max-age=31536000,immutable"
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert client.get("/static/deps/importmap.json").headers["cache-control"] == "no-cache"
        assert client.get("/static/.prebundle/manifest.json").status_code == 404


# -- real servers in Chromium -----------------------------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve_wsgi(app: Callable) -> tuple[str, Callable[[], None]]:
    """``app`` on a free port of 127.0.0.1, on threads; the URL and how to stop it."""
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


def in_chromium(url: str, steps: Callable[..., dict] | None = None) -> dict:
    """Open ``url`` in a Chromium of its own (on a thread: the sync API refuses one with an event
    loop) and wait for ``#hello``; then ``steps(page)`` may act. Returns what the page showed:
    ``hello``, its ``color``, the ``errors`` (page errors, console errors, failed requests), the
    URLs requested and the page's HTML, plus what ``steps`` returns."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")

    def run() -> dict:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_context().new_page()
                errors: list[str] = []
                requested: list[str] = []
                page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
                page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
                page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
                page.on("request", lambda r: requested.append(r.url))
                response = page.goto(url)
                try:
                    hello = page.locator("#hello").text_content(timeout=15_000)
                except Exception as error:  # noqa: BLE001 - reported with the page's errors
                    hello = f"never rendered: {type(error).__name__}"
                color = page.evaluate("() => { const el = document.getElementById('hello'); "
                                      "return el ? getComputedStyle(el).color : '' }")
                seen = {"hello": hello, "color": color, "errors": errors, "requested": requested,
                        "html": response.text() if response else "", "headers": response.headers if response else {}}
                if steps is not None and not hello.startswith("never"):
                    seen |= steps(page)
                return seen
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=120)


def click_and_read(page, button: str) -> str:
    """Click ``#<button>`` and wait until ``#out`` shows the result."""
    page.evaluate("() => { document.getElementById('out').textContent = '' }")
    page.click(f"#{button}")
    page.wait_for_function("() => document.getElementById('out').textContent !== ''", timeout=15_000)
    return page.locator("#out").text_content()


def flask_app(assets: Assets, *, preload: str = "static"):
    """A Flask app rendering ``JINJA_PAGE`` for ``src/main.tsx`` under a strict, nonce-based CSP."""
    from flask import Flask, g, render_template_string

    from prebundle.integrations.flask import Prebundle

    app = Flask(__name__)
    Prebundle(app, assets=assets)

    @app.before_request
    def nonce() -> None:
        g.csp_nonce = secrets.token_hex(8)

    @app.after_request
    def csp(response):
        response.headers["Content-Security-Policy"] = (f"script-src 'nonce-{g.csp_nonce}' 'strict-dynamic'; "
                                                       "style-src 'self'")
        return response

    @app.route("/")
    def index() -> str:
        return render_template_string(JINJA_PAGE, entry="src/main.tsx", preload=preload)

    return app


def test_flask_runs_the_built_entry_in_chromium(frontend):
    dist = frontend / "dist"
    url, stop = serve_wsgi(flask_app(Assets.for_build(dist, base="/app/")))
    try:
        seen = in_chromium(url + "/", lambda page: {"lazy": click_and_read(page, "lazy"),
                                                    "heavy": click_and_read(page, "heavy")})
    finally:
        stop()
    assert seen["errors"] == [] and seen["hello"] == "hello from TSX" and seen["color"] == PURPLE
    assert seen["lazy"] == "lazy loaded function" and seen["heavy"] == "heavy loaded"
    manifest = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    assert url + "/app/" + manifest["src/main.tsx"]["file"] in seen["requested"]
    assert url + "/app/" + manifest["src/main.tsx"]["assets"][0] in seen["requested"]  # the CSS's image
    nonce = re.search(r"'nonce-(\w+)'", seen["headers"]["content-security-policy"]).group(1)
    assert nonce_on_every_tag(seen["html"], nonce)


# Django: the example project's settings, this module as the URLconf, a template written per test.


def django_page(request):
    from django.conf import settings
    from django.shortcuts import render

    nonce = secrets.token_hex(8)
    response = render(request, "page.html", {"entry": settings.PAGE_ENTRY, "csp_nonce": nonce})
    response["Content-Security-Policy"] = f"script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self'"
    return response


urlpatterns = [path("", django_page)]
"""This module is the URLconf of the Django pages (``ROOT_URLCONF``)."""


def serve_django(root: Path, entry: str, templates: Path) -> tuple[str, Callable[[], None]]:
    """This module's page over the frontend at ``root`` on a free port, prebundle's files in front."""
    django_settings()
    from django.core.wsgi import get_wsgi_application
    from django.test import override_settings

    from prebundle.integrations.django import get_assets
    from prebundle.integrations.wsgi import WsgiDepsApp

    templates.mkdir(exist_ok=True)
    (templates / "page.html").write_text(DJANGO_PAGE)
    override = override_settings(
        PREBUNDLE={"root": root}, ROOT_URLCONF=__name__, PAGE_ENTRY=entry, DEBUG=False,
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [templates]}])
    override.enable()
    try:
        url, stop_server = serve_wsgi(WsgiDepsApp(get_assets(), app=get_wsgi_application()))
    except BaseException:
        override.disable()
        raise

    def stop() -> None:
        stop_server()
        override.disable()

    return url, stop


def test_django_runs_the_built_entry_in_chromium(frontend, tmp_path):
    url, stop = serve_django(frontend, "src/main.tsx", tmp_path / "templates")
    try:
        seen = in_chromium(url + "/", lambda page: {"lazy": click_and_read(page, "lazy")})
    finally:
        stop()
    assert seen["errors"] == [] and seen["hello"] == "hello from TSX" and seen["color"] == PURPLE
    assert seen["lazy"] == "lazy loaded function"
    manifest = json.loads((frontend / "dist" / ".prebundle" / "manifest.json").read_text())
    assert url + "/static/prebundle/" + manifest["src/main.tsx"]["file"] in seen["requested"]
    assert any(u.startswith(url + "/static/prebundle/deps/react-dom_client-") for u in seen["requested"])
    nonce = re.search(r"'nonce-(\w+)'", seen["headers"]["content-security-policy"]).group(1)
    assert nonce_on_every_tag(seen["html"], nonce)


def test_same_template_runs_the_entry_from_the_daemon(tmp_path):
    root = make_app(tmp_path / "dev", MAIN_JS, extra={
        "src/shared.js": "export const greeting = (name) => 'hello from ' + name\n"},
        packages=["react", "react-dom", "scheduler"], hand_packages=False)
    daemon = Daemon(root)
    try:
        daemon.wait_listening(timeout=60).wait_state("ready", timeout=60)
        url, stop = serve_django(root, "src/main.js", tmp_path / "templates")
        try:
            seen = in_chromium(url + "/")
        finally:
            stop()
    finally:
        daemon.stop(timeout=15)
    assert seen["errors"] == [] and seen["hello"] == "hello from JS"
    scripts = [s["src"] for s in tag_attrs(seen["html"], "script", type="module")]
    assert scripts == [f"{daemon.url}/@prebundle/client.js", f"{daemon.url}/src/main.js"]
    assert f"{daemon.url}/src/shared.js" in seen["requested"]  # its relative imports come from the daemon too
    assert any(u.startswith(f"{daemon.url}/node_modules/.vite/deps/react-dom_client") for u in seen["requested"])
    assert not [u for u in seen["requested"] if "/static/prebundle/" in u]


def test_collectstatic_copies_the_build(frontend, tmp_path):
    django_settings()
    from django.core.management import call_command
    from django.template import Context, Template
    from django.test import override_settings

    collected = tmp_path / "collected"
    manifest = json.loads((frontend / "dist" / ".prebundle" / "manifest.json").read_text())
    with override_settings(PREBUNDLE={"root": frontend}, STATIC_ROOT=collected, STATICFILES_DIRS=[]):
        call_command("collectstatic", interactive=False, verbosity=0)
        page = Template('{% load prebundle %}{% prebundle_entry "src/main.tsx" nonce="c" %}').render(Context())
    copy = collected / "prebundle"
    main = manifest["src/main.tsx"]
    for file in (main["file"], main["css"][0], main["assets"][0], manifest["src/lazy.tsx"]["file"],
                 ".prebundle/manifest.json", "deps/importmap.json"):
        assert (copy / file).read_bytes() == (frontend / "dist" / file).read_bytes()
    assert not (copy / "node_modules").exists()
    with override_settings(PREBUNDLE={"build": copy}, STATIC_ROOT=collected):  # a server with only the copy
        served = Template('{% load prebundle %}{% prebundle_entry "src/main.tsx" nonce="c" %}').render(Context())
        call_command("collectstatic", interactive=False, verbosity=0)  # never copies the copy onto itself
    assert served == page
    assert (copy / main["file"]).read_bytes() == (frontend / "dist" / main["file"]).read_bytes()
