"""A package's ``new URL('./file', import.meta.url)`` in Chromium: the image loads and the module
worker runs (its relative and bare imports bundled in) and posts its message back, served by the
daemon, and served by a plain static server that has nothing but the deps folder (as a Python
backend serves it). The build side is ``tests/optimize/test_asset_urls.py``."""

from __future__ import annotations

import json
import shutil
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.optimizer import optimize
from prebundle.static import FolderFiles
from tests.support.apps import FIXTURES, make_app
from tests.support.browser import DEPS_PREFIX, close_page, open_page
from tests.support.daemon import Daemon

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>urls</title></head>
<body><div id="out">loading</div><script type="module" src="/src/main.js"></script></body></html>
"""
MAIN = """import { logoUrl, iconUrl, startWorker } from 'url-assets'

const image = (url) => new Promise((resolve, reject) => {
  const img = new Image()
  img.onload = () => resolve(`${img.naturalWidth}x${img.naturalHeight}`)
  img.onerror = () => reject(new Error('no image at ' + url))
  img.src = url
})
const fromWorker = () => new Promise((resolve, reject) => {
  const worker = startWorker()
  worker.onmessage = (event) => resolve(event.data)
  worker.onerror = () => reject(new Error('the worker failed'))
})
const out = document.querySelector('#out')
Promise.all([image(logoUrl), image(iconUrl), fromWorker()]).then(
  ([logo, icon, message]) => { out.textContent = JSON.stringify({ logo, icon, ...message }) },
  (error) => { out.textContent = 'error: ' + error.message },
).finally(() => { document.body.dataset.done = '1' })
"""
EXPECTED = {"logo": "3x2", "icon": "4x4", "doubled": 42, "year": 2024}
"""The images' sizes, and the worker's answer: its helper's and dayjs's work."""


def url_app(root: Path) -> Path:
    make_app(root, MAIN, html=PAGE, packages=("dayjs",), hand_packages=False)
    shutil.copytree(FIXTURES / "asset_urls" / "url-assets", root / "node_modules" / "url-assets")
    return root


def visit(browser, url: str) -> tuple[dict | str, list[str], list[str]]:
    """What the page showed, its errors, and the deps files it (and its worker) fetched."""
    seen = open_page(browser, url)
    try:
        text = seen.page.inner_text("#out")
    finally:
        close_page(seen)
    try:
        shown = json.loads(text)
    except ValueError:
        shown = text
    return shown, seen.errors, seen.deps_requests


def test_assets_and_a_worker_of_a_package_work_through_the_daemon(browser, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path / "machine"))
    daemon = Daemon(url_app(tmp_path / "app")).wait_listening()
    try:
        daemon.wait_state("ready")
        shown, errors, requested = visit(browser, daemon.url + "/")
    finally:
        daemon.stop()
    assert errors == [], "\n".join(errors)
    assert shown == EXPECTED
    assets = {Path(path).name.split("-")[0] for path in requested if path.startswith(DEPS_PREFIX + "assets/")}
    assert {"logo", "icon", "worker"} <= assets, requested


class _DepsOnly(BaseHTTPRequestHandler):
    """The page, its script and the deps folder (through ``prebundle.static``); nothing else of
    the project, ``node_modules`` included."""

    def __init__(self, *args, root: Path, files: FolderFiles, **kwargs) -> None:
        self.root = root
        self.files = files
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path.startswith(DEPS_PREFIX):
            answer = self.files.answer(path[len(DEPS_PREFIX):], query_string=query)
            self._send(answer.status, dict(answer.headers).get("content-type", "text/plain"), answer.read())
        elif path == "/":
            importmap = (self.files.directory / "importmap.json").read_text()
            html = PAGE.replace("<head>", f'<head><script type="importmap">{importmap}</script>')
            self._send(200, "text/html; charset=utf-8", html.encode())
        elif path == "/src/main.js":
            self._send(200, "text/javascript", (self.root / "src" / "main.js").read_bytes())
        else:
            self._send(404, "text/plain", b"not served\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def deps_only_server(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    root = url_app(tmp_path / "app")
    result = optimize(load_config(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_DepsOnly, root=root, files=FolderFiles(result.deps_dir)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="deps-only-http", daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_of_only_the_deps_folder_serves_them_too(browser, deps_only_server: str):
    shown, errors, _requested = visit(browser, deps_only_server + "/")
    assert errors == [], "\n".join(errors)
    assert shown == EXPECTED


FFMPEG_MAIN = """import { FFmpeg } from '@ffmpeg/ffmpeg'

const out = document.querySelector('#out')
// The worker loads the core from the URL it is given: one that does not exist makes it answer
// with an error, which proves the worker module itself was found and ran.
new FFmpeg().load({ coreURL: location.origin + '/no-core/ffmpeg-core.js' }).then(
  () => { out.textContent = 'loaded?' },
  (error) => { out.textContent = 'worker answered: ' + error },
).finally(() => { document.body.dataset.done = '1' })
"""


def test_a_real_package_worker_runs_ffmpeg(browser, tmp_path: Path, monkeypatch):
    """@ffmpeg/ffmpeg starts ``new Worker(new URL("./worker.js", import.meta.url), {type: "module"})``."""
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path / "machine"))
    root = make_app(tmp_path / "app", FFMPEG_MAIN, html=PAGE, packages=("@ffmpeg",), hand_packages=False)
    daemon = Daemon(root).wait_listening()
    try:
        daemon.wait_state("ready")
        shown, errors, requested = visit(browser, daemon.url + "/")
    finally:
        daemon.stop()
    unexpected = [error for error in errors if "/no-core/" not in error]
    assert unexpected == [], "\n".join(errors)
    assert isinstance(shown, str) and shown.startswith("worker answered:"), (shown, errors)
    assert "no-core" in shown or "import" in shown.lower(), shown
    workers = [path for path in requested if path.startswith(DEPS_PREFIX + "assets/worker-")]
    assert workers, requested
