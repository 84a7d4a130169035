"""Integrity for the modules a page loads later: the import map's ``integrity`` covers the chunks a
package ``import()``s and the app build's lazily imported modules, ``preload="dynamic"`` preloads
them, and Chromium refuses a lazily imported module whose bytes changed after the page was
rendered while loading the unchanged one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from prebundle.integrations import Assets

from .conftest import importmap_of, sri, tag_attrs
from .test_app_entries import build_dist, click_and_read, flask_app, in_chromium, make_frontend, serve_wsgi


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = make_frontend(tmp_path_factory.mktemp("integrity-lazy") / "frontend")
    build_dist(root)
    return root


@pytest.fixture
def dist(project, tmp_path) -> Path:
    """A copy of the build that a test may damage."""
    return Path(shutil.copytree(project / "dist", tmp_path / "dist"))


def lazy_files(dist: Path) -> dict[str, str]:
    """The lazily loaded module of the app (``src/lazy.tsx``) and of ``lazy-pkg`` (its dynamic
    chunk), relative to ``dist``, read from the manifests."""
    app = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    deps = json.loads((dist / "deps" / "manifest.json").read_text())
    (chunk,) = deps["lazy-pkg"]["dynamicImports"]
    return {"app": app["src/lazy.tsx"]["file"], "package": "deps/" + deps[chunk]["file"]}


def test_import_map_covers_lazy_modules_and_preload_dynamic_adds_them(dist):
    assets = Assets.for_build(dist, base="/app/")
    lazy = lazy_files(dist)
    integrity = importmap_of(assets.importmap_tag())["integrity"]
    for file in lazy.values():
        assert integrity["/app/" + file] == sri(dist / file)
    static = [p["href"] for p in tag_attrs(assets.preload_tags("lazy-pkg"), "link", rel="modulepreload")]
    dynamic = tag_attrs(assets.preload_tags("lazy-pkg", preload="dynamic"), "link", rel="modulepreload")
    assert "/app/" + lazy["package"] not in static
    assert [p["href"] for p in dynamic][:len(static)] == static
    assert {p["href"]: p["integrity"] for p in dynamic}["/app/" + lazy["package"]] == sri(dist / lazy["package"])
    entry = assets.entry_tags("src/main.tsx", preload="dynamic")
    preloads = {p["href"]: p["integrity"] for p in tag_attrs(entry, "link", rel="modulepreload")}
    for file in lazy.values():  # the app's lazy module, and through its externals the package's
        assert preloads["/app/" + file] == sri(dist / file)
    static_entry = [p["href"] for p in tag_attrs(assets.entry_tags("src/main.tsx"), "link", rel="modulepreload")]
    assert assets.url("lazy-pkg") in static_entry and assets.url("react-dom/client") in static_entry
    assert not {"/app/" + file for file in lazy.values()} & set(static_entry)


def test_chromium_loads_intact_lazy_modules(dist):
    url, stop = serve_wsgi(flask_app(Assets.for_build(dist, base="/app/"), preload="dynamic"))
    lazy = lazy_files(dist)

    def steps(page) -> dict:
        for file in lazy.values():  # fetched before any import() asks, by their modulepreload links
            page.wait_for_function("path => performance.getEntriesByType('resource')"
                                   ".some(e => new URL(e.name).pathname === path)", arg="/app/" + file,
                                   timeout=15_000)
        return {"lazy": click_and_read(page, "lazy"), "heavy": click_and_read(page, "heavy")}

    try:
        seen = in_chromium(url + "/", steps)
    finally:
        stop()
    assert seen["errors"] == [] and seen["hello"] == "hello from TSX"
    assert seen["lazy"] == "lazy loaded function" and seen["heavy"] == "heavy loaded"
    for file in lazy.values():  # once: the import() used the preloaded module, whose integrity passed
        assert seen["requested"].count(url + "/app/" + file) == 1


def test_chromium_refuses_lazy_modules_changed_after_the_page_rendered(dist):
    url, stop = serve_wsgi(flask_app(Assets.for_build(dist, base="/app/")))
    lazy = lazy_files(dist)

    def steps(page) -> dict:
        for file in lazy.values():  # the page's import map holds the hashes of the files as they were
            with open(dist / file, "a", encoding="utf-8") as handle:
                handle.write("\n;globalThis.tampered = true\n")
        return {"lazy": click_and_read(page, "lazy"), "heavy": click_and_read(page, "heavy"),
                "tampered": page.evaluate("() => globalThis.tampered === true")}

    try:
        seen = in_chromium(url + "/", steps)
    finally:
        stop()
    assert seen["hello"] == "hello from TSX"
    assert seen["lazy"].startswith("refused: ") and seen["heavy"].startswith("refused: ")
    assert seen["tampered"] is False
    blocked = [e for e in seen["errors"] if "integrity" in e]
    for file in lazy.values():
        assert any(file in e for e in blocked), seen["errors"]
