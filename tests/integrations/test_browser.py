"""End to end in headless Chromium: the Django example page renders a React component from the
pre-bundled deps, (1) in production with hashed files served by prebundle's WSGI layer, and
(2) in development with ``prebundle daemon`` running, where the page's URLs point at the daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from .conftest import SOURCE, django_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def browser():
    """Runs ``visit`` in a thread of its own with its own Playwright: the sync API refuses a
    thread where an event loop runs (another suite's session-wide Playwright may hold one)."""
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

    def go(url):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(run, url).result(timeout=120)

    return go


def serve_django(root: Path):
    """The example's WSGI stack over ``root`` on a free port: prebundle's files in front of Django."""
    django_settings()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application
    from django.test import override_settings

    from prebundle.integrations.django import get_assets
    from prebundle.integrations.wsgi import StaticFiles

    override = override_settings(PREBUNDLE={"root": root}, STATICFILES_DIRS=[root / "src"], DEBUG=False,
                                 PAGE_ENTRIES=["react-dom/client", "with-css", "needs-react"])
    override.enable()
    app = StaticFiles(get_assets(), app=StaticFilesHandler(get_wsgi_application()))
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


def test_production_build_served_by_the_wsgi_layer(browser, built):
    url, stop = serve_django(built)
    try:
        text, errors, responses = browser(url + "/")
    finally:
        stop()
    assert errors == []
    assert text.startswith("hello from React 19") and text.endswith("rgb(102, 51, 153)"), text  # package CSS
    deps = {u: r for u, r in responses.items() if "/static/prebundle/" in u}
    assert deps and all(r["status"] == 200 for r in deps.values())
    js = [r for u, r in deps.items() if u.split("?")[0].endswith(".js")]
    assert all(r["cache-control"] == "max-age=31536000,immutable" for r in js)
    assert any(r.get("content-encoding") == "br" for r in js)


def _start_daemon(root: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pidfile = root / "node_modules" / ".vite" / "daemon.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "prebundle daemon exited early"
        try:
            info = json.loads(pidfile.read_text())
            if info["pid"] == proc.pid and info["port"]:
                status = httpx.get(f"http://127.0.0.1:{info['port']}/@prebundle/status", timeout=2).json()
                if status["state"] == "ready":
                    return proc
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("prebundle daemon never got ready")


def test_development_with_the_daemon(browser, tmp_path, make_app_fn):
    root = make_app_fn(tmp_path / "dev", SOURCE, extra={"src/style.css": "#hello { font-weight: bold }\n"})
    proc = _start_daemon(root)
    try:
        port = json.loads((root / "node_modules" / ".vite" / "daemon.json").read_text())["port"]
        url, stop = serve_django(root)
        try:
            text, errors, responses = browser(url + "/")
        finally:
            stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert errors == []
    assert text.startswith("hello from React 19") and text.endswith("rgb(102, 51, 153)"), text  # package CSS
    daemon = f"http://127.0.0.1:{port}"
    assert f"{daemon}/@prebundle/client.js" in responses  # the reload client is on the page
    deps = [u for u in responses if u.startswith(f"{daemon}/node_modules/.vite/deps/")]
    assert any("react-dom_client" in u for u in deps)
    assert not [u for u in responses if "/static/prebundle/" in u]  # nothing from the app's copy
