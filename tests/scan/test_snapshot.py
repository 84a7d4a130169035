"""The scan snapshot: a warm scan reuses the last result only while it is what a scan from
scratch would find, and a content-only change re-extracts just the changed files.

Every test compares with ``scan(..., use_cache=False)``, a scan that reads no cache at all.
Stamps within ``RACY_NS`` of a crawl are not trusted by the next scan; tests set it to 0 (and
wait a tick of the file system's clock between changes) except the test of that rule itself.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from prebundle import load_config, scan
from prebundle.scanner import crawl, scan_cache_for, snapshot
from tests.support.apps import write_tree

REPO = Path(__file__).resolve().parents[2]
PKG = '{{"name": "{name}", "version": "{version}", "main": "index.js"}}'


def package(name: str, version: str = "1.0.0", source: str = "export default 1;") -> dict[str, str]:
    return {
        f"node_modules/{name}/package.json": PKG.format(name=name, version=version),
        f"node_modules/{name}/index.js": source,
    }


def as_json(result) -> str:
    return json.dumps(result.to_json(), indent=2)


def fresh(root: Path) -> str:
    """The report of a scan that reads and writes no cache."""
    return as_json(scan(load_config(root), use_cache=False))


def tick() -> None:
    """Past one tick of the file system's coarse clock, so a change shows in a stamp."""
    time.sleep(0.02)


@pytest.fixture
def trusting(monkeypatch):
    """Stamps are trusted as soon as they are taken (tests change files right after a scan)."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


@pytest.fixture
def no_crawl(monkeypatch):
    """Make any crawl with the cache fail (a scan from scratch still runs): what a cached scan
    returns then came from the snapshot."""
    run = crawl.Crawler.run

    def fail(self, *args, **kwargs):
        if self.cache is not None:
            raise AssertionError("a crawl ran")
        return run(self, *args, **kwargs)

    def install():
        monkeypatch.setattr(crawl.Crawler, "run", fail)

    return install


def warm(root: Path, *, times: int = 2):
    """Scan until a snapshot is in place (the first scan creates the cache folder inside
    node_modules, which changes a stamp the snapshot records), then once more."""
    for _ in range(times):
        scan(load_config(root))
        tick()
    return scan(load_config(root))


RICH = {
    "index.html": (
        '<script type="module" src="/src/main.ts"></script>\n'
        "<script type=\"module\">import 'inline-dep'\nimport './src/page.js'</script>\n"
    ),
    "src/main.ts": (
        "import type { T } from 'types-only'\n"
        "import a from './a'\nimport { b } from './lib'\nimport 'dep-one/sub'\n"
        "// import 'in-comment'\nconst s = \"import x from 'in-string'\"\n"
        "const lazy = () => import('./lazy.js')\n"
        "const pages = import.meta.glob('./pages/*.js')\n"
        "import fs from 'fs'\nimport gone from 'not-installed'\n"
    ),
    "src/a.ts": "import '@scope/pkg'\nexport default 1\n",
    "src/lib/index.js": "export { x } from './x.mjs'\nimport 'dep-two'\nexport const b = 2\n",
    "src/lib/x.mjs": "export const x = require('cjs-dep')\n",
    "src/lazy.js": "import 'dep-lazy'\n",
    "src/page.js": "import { h } from 'dep-one'\n",
    "src/pages/one.js": "import 'dep-page'\n",
    "src/pages/two.js": "export default 2\n",
    "src/App.vue": "<script setup>import 'vue-dep'</script>",
    "src/broken.js": "import { from 'x\n",
    **package("inline-dep"), **package("dep-one"), **package("dep-two"), **package("dep-lazy"),
    **package("dep-page"), **package("@scope/pkg"), **package("cjs-dep"),
    "node_modules/dep-one/sub.js": "export {}",
}


def test_cold_warm_and_changed_scans_match_a_scan_from_scratch(tmp_path, trusting, no_crawl):
    root = write_tree(tmp_path / "app", RICH)
    cold = scan(load_config(root))
    assert as_json(cold) == fresh(root)
    assert as_json(warm(root)) == fresh(root)

    no_crawl()
    again = scan(load_config(root))
    assert as_json(again) == fresh(root)
    assert (again.stats.parsed, again.stats.cached) == (0, cold.stats.files)
    assert again.warnings == cold.warnings and [str(p) for p in again.files] == [str(p) for p in cold.files]

    (root / "src/a.ts").write_text("import '@scope/pkg'\nexport default 1 + 1\n// more\n")
    changed = scan(load_config(root))
    assert changed.stats.parsed == 1  # re-extracted, not crawled
    assert as_json(changed) == fresh(root)


def test_a_changed_import_list_crawls_and_finds_the_new_import(tmp_path, trusting, no_crawl):
    root = write_tree(tmp_path / "app", RICH)
    warm(root)
    (root / "src/a.ts").write_text("import '@scope/pkg'\nimport 'dep-lazy'\nexport default 1\n")
    changed = scan(load_config(root))
    assert sorted(changed.deps["dep-lazy"].importers) == ["src/a.ts", "src/lazy.js"]
    assert changed.stats.parsed == 1
    assert as_json(changed) == fresh(root)
    tick()
    no_crawl()
    assert as_json(scan(load_config(root))) == fresh(root)  # and the new snapshot stands


def test_a_moved_import_line_is_a_change(tmp_path, trusting):
    """Lines are part of the records: a missing import's report names them."""
    root = write_tree(tmp_path / "app", {"index.html": '<script type="module" src="/m.js"></script>', "m.js": "import 'nope'\n"})
    warm(root)
    (root / "m.js").write_text("\n\nimport 'nope'\n")
    assert scan(load_config(root)).missing["nope"].importers == ("m.js:3",)


STRUCTURE_CHANGES = {
    "a new file that extension probing prefers": lambda root: (root / "src/a.mjs").write_text("import 'dep-two'"),
    "a file that an import resolved to removed": lambda root: (root / "src/lazy.js").unlink(),
    "a folder index replaced by a file": lambda root: (root / "src/lib.js").write_text("export const b = 3"),
    "a new page entry": lambda root: (root / "admin.html").write_text("<script type=module>import 'dep-two'</script>"),
    "a new glob match": lambda root: (root / "src/pages/three.js").write_text("import 'dep-lazy'"),
    "a package installed": lambda root: [
        (root / path).parent.mkdir(parents=True, exist_ok=True) or (root / path).write_text(text)
        for path, text in package("not-installed").items()],
    "a package removed": lambda root: shutil.rmtree(root / "node_modules/dep-lazy"),
    "a package's entry changed": lambda root: (root / "node_modules/dep-one/package.json").write_text(
        '{"name": "dep-one", "version": "2.0.0", "main": "sub.js"}'),
    "a scoped package's folder changed": lambda root: shutil.rmtree(root / "node_modules/@scope/pkg"),
    "a node_modules inside the sources": lambda root: [
        (root / "src/lib" / path).parent.mkdir(parents=True, exist_ok=True) or (root / "src/lib" / path).write_text(text)
        for path, text in package("dep-two", "9.9.9").items()],
    "a browser package for a builtin": lambda root: [
        (root / path).parent.mkdir(parents=True, exist_ok=True) or (root / path).write_text(text)
        for path, text in package("fs").items()],
}


@pytest.mark.parametrize("change", sorted(STRUCTURE_CHANGES))
def test_each_change_of_structure_gives_the_answer_from_scratch(tmp_path, trusting, change):
    root = write_tree(tmp_path / "app", RICH)
    before = as_json(warm(root))
    STRUCTURE_CHANGES[change](root)
    after = scan(load_config(root))
    assert as_json(after) == fresh(root)
    assert as_json(after) != before


def test_an_unreadable_file_is_never_served_from_the_snapshot(tmp_path, trusting):
    if os.geteuid() == 0:
        pytest.skip("root reads anything")
    root = write_tree(tmp_path / "app", {"index.html": '<script type="module" src="/m.js"></script>', "m.js": "import 'a'", **package("a")})
    (root / "m.js").chmod(0)
    try:
        assert any("cannot read" in w for w in warm(root).warnings)
        (root / "m.js").chmod(0o644)  # a chmod changes no mtime
        assert list(scan(load_config(root)).deps) == ["a"]
    finally:
        (root / "m.js").chmod(0o644)


def test_a_racy_stamp_is_checked_by_content(tmp_path):
    """A file rewritten within the file system's timestamp granularity after the crawl read
    it can keep its size and mtime: such stamps are stored as untrusted, and the next scan
    compares the file's content instead."""
    root = write_tree(tmp_path / "app", {"index.html": '<script type="module" src="/m.js"></script>', "m.js": "import 'aaa'\n",
                    **package("aaa"), **package("bbb")})
    scan(load_config(root))
    stat = (root / "m.js").stat()
    (root / "m.js").write_text("import 'bbb'\n")  # same size
    os.utime(root / "m.js", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    assert list(scan(load_config(root)).deps) == ["bbb"]


def test_a_long_lived_resolver_forgets_packages_that_changed(tmp_path, trusting):
    """As the daemon scans: one resolver and one cache across scans."""
    from prebundle.resolve import Resolver

    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'later'</script>"})
    config = load_config(root)
    resolver = Resolver(config.root)
    cache = scan_cache_for(config)
    for _ in range(3):
        assert list(scan(config, resolver=resolver, cache=cache).missing) == ["later"]
        tick()
    for path, text in package("later").items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    assert list(scan(config, resolver=resolver, cache=cache).deps) == ["later"]


def test_a_damaged_cache_file_is_a_cold_cache(tmp_path, trusting):
    root = write_tree(tmp_path / "app", RICH)
    warm(root)
    config = load_config(root)
    for kind in ("snapshot", "index"):
        path = scan_cache_for(config).file_for(config.root, kind)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        assert as_json(scan(config)) == fresh(root)
        path.write_bytes(b"garbage")
        assert as_json(scan(config)) == fresh(root)


def test_plugins_that_take_part_in_the_crawl_get_no_snapshot(tmp_path, trusting, no_crawl):
    from prebundle import Plugin

    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'a'</script>", **package("a")})
    config = load_config(root).with_overrides(plugins=[Plugin("marker", transform=lambda code, id: None)])
    scan(config)
    scan(config)
    no_crawl()
    with pytest.raises(AssertionError, match="a crawl ran"):
        scan(config)


def test_snapshot_on_the_compat_fixture_and_a_synthetic_tree(tmp_path, trusting, no_crawl):
    """Byte-identical reports on a real app (55 packages) and on a small generated tree."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen_tree
    finally:
        sys.path.remove(str(REPO / "bench"))
    compat = tmp_path / "compat"
    shutil.copytree(REPO / "fixtures/compat", compat, symlinks=True)
    tree = tmp_path / "tree"
    manifest = gen_tree.generate(tree, files=120, seed=3, app=_fake_app(tmp_path / "app", gen_tree))
    roots = [compat, tree]
    for root in roots:
        assert as_json(scan(load_config(root))) == fresh(root)
        warm(root)
    no_crawl()
    for root in roots:
        assert as_json(scan(load_config(root))) == fresh(root)
    target = tree / manifest["edit_target"]
    target.write_bytes(target.read_bytes() + b"\nexport const edited = 1;\n")
    edited = scan(load_config(tree))
    assert edited.stats.parsed == 1
    assert as_json(edited) == fresh(tree)
    assert sorted(edited.deps) == manifest["specifiers"]


def _fake_app(app: Path, gen_tree) -> Path:
    """An app folder like ``bench/app`` whose node_modules has a tiny package for each of the
    bench app's specifiers (subpaths as files), so a generated tree resolves without npm."""
    specifiers = gen_tree.load_specifiers()
    (app / "node_modules").mkdir(parents=True)
    (app / "specifiers.txt").write_text("\n".join(specifiers) + "\n")
    for name in ("package.json", "package-lock.json"):
        (app / name).write_text("{}")
    for spec in specifiers:
        parts = spec.split("/")
        count = 2 if spec.startswith("@") else 1
        name, sub = "/".join(parts[:count]), "/".join(parts[count:])
        folder = app / "node_modules" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(PKG.format(name=name, version="1.0.0"))
        (folder / "index.js").write_text("export default 1;")
        if sub:
            (folder / sub).parent.mkdir(parents=True, exist_ok=True)
            (folder / f"{sub}.js").write_text("export default 1;")
    return app
