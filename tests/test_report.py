"""``prebundle report``: the dashboard as one HTML file. Opened from ``file://`` in Chromium it
shows the packages of the deps dir and the runs, with both charts drawn and nothing fetched;
an error text in it stays text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.daemon import run_in_thread

pytestmark = pytest.mark.slow

SOURCE = """import React from "react";
import { createRoot } from "react-dom/client";
import cx from "classnames";
"""
HOSTILE = SOURCE + 'import "</script><b>bold</b>";\n'
"""A failed run whose error names an import that looks like markup."""

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


def prebundle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prebundle", *args], capture_output=True, text=True, timeout=180)


def recorded_packages(deps_dir: Path) -> dict[str, str]:
    """Each package of the deps dir and its version, as ``_metadata.json`` records them."""
    metadata = json.loads((deps_dir / "_metadata.json").read_text())
    return {record["name"]: record["version"] for record in metadata["prebundle"]["packages"].values()}


def test_report_opens_from_disk_with_the_packages_and_runs(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    root = make_app(tmp_path / "app", SOURCE, hand_packages=False)
    assert prebundle(str(root)).returncode == 0
    (root / "src" / "main.js").write_text(HOSTILE)
    failed = prebundle(str(root))
    assert failed.returncode == 1 and "</script><b>bold</b>" in failed.stderr
    report = tmp_path / "out" / "deps.html"
    done = prebundle("report", str(root), "-o", str(report))
    assert done.returncode == 0, done.stderr
    assert str(report) in done.stdout
    expected = recorded_packages(root / "node_modules" / ".vite" / "deps")
    assert set(expected) == {"react", "react-dom", "scheduler", "classnames"}
    seen = run_in_thread(_read_report, sync_api, report)
    assert seen["problems"] == [], seen["problems"]
    assert seen["packages"] == expected
    assert seen["requests"] == [report.as_uri()]  # the library and the data are inside the file
    assert seen["treemap"] > 2000 and seen["graph"] > 500, seen
    assert seen["runs"] == ["failed", "ok"]
    assert "cannot resolve '</script><b>bold</b>'" in seen["error"] and seen["bold"] == 0, seen
    assert "out of date" in seen["stale"]


def _read_report(sync_api, report: Path) -> dict:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            problems: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda message: message.type == "error"
                    and problems.append(f"console error: {message.text}"))  # CSP refusals among them
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            page.wait_for_selector('#packages tr[data-package="react-dom"]', timeout=15_000)
            page.wait_for_function(f"({DRAWN_PIXELS})('#graph') > 500", timeout=15_000)
            rows = page.locator("#packages tbody tr").all()
            return {
                "problems": problems,
                "requests": requests,
                "packages": {row.get_attribute("data-package"): row.locator("td").nth(1).inner_text() for row in rows},
                "treemap": page.evaluate(DRAWN_PIXELS, "#treemap"),
                "graph": page.evaluate(DRAWN_PIXELS, "#graph"),
                "runs": page.locator("#runs tr.run .badge").all_inner_texts(),
                "error": page.locator("#runs tr.run-error").inner_text(),
                "bold": page.locator("#runs b").count(),
                "stale": page.text_content("#stale"),
            }
        finally:
            browser.close()


def test_report_goes_to_the_cache_dir_and_needs_an_optimized_project(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", SOURCE, hand_packages=False)
    before = prebundle("report", str(root))
    assert before.returncode == 1
    assert before.stderr.strip().splitlines() == [
        "error: no optimized dependencies in node_modules/.vite/deps: run `prebundle` first"]
    assert prebundle(str(root)).returncode == 0
    done = prebundle("report", str(root))
    assert done.returncode == 0, done.stderr
    written = root / "node_modules" / ".vite" / "prebundle-report.html"
    assert done.stdout.startswith(f"wrote {written} ")
    html = written.read_text()
    assert html.startswith("<!doctype html>") and '<script type="application/json" id="prebundle-data">' in html
