"""Messages between a plugin and a page in real Chromium: the page imports ``on`` and ``send``
from ``/@prebundle/client.js``, its message reaches the plugin's ``server.ws.on`` handler, whose
answer reaches that page; ``server.ws.send`` reaches it too; a page of another site cannot send."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.daemon import run_in_thread

pytestmark = pytest.mark.slow

MAIN = """import { on, send } from "/@prebundle/client.js";
import cx from "classnames";

on("demo:pong", (data) => { document.body.dataset.pong = String(data.n); });
on("demo:shout", (data) => { document.body.dataset.shout = data.text; });
const answer = await send("demo:ping", { n: 41 });
document.body.dataset.handled = cx("handled", String(answer.handled));
"""
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>messages</title></head>
<body><script type="module" src="/src/main.js"></script></body></html>
"""
CONFIG = """
from starlette.responses import JSONResponse
from starlette.routing import Route

from prebundle import Plugin, define_config

received = []


def configure_server(server):
    def ping(data, client):
        received.append(data)
        client.send("demo:pong", {"n": data["n"] + 1})

    async def shout(request):
        server.ws.send("demo:shout", {"text": request.query_params["text"]})
        return JSONResponse({"ok": True})

    async def listing(request):
        return JSONResponse(received)

    server.ws.on("demo:ping", ping)
    server.app.router.routes[:0] = [Route("/__shout", shout), Route("/__received", listing)]


config = define_config(plugins=[Plugin("demo", configure_server=configure_server)])
"""
FOREIGN_PAGE = "<!doctype html><title>another site</title><p>hello</p>"
FOREIGN_SEND = """async (daemon) => {
  const body = JSON.stringify({ event: "demo:ping", data: { n: 1000 } });
  const outcomes = [];
  for (const init of [
    { method: "POST", headers: { "content-type": "application/json" }, body },
    { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body },
  ]) {
    try {
      const response = await fetch(daemon + "/@prebundle/messages", init);
      outcomes.push(response.type === "opaque" ? "opaque" : String(response.status));
    } catch (error) {
      outcomes.push("refused");
    }
  }
  return outcomes;
}"""


def test_a_page_and_a_plugin_exchange_messages(tmp_path: Path, start_daemon) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")
    sync_api = pytest.importorskip("playwright.sync_api")
    root = make_app(tmp_path / "app", MAIN, html=PAGE, hand_packages=False)
    (root / "prebundle.config.py").write_text(CONFIG)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    problems, foreign = run_in_thread(_drive_browser, sync_api, daemon.url)
    assert problems == []
    # The JSON message fails in the other site's page (its preflight is refused); the simple
    # no-cors one tells that page nothing (refused by the browser, or an opaque answer) ...
    assert foreign[0] == "refused" and foreign[1] in ("refused", "opaque")
    # ... and neither reached the plugin: only the daemon's own page got through.
    assert daemon.get("/__received").json() == [{"n": 41}]


def _drive_browser(sync_api, url: str) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
            page.goto(url + "/")
            page.wait_for_function("document.body.dataset.pong === '42'", timeout=15_000)
            assert page.evaluate("document.body.dataset.handled") == "handled 1"
            assert page.evaluate("fetch('/__shout?text=hi').then((r) => r.json())") == {"ok": True}
            page.wait_for_function("document.body.dataset.shout === 'hi'", timeout=15_000)

            other = browser.new_page()
            other.route("http://evil.test/**", lambda route: route.fulfill(
                status=200, content_type="text/html", body=FOREIGN_PAGE))
            other.goto("http://evil.test/")
            foreign = other.evaluate(FOREIGN_SEND, url)
        finally:
            browser.close()
    return problems, foreign
