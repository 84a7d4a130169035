"""examples/demo in Chromium as `make demo` serves it in development: `prebundle daemon` compiles the
TSX on request; the page is clicked through, and its screenshot is docs/demo.png
(PREBUNDLE_UPDATE_SCREENSHOT=1 takes it again). The daemon runs on a copy of the example."""

from __future__ import annotations

import os

from tests.integrations.conftest import copy_demo
from tests.support.apps import REPO
from tests.support.browser import PAGE_TIMEOUT_MS, close_page, open_page
from tests.support.daemon import Daemon

SCREENSHOT = REPO / "docs" / "demo.png"


def test_demo_page_works_and_screenshot(browser, tmp_path):
    daemon = Daemon(copy_demo(tmp_path / "demo"))
    try:
        daemon.wait_listening(timeout=60).wait_state("ready", timeout=60)
        visit = open_page(browser, f"{daemon.url}/", ready="#count")
        requested: list[str] = []
        try:
            page = visit.page
            page.on("request", lambda request: requested.append(request.url))
            assert page.inner_text("#count") == "clicked 0 times"
            assert "prebundle demo" in page.inner_text("h1")
            assert "sum of [[1,2,3],[4,5,6],[7]] is 28" in page.inner_text("main")
            page.wait_for_function("document.getElementById('logo').complete", timeout=PAGE_TIMEOUT_MS)
            assert page.evaluate("document.getElementById('logo').naturalWidth") > 0
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 251)"
            page.click("#count")
            page.click("#count")
            page.wait_for_function("document.querySelector('#count').textContent === 'clicked 2 times'",
                                   timeout=PAGE_TIMEOUT_MS)
            assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(107, 70, 193)"
            page.click("#details")
            page.wait_for_selector("#more", timeout=PAGE_TIMEOUT_MS)
            assert page.inner_text("#more").startswith("Loaded on demand")
            if not SCREENSHOT.exists() or os.environ.get("PREBUNDLE_UPDATE_SCREENSHOT") == "1":
                page.set_viewport_size({"width": 800, "height": 450})
                SCREENSHOT.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
        finally:
            close_page(visit)
    finally:
        daemon.stop(timeout=15)
    assert visit.errors == [], "\n".join(visit.errors)
    assert requested == [f"{daemon.url}/src/Details.tsx"]  # the click loaded the lazy module, from the daemon
    assert "/node_modules/.vite/deps/react-dom_client.js" in visit.deps_requests
