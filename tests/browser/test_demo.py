"""examples/demo in Chromium: pre-bundled, served, clicked; its screenshot is docs/demo.png."""

from __future__ import annotations

import os

import pytest

from tests.support.apps import REPO
from tests.support.browser import close_page, open_page, serve

DEMO = REPO / "examples" / "demo"
SCREENSHOT = REPO / "docs" / "demo.png"


def test_demo_page_works_and_screenshot(browser):
    from prebundle import load_config
    from prebundle.optimizer import optimize

    if not (DEMO / "node_modules" / "react" / "package.json").is_file():
        pytest.fail("examples/demo is not installed: run `make npm` (or `make test`)")
    result = optimize(load_config(DEMO), force=True)  # force: built by this prebundle's code
    server = serve(DEMO, result.deps_dir)
    try:
        visit = open_page(browser, f"{server.url}/index.html", ready="#count")
        try:
            page = visit.page
            assert page.inner_text("#count") == "clicked 0 times"
            page.click("#count")
            page.click("#count")
            page.wait_for_function("document.querySelector('#count').textContent === 'clicked 2 times'")
            assert "prebundle demo" in page.inner_text("h1")
            assert "sum of [[1,2,3],[4,5,6],[7]] is 28" in page.inner_text("main")
            assert visit.errors == [], "\n".join(visit.errors)
            if not SCREENSHOT.exists() or os.environ.get("PREBUNDLE_UPDATE_SCREENSHOT") == "1":
                page.set_viewport_size({"width": 800, "height": 450})
                SCREENSHOT.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
        finally:
            close_page(visit)
    finally:
        server.close()
    assert visit.errors == [], "\n".join(visit.errors)
    assert all(path.startswith("/node_modules/.vite/deps/") for path in visit.deps_requests)
