"""The built React app in headless Chromium, served by a plain static HTTP server under
``/static/`` (not where it was built): a page made from the manifest by the reader that follows
Vite's guide, with the import map of ``dist/deps/importmap.json`` rebased to ``/static/deps/``.
The component renders, its stylesheets apply, the dynamic imports load, both images load, and
the modulepreload polyfill fetches the page's ``modulepreload`` links when the browser lacks
support for them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS, serve

from .conftest import LAZY_COLOR, TITLE_COLOR, BuiltApp
from .vite_docs_reader import page_tags

STATIC = "/static/"
NO_MODULEPRELOAD = """<script>
const supports = DOMTokenList.prototype.supports;
DOMTokenList.prototype.supports = function (token) {
  return token === "modulepreload" ? false : supports.call(this, token);
};
</script>
"""
"""A browser without ``modulepreload``, as far as the polyfill can tell."""


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `make test`, which installs it)")
    from playwright.sync_api import sync_playwright  # the browser driver loads for these tests only

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def site_for(app: BuiltApp, folder: Path) -> str:
    """``folder`` serves ``dist`` as ``/static/`` and a page built from the manifest; returns
    the URL of the chunk the page names in a ``modulepreload`` link."""
    (folder / "static").symlink_to(app.dist, target_is_directory=True)
    manifest = json.loads((app.dist / ".prebundle" / "manifest.json").read_text())
    tags = page_tags(manifest, "src/main.tsx")
    [shared] = manifest["src/Lazy.tsx"]["imports"]
    preloaded = STATIC + manifest[shared]["file"]
    imports = json.loads((app.dist / "deps" / "importmap.json").read_text())["imports"]
    rebased = {spec: STATIC + "deps/" + url.rsplit("/", 1)[1] for spec, url in imports.items()}
    (folder / "importmap.json").write_text(json.dumps({"imports": rebased}))  # inlined by the server
    links = "".join(f'<link rel="stylesheet" href="{STATIC}{css}">\n' for css in tags.stylesheets)
    (folder / "index.html").write_text(
        f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\n{links}"
        f'{NO_MODULEPRELOAD}<link rel="modulepreload" href="{preloaded}">\n</head><body>\n<div id="root"></div>\n'
        f'<script type="module" src="{STATIC}{tags.script}"></script>\n</body></html>\n')
    return preloaded


def test_built_app_runs_in_chromium(built_react_app: BuiltApp, chromium, tmp_path: Path) -> None:
    preloaded = site_for(built_react_app, tmp_path)
    server = serve(tmp_path, tmp_path)
    context = chromium.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        fetched: list[str] = []
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
        page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status}: "
                                                                                     f"{response.url}"))
        page.on("request", lambda request: request.resource_type == "fetch" and fetched.append(request.url))
        page.goto(server.url + "/index.html")
        page.wait_for_selector("#other", timeout=PAGE_TIMEOUT_MS)
        page.wait_for_function("[...document.images].every(img => img.complete)", timeout=PAGE_TIMEOUT_MS)

        assert page.text_content("#title") == "Hello from TSX (production)"
        assert page.eval_on_selector("#title", "el => getComputedStyle(el).color") == TITLE_COLOR
        assert page.text_content("#lazy") == "lazy loaded"  # dynamic import, with its shared chunk
        assert page.eval_on_selector("#lazy", "el => getComputedStyle(el).color") == LAZY_COLOR
        assert page.text_content("#other") == "other loaded"
        assert page.eval_on_selector("#logo", "img => img.naturalWidth") == 3  # imported image
        assert page.eval_on_selector("#backdrop", "img => img.naturalWidth") == 2  # new URL(...) image
        assert page.eval_on_selector("#logo", "img => img.src").startswith(server.url + STATIC + "assets/logo-")

        assert server.url + preloaded in fetched  # the polyfill fetched the page's modulepreload link
        late = STATIC + json.loads((built_react_app.dist / ".prebundle" / "manifest.json").read_text()
                                   )["src/Other.tsx"]["file"]
        with page.expect_request(lambda request: request.url == server.url + late
                                 and request.resource_type == "fetch", timeout=PAGE_TIMEOUT_MS):
            page.evaluate("href => document.head.append(Object.assign(document.createElement('link'), "
                          "{rel: 'modulepreload', href}))", late)
        assert errors == []
    finally:
        context.close()
        server.close()
