"""Django at scale, through the example project examples/django_whitenoise run as a user runs it
(``manage.py`` in subprocesses): two frontends with their own deps and import maps on two pages,
and a reusable app's ES modules pinned into both, imported by bare name, in headless Chromium.
The same project in production with WhiteNoise is tests/integrations/test_whitenoise.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import free_port, listening_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_whitenoise"

SITE_SOURCE = """\
import React from 'react'
import { createRoot } from 'react-dom/client'
createRoot(document.getElementById('root')).render(
  React.createElement('p', { id: 'hello' }, 'site: React ' + React.version))
"""
DASHBOARD_SOURCE = """\
import dayjs from 'dayjs'
import relativeTime from 'dayjs/plugin/relativeTime'
dayjs.extend(relativeTime)
document.getElementById('root').innerHTML =
  '<p id="hello">dashboard: ' + dayjs().subtract(3, 'day').fromNow() + '</p>'
"""


@pytest.fixture(scope="package")
def shop_frontends(tmp_path_factory) -> dict[str, Path]:
    """The example's two frontends, pre-bundled for production: React on the site, dayjs on the dashboard."""
    from prebundle import load_config, optimize

    base = tmp_path_factory.mktemp("shop")
    frontends = {"site": make_app(base / "site", SITE_SOURCE, hand_packages=False),
                 "dashboard": make_app(base / "dashboard", DASHBOARD_SOURCE, hand_packages=False)}
    for root in frontends.values():
        optimize(load_config(root, overrides={"mode": "production", "log_level": "silent"}))
    return frontends


def shop_env(frontends: dict[str, Path], static_root: Path, *, debug: bool) -> dict[str, str]:
    return {**os.environ, "SHOP_SITE_FRONTEND": str(frontends["site"]),
            "SHOP_DASHBOARD_FRONTEND": str(frontends["dashboard"]), "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_DEBUG": "1" if debug else "0", "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "shop.settings"}  # not the settings of in-process tests


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``python manage.py <args>`` in the example, as a user runs it; fails the test with its output."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=EXAMPLE, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


@contextmanager
def runserver(env: dict[str, str]) -> Iterator[str]:
    """``manage.py runserver`` (Django's threaded server) on a free port; yields its URL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                              cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with listening_server(server, port, "runserver", lambda: server.stdout.read()) as url:
        yield url


def open_pages(urls: list[str]) -> dict[str, dict]:
    """Each URL in headless Chromium: the page's ``#hello`` and ``#badge`` text, its HTML as
    served, every error, and the response headers by URL."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")

    def run() -> dict[str, dict]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return {url: _visit(chromium, url) for url in urls}
            finally:
                chromium.close()

    with ThreadPoolExecutor(1) as pool:  # the sync API refuses a thread where an event loop runs
        return pool.submit(run).result(timeout=180)


def _visit(browser, url: str) -> dict:
    page = browser.new_context().new_page()
    errors: list[str] = []
    responses: dict[str, dict] = {}
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: responses.__setitem__(r.url, {"status": r.status, **r.headers}))
    response = page.goto(url)
    html = response.text() if response is not None else ""
    texts = {}
    for element in ("hello", "badge"):
        try:
            page.wait_for_function(f"() => document.getElementById('{element}')?.textContent", timeout=15_000)
            texts[element] = page.locator(f"#{element}").text_content()
        except Exception as error:  # noqa: BLE001 - reported with the page's errors
            texts[element] = f"never rendered: {type(error).__name__}"
    page.context.close()
    return {"html": html, "errors": errors, "responses": responses, **texts}


def importmap_in(html: str) -> dict:
    match = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    assert match, html
    return json.loads(match.group(1))


def test_two_frontends_and_a_pinned_app_in_development(shop_frontends, tmp_path):
    env = shop_env(shop_frontends, tmp_path / "unused", debug=True)
    with runserver(env) as url:
        pages = open_pages([url + "/", url + "/dashboard/"])
    site, dashboard = pages[url + "/"], pages[url + "/dashboard/"]
    assert site["errors"] == [] and dashboard["errors"] == []
    assert site["hello"].startswith("site: React 19"), site["hello"]
    assert dashboard["hello"] == "dashboard: 3 days ago"
    assert site["badge"] == "charts: pinned module on the site page"
    assert dashboard["badge"] == "charts: pinned module on the dashboard page"

    site_map, dashboard_map = importmap_in(site["html"]), importmap_in(dashboard["html"])
    assert "react" in site_map["imports"] and "dayjs" not in site_map["imports"]
    assert "dayjs" in dashboard_map["imports"] and "react" not in dashboard_map["imports"]
    assert all(u.startswith("/static/prebundle/site/") for k, u in site_map["imports"].items()
               if not k.startswith("charts/"))
    assert all(u.startswith("/static/prebundle/dashboard/") for k, u in dashboard_map["imports"].items()
               if not k.startswith("charts/"))
    for imports in (site_map["imports"], dashboard_map["imports"]):
        assert imports["charts/widgets/badge"] == "/static/charts/widgets/badge.js"
        assert imports["charts/widgets/label"] == "/static/charts/widgets/label.js"
    loaded = [u for u in site["responses"] if "/static/prebundle/" in u]
    assert loaded and all("/static/prebundle/site/" in u for u in loaded)
    assert any("/static/prebundle/dashboard/" in u for u in dashboard["responses"])
    assert url + "/static/charts/widgets/label.js" in site["responses"]  # imported by badge.js, by its name


def test_checks_name_the_frontend_that_is_not_built(shop_frontends, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = shop_env({**shop_frontends, "dashboard": empty}, tmp_path / "none", debug=True)
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=EXAMPLE, env=env, capture_output=True,
                          text=True, timeout=120)
    output = done.stdout + done.stderr
    assert "prebundle.W001" in output and "app 'dashboard'" in output, output
    assert "app 'site'" not in output
