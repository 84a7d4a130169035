"""Pages in a browser: Debian's Chromium (driven by Playwright), a real HTTP server for an app
root that inlines the deps dir's import map as a backend integration would, and the compat app's
cases.

Every page a test opens goes through :func:`open_page`: it collects page errors, console errors
and failed requests (the caller asserts there are none) and the requests made under the deps dir.
"""

from __future__ import annotations

import json
import mimetypes
import re
import subprocess
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .apps import COMPAT
from .wait import wait_until

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DEPS_PREFIX", "PAGE_TIMEOUT_MS", "Server", "Visit", "close_page",
           "compat_cases", "node_exports", "open_page", "serve", "wait_for_true"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEPS_PREFIX = "/node_modules/.vite/deps/"
PAGE_TIMEOUT_MS = 15_000

mimetypes.add_type("text/javascript", ".js")

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
    """Serve ``root`` on 127.0.0.1, a free port, from a thread; ``close()`` it when done."""
    handler = partial(_Handler, directory=str(root), importmap=deps_dir / "importmap.json")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="browser-test-http", daemon=True).start()
    return Server(root, f"http://127.0.0.1:{httpd.server_address[1]}", httpd)


# -- pages ------------------------------------------------------------------------------------


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


def wait_for_true(page, expression: str, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until ``expression`` is truthy in ``page``, asking from here every 25 ms.

    ``page.wait_for_function`` polls by evaluating the string inside the page, which a
    Content-Security-Policy without ``'unsafe-eval'`` refuses (the example apps send such a
    policy): the wait then fails at once, or not, depending on whether the first check passed.
    ``page.evaluate`` goes through the DevTools protocol, which the policy does not govern."""
    wait_until(lambda: page.evaluate(expression), timeout_ms / 1000, interval=0.025, message=expression)


def close_page(visit: Visit) -> None:
    visit.page.context.close()


# -- the compat app's cases ---------------------------------------------------------------------


def compat_cases() -> list[str]:
    """The names of the compat app's cases (``src/cases/<name>.js``)."""
    return sorted(p.stem for p in (COMPAT / "src" / "cases").glob("*.js"))


def node_exports(ids: list[str]) -> dict[str, dict]:
    """Node's own ``Object.keys(await import(id))`` per id of the compat app (node_exports.mjs)."""
    done = subprocess.run(["node", "--no-warnings", str(COMPAT / "node_exports.mjs"), json.dumps(ids)],
                          cwd=COMPAT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
