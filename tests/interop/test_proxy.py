"""The proxy entry source, and end to end: proxy → esbuild CLI → ESM that Node imports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle.interop import analyze, proxy_entry_source
from prebundle.interop._syntax import captures, parse, string_value, text
from prebundle.interop.proxy import export_name

from ._support import CJS, ESBUILD, NPM, REPO, node_modules_require, saver_package

OPTIMIZE = REPO / "fixtures" / "optimize" / "node_modules"


def test_shape() -> None:
    src = proxy_entry_source("pkg", ["b", "a", "b", "default", "__esModule", "module.exports"])
    assert src.count('require("pkg")') == 1
    assert "export default __cjs != null && __cjs.__esModule ? __cjs.default : __cjs;" in src
    assert src.strip().endswith('export { __n0 as b, __n1 as a };')


def test_default_rules() -> None:
    # __esModule is read at run time from the final module.exports, as esbuild's __toESM does
    bundler = proxy_entry_source("pkg", [], default="bundler")
    assert "export default __cjs != null && __cjs.__esModule ? __cjs.default : __cjs;" in bundler
    assert "export default __cjs;" in proxy_entry_source("pkg", [], default="node")


@pytest.mark.parametrize(
    "name,rendered",
    [
        ("useState", "useState"),
        ("$", "$"),
        ("delete", '"delete"'),
        ("true", '"true"'),
        ("of", "of"),
        ("a-b", '"a-b"'),
        ("été", '"\\u00e9t\\u00e9"'),
        ("</script>", '"<\\/script>"'),
        ("\ud800", None),
    ],
)
def test_export_name(name: str, rendered: str | None) -> None:
    assert export_name(name) == rendered


def test_entry_path_is_escaped() -> None:
    nasty = 'C:\\dir\\"quoted"\n\u2028/x.js'
    src = proxy_entry_source(nasty, ["a"])
    line = src.splitlines()[1]
    assert "\n" not in line and "\u2028" not in line
    literal = line[len("const __cjs = require(") : -len(");")]
    assert json.loads(literal) == nasty


def _bundle(proxy: Path, out: Path) -> None:
    subprocess.run(
        [str(ESBUILD), str(proxy), "--bundle", "--format=esm", "--platform=browser",
         '--define:process.env.NODE_ENV="development"', f"--outfile={out}", "--log-level=warning"],
        check=True, capture_output=True, text=True,
    )


@pytest.mark.slow
def test_end_to_end_with_esbuild_and_node(tmp_path: Path) -> None:
    cases = {
        "react": (NPM / "react" / "index.js", NPM / "react", "react"),
        "lodash": (NPM / "lodash" / "lodash.js", NPM / "lodash", "lodash"),
        "esm-default": (CJS / "esm-default" / "index.js", CJS / "esm-default", "esm-default"),
        "other": (CJS / "other" / "main.js", CJS / "other", "other"),
        "add-exports": (OPTIMIZE / "babel-add-exports" / "lib" / "index.js", OPTIMIZE / "babel-add-exports",
                        "babel-add-exports"),
    }
    out = tmp_path / "deps"
    out.mkdir()
    (out / "package.json").write_text('{"type": "module"}')
    for flat, (entry, package_dir, name) in cases.items():
        info = analyze(entry, mode="development", package_dir=package_dir, package_name=name,
                       resolve_require=node_modules_require)
        assert info.needs_interop
        proxy = tmp_path / f"{flat}.proxy.js"
        proxy.write_text(proxy_entry_source(str(entry), info.names))
        _bundle(proxy, out / f"{flat}.js")
    node_rule = tmp_path / "esm-default-node.proxy.js"
    node_rule.write_text(proxy_entry_source(str(CJS / "esm-default" / "index.js"), ["named"], default="node"))
    _bundle(node_rule, out / "esm-default-node.js")

    script = """
    import assert from "node:assert/strict";
    import React, { useState, createElement } from "./react.js";
    import _, { map, debounce } from "./lodash.js";
    import theDefault, { named, delete as del, "a-b" as ab } from "./esm-default.js";
    import * as esmNs from "./esm-default.js";
    import other, { fromOther } from "./other.js";
    import Modal, { setAppElement } from "./add-exports.js";
    import asNode from "./esm-default-node.js";

    assert.equal(typeof useState, "function");
    assert.equal(React.useState, useState);
    assert.equal(React.createElement, createElement);
    assert.deepEqual(map([1, 2], (x) => x * 2), [2, 4]);
    assert.equal(_.map, map);
    assert.equal(typeof debounce, "function");
    assert.equal(theDefault(), "the default");
    assert.equal(named, "named");
    assert.equal(del, "delete-value");
    assert.equal(ab, "a-b-value");
    assert.ok(!("__esModule" in esmNs));
    // Without __esModule, default is module.exports even when it has a `default` key.
    assert.equal(other.default, "other default");
    assert.equal(other.fromOther, fromOther);
    // __esModule set, then module.exports replaced by exports.default (add-module-exports):
    // the final module.exports has no __esModule, so it is the default.
    assert.equal(Modal({ title: "t" }), "modal: t");
    assert.equal(setAppElement, Modal.setAppElement);
    // The "node" rule: default is module.exports even with __esModule.
    assert.equal(asNode.default(), "the default");
    assert.equal(asNode.named, "named");
    console.log("ok");
    """
    (out / "check.js").write_text(script)
    run = subprocess.run(["node", "check.js"], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


@pytest.mark.slow
def test_umd_reading_the_dom_while_loading_gets_its_named_export(tmp_path: Path) -> None:
    # file-saver: `import { saveAs } from "file-saver"` works only with the name the sandbox finds
    entry = saver_package(tmp_path / "node_modules")
    info = analyze(entry, mode="development", package_dir=entry.parents[1], package_name="saver")
    assert info.needs_interop and info.evaluated
    assert info.names == ("saveAs",)
    proxy = tmp_path / "saver.proxy.js"
    proxy.write_text(proxy_entry_source(str(entry), info.names))
    out = tmp_path / "deps"
    out.mkdir()
    (out / "package.json").write_text('{"type": "module"}')
    _bundle(proxy, out / "saver.js")
    (out / "check.js").write_text(
        'import assert from "node:assert/strict";\n'
        'import saver, { saveAs } from "./saver.js";\n'
        'assert.equal(typeof saveAs, "function");\n'
        "assert.equal(saveAs, saver);\n"
        'console.log("ok");\n'
    )
    run = subprocess.run(["node", "check.js"], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


@given(st.lists(st.text(max_size=12), max_size=8), st.text(max_size=20))
@settings(max_examples=150, deadline=None)
def test_any_names_and_path_give_valid_js(names: list[str], entry: str) -> None:
    """Whatever the names and the path, the proxy parses, and exports exactly the exportable names."""
    src = proxy_entry_source(entry, names)
    tree = parse(src.encode("utf-8"))
    assert not tree.root_node.has_error
    exported = []
    for spec in captures("(export_specifier alias: (_) @alias)", tree.root_node).get("alias", []):
        exported.append(text(spec) if spec.type != "string" else string_value(spec))
    expected = [n for n in dict.fromkeys(names) if n not in ("default", "__esModule", "module.exports") and export_name(n)]
    assert sorted(exported) == sorted(expected)
