"""End to end in headless Chromium: the Django example page renders an app's TSX entry (a React
component and an imported stylesheet, over the pre-bundled deps), (1) in production from
``prebundle build`` with hashed files served by prebundle's WSGI layer, and (2) in development with
``prebundle daemon`` running, where the page's URLs point at the daemon. The demo itself, with
Flask too, is tests/browser/test_app_code_e2e.py."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.daemon import Daemon

from .conftest import SOURCE, build, django_settings

APP = {"src/main.tsx": SOURCE + "import './style.css'\n", "src/style.css": "#hello { color: rebeccapurple }\n"}
"""The app's own files: a TSX entry importing its stylesheet."""


def make_frontend(root: Path) -> Path:
    """An app over the npm packages whose entry is ``src/main.tsx`` (``APP``)."""
    return make_app(root, APP["src/main.tsx"], entry="src/main.tsx", extra={"src/style.css": APP["src/style.css"]})


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def open_in_chromium(url: str) -> tuple[str, list[str], dict[str, dict]]:
    """``visit(url)`` in a Chromium of its own, on a thread of its own with its own Playwright:
    the sync API refuses a thread where an event loop runs (another suite's session-wide
    Playwright may hold one)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")

    def run(url):
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return visit(chromium, url)
            finally:
                chromium.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run, url).result(timeout=120)


def serve_django(root: Path):
    """The example's WSGI stack over ``root`` on a free port: prebundle's files in front of Django."""
    django_settings()
    from django.core.wsgi import get_wsgi_application
    from django.test import override_settings

    from prebundle.integrations.django import get_assets
    from prebundle.integrations.wsgi import WsgiDepsApp

    override = override_settings(PREBUNDLE={"root": root}, DEBUG=False)
    override.enable()
    app = WsgiDepsApp(get_assets(), app=get_wsgi_application())
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        server.server_close()
        override.disable()

    return f"http://127.0.0.1:{server.server_port}", stop


def visit(browser, url: str) -> tuple[str, list[str], dict[str, dict]]:
    """Open ``url``; the text of ``#hello``, every error, and the response headers by URL."""
    page = browser.new_context().new_page()
    errors: list[str] = []
    responses: dict[str, dict] = {}
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: responses.__setitem__(r.url, {"status": r.status, **r.headers}))
    page.goto(url)
    try:
        text = page.locator("#hello").text_content(timeout=15_000)
    except Exception as error:  # noqa: BLE001 - reported with the page's errors
        text = f"never rendered: {type(error).__name__}"
    color = page.evaluate("() => { const el = document.getElementById('hello'); "
                          "return el ? getComputedStyle(el).color : '' }")
    page.context.close()
    return f"{text}|{color}", errors, responses


def test_production_build_served_by_the_wsgi_layer(tmp_path):
    root = make_frontend(tmp_path / "prod")
    build(root)
    url, stop = serve_django(root)
    try:
        text, errors, responses = open_in_chromium(url + "/")
    finally:
        stop()
    assert errors == []
    assert text.startswith("hello from React 19") and text.endswith("rgb(102, 51, 153)"), text  # the app's CSS
    deps = {u: r for u, r in responses.items() if "/static/prebundle/" in u}
    assert deps and all(r["status"] == 200 for r in deps.values())
    js = [r for u, r in deps.items() if u.split("?")[0].endswith(".js")]
    assert all(r["cache-control"] == "max-age=31536000,immutable" for r in js)
    assert any(r.get("content-encoding") == "br" for r in js)


def test_development_with_the_daemon(tmp_path):
    root = make_frontend(tmp_path / "dev")
    daemon = Daemon(root)
    try:
        daemon.wait_listening(timeout=60).wait_state("ready", timeout=60)
        port = json.loads((root / "node_modules" / ".vite" / "daemon.json").read_text())["port"]
        url, stop = serve_django(root)
        try:
            text, errors, responses = open_in_chromium(url + "/")
        finally:
            stop()
    finally:
        daemon.stop(timeout=15)
    assert errors == []
    assert text.startswith("hello from React 19") and text.endswith("rgb(102, 51, 153)"), text  # the app's CSS
    daemon = f"http://127.0.0.1:{port}"
    assert f"{daemon}/@prebundle/client.js" in responses  # the reload client is on the page
    assert f"{daemon}/src/main.tsx" in responses and f"{daemon}/src/style.css?import" in responses
    deps = [u for u in responses if u.startswith(f"{daemon}/node_modules/.vite/deps/")]
    assert any("react-dom_client" in u for u in deps)
    assert not [u for u in responses if "/static/prebundle/" in u]  # nothing from the app's copy
