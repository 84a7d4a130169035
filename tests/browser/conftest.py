"""Browser harness: Debian's Chromium driven by Playwright, a real HTTP server for an app root,
and the compatibility app (fixtures/compat) pre-bundled once per session.

Every page a test opens goes through :func:`open_page`: it collects page errors, console errors
and failed requests (any of them fails the test) and the requests made under the deps dir.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
COMPAT = REPO / "fixtures" / "compat"
DEPS_PREFIX = "/node_modules/.vite/deps/"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE_TIMEOUT_MS = 15_000

# -- HTTP -------------------------------------------------------------------------------------


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the app root; HTML gets the deps dir's import map inlined in its head, as
    a backend integration would render it."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json"}

    def __init__(self, *args, importmap: Path, **kwargs) -> None:
        self.importmap = importmap
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if self.path == "/favicon.ico" and not path.exists():
            self.send_response(204)  # browsers ask for it unprompted; not the app's failure
            self.end_headers()
            return
        if path.suffix == ".html" and path.is_file():
            html = path.read_text()
            imports = self.importmap.read_text() if self.importmap.is_file() else '{"imports": {}}'
            tag = f'<script type="importmap">{imports}</script>\n'
            html = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + "\n" + tag, html, count=1) \
                if "<head" in html else tag + html
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@dataclass
class Server:
    root: Path
    url: str
    httpd: ThreadingHTTPServer = field(repr=False)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(root: Path, deps_dir: Path) -> Server:
    """Serve ``root`` on 127.0.0.1, a free port, from a thread."""
    handler = partial(_Handler, directory=str(root), importmap=deps_dir / "importmap.json")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="browser-test-http", daemon=True).start()
    return Server(root, f"http://127.0.0.1:{httpd.server_address[1]}", httpd)


mimetypes.add_type("text/javascript", ".js")

# -- Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests; fails (not skips) when it is missing. Closed after
    them: sync Playwright keeps an event loop running in this thread, and later tests use
    ``asyncio.run``."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `make test`, which installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """What happened while a page was open."""

    page: object
    errors: list[str] = field(default_factory=list)
    deps_requests: list[str] = field(default_factory=list)
    """Paths (without query) requested under the deps dir, in order."""

    def deps_bytes(self, deps_dir: Path) -> int:
        return sum((deps_dir / path[len(DEPS_PREFIX):]).stat().st_size for path in self.deps_requests)


def open_page(browser, url: str, *, ready: str = "body[data-done]") -> Visit:
    """Open ``url`` in a fresh context (no shared cache) and wait for ``ready``. Errors are
    collected, not raised: the caller asserts ``visit.errors == []``."""
    context = browser.new_context()
    page = context.new_page()
    visit = Visit(page)
    page.on("pageerror", lambda error: visit.errors.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error"
            and visit.errors.append(f"console error: {message.text}"))
    page.on("requestfailed", lambda request: visit.errors.append(
        f"request failed: {request.url} ({request.failure})"))

    def on_response(response) -> None:
        path = unquote(urlsplit(response.url).path)
        if response.status >= 400:
            visit.errors.append(f"HTTP {response.status}: {response.url}")
        if path.startswith(DEPS_PREFIX):
            visit.deps_requests.append(path)

    page.on("response", on_response)
    page.goto(url)
    try:
        page.wait_for_selector(ready, state="attached", timeout=PAGE_TIMEOUT_MS)
    except Exception as error:  # noqa: BLE001 - reported with the page's own errors
        visit.errors.append(f"page never got ready ({ready}): {type(error).__name__}")
    return visit


def close(visit: Visit) -> None:
    visit.page.context.close()


# -- the compatibility app --------------------------------------------------------------------


@dataclass
class CompatApp:
    root: Path
    deps_dir: Path
    result: object
    server: Server
    cases: tuple[str, ...]
    node_exports: dict[str, dict]
    """Node's own ``Object.keys(await import(id))`` per optimized id (see node_exports.mjs)."""


def compat_cases() -> list[str]:
    return sorted(p.stem for p in (COMPAT / "src" / "cases").glob("*.js"))


def _page(script: str, css: list[str]) -> str:
    links = "".join(f'<link rel="stylesheet" href="{href}">\n' for href in css)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\n" + links + "</head>\n<body>\n"
            f'<ul id="results"></ul>\n<script type="module" src="{script}"></script>\n</body></html>\n')


def make_compat_root(root: Path) -> Path:
    """A copy of fixtures/compat's app files with its installed packages linked in, and one HTML
    page per case (``cases/<name>.html``) and per budget page (``budget/<name>.html``)."""
    modules = COMPAT / "node_modules"
    if not (modules / "react" / "package.json").is_file():
        pytest.fail("fixtures/compat is not installed: run `make test` (it runs `npm ci` there)")
    root.mkdir(parents=True, exist_ok=True)
    for name in ("src", "data.json", "sockjs", "package.json", "package-lock.json"):
        source = COMPAT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    (root / "node_modules").mkdir()
    for entry in modules.iterdir():
        if not entry.name.startswith("."):
            (root / "node_modules" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for folder in ("cases", "budget"):
        (root / folder).mkdir()
        for script in sorted((root / "src" / folder).glob("*.js")):
            css = re.findall(r"^// @css (\S+)$", script.read_text(), flags=re.M)
            (root / folder / f"{script.stem}.html").write_text(_page(f"/src/{folder}/{script.name}", css))
    return root


def node_exports(ids: list[str]) -> dict[str, dict]:
    done = subprocess.run(["node", "--no-warnings", str(COMPAT / "node_exports.mjs"), json.dumps(ids)],
                          cwd=COMPAT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="package")
def compat_app(tmp_path_factory):
    from prebundle import load_config
    from prebundle.optimizer import optimize

    root = make_compat_root(tmp_path_factory.mktemp("compat") / "app")
    # A fresh build every session: the machine-wide package cache is keyed by prebundle's
    # version, not its code, so reusing it would hide bundler changes from the suite.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path_factory.mktemp("compat-shared-cache")))
        result = optimize(load_config(root))
    server = serve(root, result.deps_dir)
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    try:
        yield CompatApp(root, result.deps_dir, result, server, tuple(compat_cases()),
                        node_exports(sorted(imports)))
    finally:
        server.close()


@pytest.fixture(scope="package")
def compat_report(request):
    """Rows of the compatibility table, written as JSON to $PREBUNDLE_COMPAT_JSON at the end of
    the browser tests (scripts/compat_report.py turns them into docs/compatibility.md)."""
    rows: dict[str, dict] = {}
    yield rows
    target = os.environ.get("PREBUNDLE_COMPAT_JSON")
    if target:
        Path(target).write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
