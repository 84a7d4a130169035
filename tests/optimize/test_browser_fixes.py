"""Regressions found by the browser compatibility suite (tests/browser), checked in Node."""

from __future__ import annotations

import json

from prebundle import load_config
from prebundle.optimizer import optimize
from tests.support.apps import make_app
from tests.support.node import run_node


def _package(name: str, source: str, **fields) -> dict[str, str]:
    manifest = {"name": name, "version": "1.0.0", "main": "index.js", **fields}
    return {f"node_modules/{name}/package.json": json.dumps(manifest),
            f"node_modules/{name}/index.js": source}


def test_node_globals_process_and_global_are_provided(tmp_path):
    # like util@0.12 (process.env.NODE_DEBUG) and sockjs-client (global.document)
    root = make_app(tmp_path / "app", "import 'uses-globals'\n", extra=_package("uses-globals", (
        "module.exports = { debug: process.env.NODE_DEBUG || null, browser: process.browser,\n"
        "  mode: process.env.NODE_ENV, root: global === globalThis,\n"
        "  tick: (cb) => process.nextTick(cb, 'ticked') };\n"
    )))
    result = optimize(load_config(root))
    text = (result.deps_dir / "uses-globals.js").read_text()
    assert "global ===" not in text
    out = run_node(result.deps_dir, """
        import g from 'uses-globals';
        const ticked = await new Promise((done) => g.tick(done));
        console.log(JSON.stringify({ ...g, tick: ticked }));
    """)
    # process.browser is the shim's (Node's own process has no `browser`)
    assert json.loads(out) == {"debug": None, "browser": True, "mode": "development", "root": True,
                               "tick": "ticked"}


def test_package_without_free_process_gets_no_shim(tmp_path):
    root = make_app(tmp_path / "app", "import 'plain-pkg'\n", extra=_package("plain-pkg", "exports.one = 1;\n"))
    result = optimize(load_config(root))
    assert "nextTick" not in (result.deps_dir / "plain-pkg.js").read_text()


def test_require_with_trailing_slash_is_the_package_id(tmp_path):
    # readable-stream does require('process/') to get the npm package, not the builtin; an import
    # map key "x/" would be a prefix mapping (blocked when its URL lacks the slash)
    extra = {**_package("slash-helper", "module.exports = { helper: 'npm package' };\n"),
             **_package("slash-user", "module.exports = require('slash-helper/').helper;\n")}
    root = make_app(tmp_path / "app", "import 'slash-user'\n", extra=extra)
    result = optimize(load_config(root))
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    assert "slash-helper" in imports and "slash-helper/" not in imports
    out = run_node(result.deps_dir, "import u from 'slash-user'; console.log(u);")
    assert out.strip() == "npm package"


def test_browser_map_replaces_an_installed_bare_import(tmp_path):
    # sockjs-client maps "eventsource" (an installed Node-only package) to a file of its own
    extra = {**_package("node-only-dep", "module.exports = require('fs');\n"),
             **_package("maps-bare", "module.exports = require('node-only-dep');\n",
                        browser={"node-only-dep": "./browser-dep.js"}),
             "node_modules/maps-bare/browser-dep.js": "module.exports = 'browser replacement';\n"}
    root = make_app(tmp_path / "app", "import 'maps-bare'\n", extra=extra)
    result = optimize(load_config(root))
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    assert "node-only-dep" not in imports
    assert not [w for w in result.warnings if "node-only-dep" in w]
    out = run_node(result.deps_dir, "import m from 'maps-bare'; console.log(m);")
    assert out.strip() == "browser replacement"


def test_a_build_from_the_machine_wide_cache_still_warns_in_a_new_project(tmp_path):
    # the compat suite's Node-only package (fs-extra) lost its builtin warnings when a second
    # project reused the first one's bundles from the machine-wide cache
    first = optimize(load_config(make_app(tmp_path / "one", "import 'uses-fs'\n")))
    assert any("uses-fs" in w and "'fs'" in w for w in first.warnings)
    second_root = make_app(tmp_path / "two", "import 'uses-fs'\n")
    second = optimize(load_config(second_root))
    assert any(label.startswith("uses-fs@") for label in second.reused)
    assert any("uses-fs" in w and "'fs'" in w for w in second.warnings)
    (second_root / "src" / "main.js").write_text("import 'uses-fs'\nimport 'classnames'\n")
    again = optimize(load_config(second_root))  # this project already warned about uses-fs
    assert not any("uses-fs" in w for w in again.warnings)
