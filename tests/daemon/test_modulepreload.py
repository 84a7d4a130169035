"""The daemon's optional ``modulepreload`` links (``PREBUNDLE_MODULEPRELOAD=1``): one per JS file of
the import map's static closure, at the URLs the page imports them by; none by default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prebundle.daemon.app import MODULEPRELOAD_ENV, inject_html, preload_links

from tests.support.apps import DOCUMENT, make_app

BASE = "/node_modules/.vite/deps/"
IMPORTMAP = {"imports": {
    "a": BASE + "a.js?v=11111111",
    "b": BASE + "b.js?v=22222222",
    "styles": BASE + "styles.css?v=33333333",
    "ext": "/node_modules/ext/index.js",
}}
MANIFEST = {
    "a": {"file": "a.js", "src": "a", "isEntry": True, "imports": ["_chunk-X1.js"], "css": [], "externals": ["b"]},
    "b": {"file": "b.js", "src": "b", "isEntry": True, "imports": ["_chunk-X1.js", "_chunk-Y2.js"], "css": []},
    "styles": {"file": "styles.css", "src": "styles", "isEntry": True, "imports": [], "css": []},
    "_chunk-X1.js": {"file": "chunk-X1.js", "imports": ["_chunk-Y2.js"]},
    "_chunk-Y2.js": {"file": "chunk-Y2.js", "imports": ["_chunk-X1.js"]},  # a cycle
}


def _hrefs(html: bytes) -> list[str]:
    return re.findall(r'<link rel="modulepreload" href="([^"]+)">', html.decode())


@pytest.fixture
def deps_dir(tmp_path: Path) -> Path:
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "importmap.json").write_text(json.dumps(IMPORTMAP))
    (deps / "manifest.json").write_text(json.dumps(MANIFEST))
    return deps


def test_links_cover_the_closure_once_each_at_import_map_urls(deps_dir: Path) -> None:
    links = preload_links(deps_dir, BASE, (deps_dir / "importmap.json").read_bytes())
    assert _hrefs(links) == [
        BASE + "a.js?v=11111111", BASE + "chunk-X1.js", BASE + "chunk-Y2.js", BASE + "b.js?v=22222222",
        "/node_modules/ext/index.js",
    ]


def test_no_links_when_the_deps_dir_is_not_the_served_one(deps_dir: Path) -> None:
    served = (deps_dir / "importmap.json").read_bytes()
    (deps_dir / "importmap.json").write_text(json.dumps({"imports": {"a": BASE + "a.js?v=99999999"}}))
    assert preload_links(deps_dir, BASE, served) is None
    assert preload_links(deps_dir / "missing", BASE, served) is None


def test_links_follow_the_import_map_and_only_with_it() -> None:
    importmap = json.dumps(IMPORTMAP).encode()
    links = b'\n<link rel="modulepreload" href="/x.js">'
    out = inject_html(b"<html><head><title>t</title></head><body></body></html>", importmap, preloads=links)
    assert out.index(b'type="importmap"') < out.index(b"modulepreload") < out.index(b"<title>")
    own = b'<head><script type="importmap">{"imports": {}}</script></head>'
    assert b"modulepreload" not in inject_html(own, importmap, preloads=links)


@pytest.mark.parametrize("setting", ["1", None])
def test_daemon_pages(tmp_path: Path, start_daemon, monkeypatch, setting: str | None) -> None:
    if setting is None:
        monkeypatch.delenv(MODULEPRELOAD_ENV, raising=False)
    else:
        monkeypatch.setenv(MODULEPRELOAD_ENV, setting)
    root = make_app(tmp_path / "app", 'import React from "react";\nimport { createRoot } from "react-dom/client";\n'
                    "console.log(React, createRoot);\n", html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    hrefs = _hrefs(daemon.get("/").content)
    if setting is None:
        assert hrefs == []
        return
    deps = root / "node_modules" / ".vite" / "deps"
    imports = json.loads((deps / "importmap.json").read_text())["imports"]
    files = {href.split("?")[0].removeprefix(BASE) for href in hrefs}
    assert len(hrefs) == len(set(hrefs))
    assert set(imports.values()) <= set(hrefs)  # every id at its import-map URL (with ?v=)
    assert files == {p.name for p in deps.glob("*.js")}  # every module file of the deps, nothing else
    for href in hrefs:
        assert daemon.get(href).status_code == 200
