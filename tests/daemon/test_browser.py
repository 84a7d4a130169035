"""A real browser on a page served by the daemon: it reloads by itself when a dependency is added,
and the new dependency works (no page or console errors)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.daemon import run_in_thread

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

BEFORE = """import React from "react";
document.body.dataset.step = "1";
document.querySelector("#out").textContent = "react " + React.version;
"""
AFTER = """import React from "react";
import cx from "classnames";
import { tiny } from "tiny-dep";
document.body.dataset.step = "2";
document.querySelector("#out").textContent = cx("react", { [React.version]: true }, tiny);
"""
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>daemon</title></head>
<body><div id="out">loading</div><script type="module" src="/src/main.js"></script></body></html>
"""


def test_page_reloads_itself_with_the_new_dependency(tmp_path: Path, start_daemon) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    root = make_app(tmp_path / "app", BEFORE, html=PAGE, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    problems = run_in_thread(_drive_browser, sync_api, daemon, root)
    assert problems == [], problems


def _drive_browser(sync_api, daemon, root: Path) -> list[str]:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
            loads: list[float] = []
            page.on("load", lambda: loads.append(time.monotonic()))
            page.goto(daemon.url + "/")
            page.wait_for_function("document.body.dataset.step === '1'", timeout=10_000)
            assert page.text_content("#out").startswith("react 19")
            # the client is connected before the source changes
            page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
            (root / "src" / "main.js").write_text(AFTER)
            page.wait_for_function("document.body.dataset.step === '2'", timeout=10_000)
            text = page.text_content("#out")
            assert text.startswith("react 19") and text.endswith("tiny ok"), text
            assert len(loads) >= 2
            assert page.query_selector("#prebundle-error-overlay") is None
        finally:
            browser.close()
    return problems
