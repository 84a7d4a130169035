"""The dashboard at ``/@prebundle/`` on a real daemon: what a person sees in Chromium (the
packages with their versions and sizes, both charts drawn, a package's importers on a click, a
new dependency and a failed run shown as they happen), and the route's guards (CSP, Host,
Origin) over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.apps import NPM_MODULES, make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, close_page, open_page
from tests.support.daemon import raw_get, run_in_thread

pytestmark = pytest.mark.slow

SOURCE = """import React from "react";
import { createRoot } from "react-dom/client";
document.body.dataset.step = "1";
"""
WITH_CLASSNAMES = SOURCE + 'import cx from "classnames";\n'
BROKEN = WITH_CLASSNAMES + 'import "not-installed-pkg";\n'
WAIT_MS = 30_000

DRAWN_PIXELS = """(selector) => {
  let count = 0;
  for (const canvas of document.querySelectorAll(`${selector} canvas`)) {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) count++;
    }
  }
  return count;
}"""
"""How many pixels of the canvases under a selector are painted in a colour (not blank, not white)."""

NODE_POINT = """(name) => {
  const chart = prebundleDashboard.charts.graph;
  const data = chart.getModel().getSeriesByIndex(0).getData();
  return chart.convertToPixel({ seriesIndex: 0 }, data.getItemLayout(data.indexOfName(name)));
}"""
"""Where the graph draws a package's node, in pixels of its canvas."""


def size_text(size: int) -> str:
    """A size as the page (and ``prebundle ls``) writes it."""
    return f"{size / 1024:,.2f} kB"


def installed_version(name: str) -> str:
    return json.loads((NPM_MODULES / name / "package.json").read_text())["version"]


def files_size(deps_dir: Path, package: dict) -> int:
    """The bytes on disk of the files of ``package`` pages load."""
    return sum((deps_dir / name).stat().st_size for name in package["files"])


def row_texts(page, name: str) -> list[str]:
    return [cell.strip() for cell in page.locator(f'#packages tbody tr[data-package="{name}"] td').all_inner_texts()]


def require_chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    return pytest.importorskip("playwright.sync_api")


def test_dashboard_shows_the_packages_and_follows_the_daemon(tmp_path: Path, start_daemon) -> None:
    sync_api = require_chromium()
    root = make_app(tmp_path / "app", SOURCE, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    problems = run_in_thread(_drive_dashboard, sync_api, daemon, root)
    assert problems == [], problems


def _drive_dashboard(sync_api, daemon, root: Path) -> list[str]:
    deps_dir = root / "node_modules" / ".vite" / "deps"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            visit = open_page(browser, daemon.url + "/@prebundle/", ready='#packages tr[data-package="react-dom"]')
            page = visit.page
            page.set_viewport_size({"width": 1280, "height": 1000})
            data = daemon.get("/@prebundle/dashboard.json").json()["inventory"]
            packages = {package["name"]: package for package in data["packages"]}
            assert set(packages) == {"react", "react-dom", "scheduler"}

            # every package with its version and its size on disk, raw and gzipped
            for name, package in packages.items():
                cells = row_texts(page, name)
                assert cells[0] == name and cells[1] == installed_version(name), cells
                assert cells[3] == size_text(files_size(deps_dir, package)), cells
                assert cells[4] == size_text(package["gzip"]) and package["gzip"] < package["size"], cells
            assert page.text_content("#daemon-state") == "ready"

            # both charts are drawn
            page.wait_for_function(f"({DRAWN_PIXELS})('#treemap') > 2000", timeout=WAIT_MS)
            page.wait_for_function(f"({DRAWN_PIXELS})('#graph') > 500", timeout=WAIT_MS)

            # a click on react's row shows who imports it: the app's file:line and react-dom
            page.click('#packages tr[data-package="react"]')
            importers = page.locator("#importers li").all_inner_texts()
            assert "src/main.js:1" in importers and "react-dom" in importers, importers

            # a click on react-dom's node in the graph selects it: its importer and its imports
            x, y = page.evaluate(NODE_POINT, "react-dom")
            box = page.locator("#graph").bounding_box()
            page.mouse.click(box["x"] + x, box["y"] + y)
            page.wait_for_function("document.querySelector('#details h2')?.textContent.startsWith('react-dom')")
            assert page.locator("#importers li").all_inner_texts() == ["src/main.js:2"]
            assert page.locator("#imports li").all_inner_texts() == ["react", "scheduler"]

            # the table filters (on names, ids and importers) and sorts
            page.fill("#filter", "react-dom/client")
            assert [row.get_attribute("data-package") for row in page.locator("#packages tbody tr").all()] == [
                "react-dom"]
            page.fill("#filter", "")
            page.click('#packages th[data-key="name"]')
            names = [row.get_attribute("data-package") for row in page.locator("#packages tbody tr").all()]
            assert names == sorted(names), names

            # a new dependency: the daemon optimizes it and the page shows it, without reloading
            page.evaluate("window.stillTheSamePage = true")
            (root / "src" / "main.js").write_text(WITH_CLASSNAMES)
            page.wait_for_selector('#packages tr[data-package="classnames"]', timeout=WAIT_MS)
            assert row_texts(page, "classnames")[1] == installed_version("classnames")
            assert page.evaluate("window.stillTheSamePage") is True

            # a failed run: the daemon's state and the error, in the page as they happen
            (root / "src" / "main.js").write_text(BROKEN)
            page.wait_for_selector("#daemon-state.error", timeout=WAIT_MS)
            assert "not-installed-pkg" in page.text_content("#daemon-error")
            failed = page.locator("#runs tr.run-error").first.inner_text()
            assert "not-installed-pkg" in failed, failed
            assert page.evaluate("window.stillTheSamePage") is True
            close_page(visit)
            return visit.errors
        finally:
            browser.close()


def test_dashboard_has_a_strict_csp_and_the_daemon_guard(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", SOURCE, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")

    answer = daemon.get("/@prebundle/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in answer.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe" not in answer.headers["content-security-policy"]
    html = answer.text
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""], "no inline script"
    assert "<style" not in html and " style=" not in html
    files = re.findall(r'(?:src|href)="(/@prebundle/dashboard/[^"]+)"', html)
    assert len(files) == 2
    for path in [*files, "/@prebundle/dashboard/echarts.min.js"]:
        served = daemon.get(path)
        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith(("text/javascript", "text/css")), path
    assert daemon.get("/@prebundle/dashboard/echarts.LICENSE.txt").status_code == 200
    for target in ("/@prebundle/dashboard/../page.py", "/@prebundle/dashboard/..%2fpage.html",
                   "/@prebundle/dashboard/%2e%2e/routes.py"):  # the package's other files stay unserved
        status, body = raw_get(daemon.url, target)
        assert status in (400, 404) and b"import" not in body and b"<!--head-->" not in body, (target, status)
    moved = daemon.get("/@prebundle")
    assert moved.status_code == 308 and moved.headers["location"] == "/@prebundle/"

    data = daemon.get("/@prebundle/dashboard.json").json()
    assert {package["name"] for package in data["inventory"]["packages"]} == {"react", "react-dom", "scheduler"}
    assert data["daemon"]["state"] == "ready" and data["daemon"]["error"] is None

    for path in ("/@prebundle/", "/@prebundle/dashboard.json", "/@prebundle/dashboard/dashboard.js"):
        status, body = raw_get(daemon.url, path, {"Host": "evil.example:5174"})
        assert status == 403 and b"evil.example" in body, (path, body)
        foreign = daemon.get(path, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers, path
        local = daemon.get(path, headers={"Origin": "http://localhost:8000"})
        assert local.status_code == 200 and local.headers["access-control-allow-origin"] == "http://localhost:8000"
