"""``Assets``: tags, closure, integrity, nonce, escaping, reload, daemon detection, polyfill,
Vite manifests and precompression, on a real production build."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time

import pytest

from prebundle.integrations import Assets, AssetsError, UnknownAsset
from prebundle.integrations.compress import precompress

from .conftest import HOSTILE, add_shims, check_page, expected_closure, importmap_of, sri, tag_attrs

BASE = "/node_modules/.vite/deps/"


def test_page_tags_from_a_root(built, deps):
    assets = Assets(built)
    names = ["react-dom/client", "dayjs/plugin/relativeTime", "with-css", "needs-react"]
    page = assets.importmap_tag(nonce="abc") + "\n" + assets.preload_tags(*names, nonce="abc")
    check_page(page, deps, BASE, names, nonce="abc")


def test_closure_follows_chunks_and_externals(built, deps):
    js, _ = expected_closure(deps, ["react-dom/client"])
    manifest = json.loads((deps / "manifest.json").read_text())
    assert manifest["react"]["file"] in js and manifest["scheduler"]["file"] in js  # externals, two levels
    js, _ = expected_closure(deps, ["dayjs/plugin/relativeTime"])
    assert any(f.startswith("chunk-") for f in js)
    files = [n.file for n in Assets(built).closure(["needs-react"])]
    assert manifest["react"]["file"] in files


def test_base_and_deps_dir(built, deps):
    assets = Assets(deps, base="/static/prebundle")
    names = ["react-dom/client"]
    check_page(assets.importmap_tag() + assets.preload_tags(*names), deps, "/static/prebundle/", names)
    assert assets.url("react").startswith("/static/prebundle/react-")


def test_link_header(built, deps):
    """Only stylesheets: a header's modulepreload races the page's import map, and a module
    fetched before the map fails on its bare imports for good (whatwg/html#9274)."""
    header = Assets(built).link_header("react-dom/client", "with-css")
    parts = [p.strip() for p in header.split(",")]
    _js, css = expected_closure(deps, ["react-dom/client", "with-css"])
    assert css and parts == [f"<{BASE}{c}>; rel=preload; as=style" for c in css]
    assert "modulepreload" not in header


def test_hostile_values_are_escaped(hostile_dir):
    assets = Assets(hostile_dir)
    out = assets.importmap_tag(nonce=HOSTILE) + assets.preload_tags(HOSTILE, nonce=HOSTILE)
    assert "<script>alert" not in out and '"><' not in out
    assert out.count("<script") == 1  # only the import map itself
    imap = importmap_of(out)
    assert HOSTILE in imap["imports"]
    url = imap["imports"][HOSTILE]
    assert "<" not in url and '"' not in url
    links = tag_attrs(out, "link", rel="modulepreload")
    assert html.unescape(links[0]["nonce"]) == HOSTILE
    assert links[0]["href"] == html.escape(url.split("?")[0] + "?v=1", quote=True) or links[0]["href"] == url
    with pytest.raises(UnknownAsset) as error:
        assets.preload_tags("nope")
    assert "nope" in str(error.value)


def test_unknown_name_says_what_to_do(built):
    with pytest.raises(UnknownAsset, match=r"'reactt' is not in manifest.json.*did you mean 'react'"):
        Assets(built).preload_tags("reactt")


def test_missing_build_is_a_clear_error(tmp_path):
    (tmp_path / "node_modules").mkdir()
    with pytest.raises(AssetsError, match="run `prebundle`"):
        Assets(tmp_path).importmap_tag()


def test_rereads_when_the_files_change(tmp_path, hostile_dir):
    assets = Assets(hostile_dir)
    assert HOSTILE in assets.importmap()["imports"]
    (hostile_dir / "x.js").write_text("export {}\n")
    (hostile_dir / "importmap.json").write_text(json.dumps({"imports": {"x": "/node_modules/.vite/deps/x.js?v=2"}}))
    (hostile_dir / "manifest.json").write_text(json.dumps({"x": {"file": "x.js", "imports": [], "css": []}}))
    now = time.time() + 5
    os.utime(hostile_dir / "importmap.json", (now, now))
    assert set(assets.importmap()["imports"]) == {"x"}
    assert assets.importmap()["integrity"] == {f"{BASE}x.js?v=2": sri(hostile_dir / "x.js")}


def _write_daemon(deps, pid, port=5999):
    (deps.parent / "daemon.json").write_text(json.dumps({  # as the daemon writes it
        "pid": pid, "host": "0.0.0.0", "port": port, "url": f"http://127.0.0.1:{port}",
        "root": str(deps.parent.parent.parent), "started": "now", "version": "0.1.0"}))


def test_daemon_urls_only_while_its_pid_lives(hostile_dir):
    _write_daemon(hostile_dir, os.getpid())
    try:
        assets = Assets(hostile_dir)
        assert assets.dev
        assert list(assets.importmap()["imports"].values())[0].startswith("http://127.0.0.1:5999/node_modules/.vite/deps/")
        assert assets.client_tag() == '<script type="module" src="http://127.0.0.1:5999/@prebundle/client.js"></script>'
        assert 'crossorigin="anonymous"' in assets.preload_tags(HOSTILE)
        assert Assets(hostile_dir, mode="production").client_tag() == ""  # production never asks
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()
        _write_daemon(hostile_dir, int(dead))
        stale = Assets(hostile_dir)
        assert not stale.dev and stale.client_tag() == ""
        assert list(stale.importmap()["imports"].values())[0].startswith(BASE)
    finally:
        (hostile_dir.parent / "daemon.json").unlink()


def test_polyfill(built, tmp_path, hostile_dir):
    assets = Assets(built)
    tag = assets.polyfill_tag(nonce="n")
    attrs = tag_attrs(tag, "script")[0]
    shim = built / "node_modules" / "es-module-shims" / "dist" / "es-module-shims.js"
    assert attrs["src"].startswith(BASE + "_polyfill/es-module-shims.js?v=")
    assert attrs["integrity"] == sri(shim) and attrs["nonce"] == "n" and "async" in attrs
    with pytest.raises(AssetsError, match="npm install es-module-shims"):
        Assets(hostile_dir).polyfill_tag()


def test_vite_manifest(tmp_path):
    out = tmp_path / "dist"
    (out / ".vite").mkdir(parents=True)
    (out / "assets").mkdir()
    files = {"assets/main-A1.js": "import './shared-B2.js'", "assets/shared-B2.js": "export {}",
             "assets/main-C3.css": "a{}", "assets/shared-D4.css": "b{}", "assets/lazy-E5.js": "export {}",
             "assets/style-F6.css": "c{}"}
    for name, text in files.items():
        (out / name).write_text(text)
    manifest = {
        "src/main.js": {"file": "assets/main-A1.js", "src": "src/main.js", "name": "main", "isEntry": True,
                        "imports": ["_shared-B2.js"], "dynamicImports": ["src/lazy.js"], "css": ["assets/main-C3.css"]},
        "_shared-B2.js": {"file": "assets/shared-B2.js", "name": "shared", "css": ["assets/shared-D4.css"],
                          "imports": ["src/main.js"]},  # a cycle back to the entry
        "src/lazy.js": {"file": "assets/lazy-E5.js", "src": "src/lazy.js", "isDynamicEntry": True},
        "src/style.css": {"file": "assets/style-F6.css", "src": "src/style.css", "isEntry": True},
    }
    (out / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    assets = Assets(vite_manifest=out / ".vite" / "manifest.json", base="/static/")
    assert assets.importmap_tag() == ""
    tags = assets.entry_tags("src/main.js", "src/style.css", nonce="n")
    assert [s["href"] for s in tag_attrs(tags, "link", rel="stylesheet")] == [
        "/static/assets/main-C3.css", "/static/assets/shared-D4.css", "/static/assets/style-F6.css"]
    assert [p["href"] for p in tag_attrs(tags, "link", rel="modulepreload")] == ["/static/assets/shared-B2.js"]
    scripts = tag_attrs(tags, "script", type="module")
    assert [s["src"] for s in scripts] == ["/static/assets/main-A1.js"]  # a CSS entry gets no script
    assert scripts[0]["integrity"] == sri(out / "assets/main-A1.js")
    assert "lazy" not in tags  # dynamic imports stay lazy
    assert assets.url("main") == "/static/assets/main-A1.js"  # entries by name too


def test_precompress_writes_and_reuses(built, deps, tmp_path):
    import brotli
    import gzip

    big = max(deps.glob("*.js"), key=lambda p: p.stat().st_size)
    assert gzip.decompress(big.with_name(big.name + ".gz").read_bytes()) == big.read_bytes()
    assert brotli.decompress(big.with_name(big.name + ".br").read_bytes()) == big.read_bytes()
    copy = tmp_path / "copy"
    copy.mkdir()
    os.link(big, copy / big.name)
    written = precompress(copy, reuse_from=deps)
    assert {p.name for p in written} == {big.name + ".gz", big.name + ".br"}
    assert os.path.samefile(copy / (big.name + ".br"), big.with_name(big.name + ".br"))
    small = tmp_path / "small"
    small.mkdir()
    (small / "tiny.js").write_text("export {}\n")
    assert precompress(small) == []
