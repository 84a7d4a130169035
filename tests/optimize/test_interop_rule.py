"""The interop rule as a cache input: switching it re-bundles the packages with a CommonJS
entry and only those, the same rule reuses everything, the machine-wide cache never serves a
build made under the other rule, and a broken root package.json means the bundlers' rule.
Each answer is checked in Node.js through the import map, as a browser would load it (the
rule itself is checked in Chromium in tests/browser/test_interop_rule.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from prebundle import load_config
from prebundle.hashing import interop_rule
from prebundle.optimizer import optimize
from tests.support.apps import make_app
from tests.support.node import run_node

# esmodule-default (CommonJS, __esModule, fixtures/optimize) and tiny-dep (ESM)
SOURCE = "import 'esmodule-default'\nimport 'tiny-dep'\n"
KIND = "import greet from 'esmodule-default'; import hello from 'tiny-dep'; console.log(typeof greet, hello());"
COMMONJS = "esmodule-default@1.0.0"
ESM = "tiny-dep@1.0.0"


def _app(root: Path, *, esm_app: bool = False) -> Path:
    manifest = {"name": "app", **({"type": "module"} if esm_app else {})}
    return make_app(root, SOURCE, packages=(), tiny_dep=True, extra={"package.json": json.dumps(manifest)})


def _optimize(root: Path, **overrides):
    return optimize(load_config(root, overrides=overrides))


def test_switching_the_rule_rebuilds_only_commonjs_packages(tmp_path):
    root = _app(tmp_path / "app")
    first = _optimize(root)
    assert first.built == (COMMONJS, ESM)
    assert run_node(first.deps_dir, KIND).split() == ["function", "hello"]

    assert _optimize(root).up_to_date  # unchanged: nothing to do
    assert _optimize(root, interop="bundler").up_to_date  # auto resolves to the same rule

    node = _optimize(root, interop="node")
    assert not node.up_to_date
    assert node.built == (COMMONJS,) and node.reused == (ESM,)
    assert run_node(node.deps_dir, KIND).split() == ["object", "hello"]

    # "type": "module" makes auto mean node: the same output, kept as it is
    (root / "package.json").write_text(json.dumps({"name": "app", "type": "module"}))
    assert _optimize(root).up_to_date

    # and back: the bundler build comes back from the machine-wide cache, not from esbuild
    back = _optimize(root, interop="bundler")
    assert back.built == () and set(back.reused) == {COMMONJS, ESM}
    assert run_node(back.deps_dir, KIND).split() == ["function", "hello"]


def test_the_machine_wide_cache_never_serves_a_build_of_the_other_rule(tmp_path):
    plain = _optimize(_app(tmp_path / "plain"))
    assert plain.built == (COMMONJS, ESM)
    esm = _optimize(_app(tmp_path / "esm", esm_app=True))
    assert esm.built == (COMMONJS,)  # its own build; the ESM package's build is shared
    assert esm.reused == (ESM,)
    assert run_node(esm.deps_dir, KIND).split() == ["object", "hello"]
    assert run_node(plain.deps_dir, KIND).split() == ["function", "hello"]


def test_require_of_the_package_gets_module_exports_under_either_rule(tmp_path):
    # uses-esmodule requires esmodule-default from its own bundle: it gets module.exports (whose
    # .default is the function) whatever the rule; under the node rule that is the very object
    # the app's default import gets.
    user = {"node_modules/uses-esmodule/package.json": json.dumps({"name": "uses-esmodule", "version": "1.0.0"}),
            "node_modules/uses-esmodule/index.js": (
                "const m = require('esmodule-default');\n"
                "module.exports = { greeting: m.default('you'), isModuleExports: (x) => x === m };\n")}
    root = make_app(tmp_path / "app", "import 'uses-esmodule'\nimport 'esmodule-default'\n", packages=(), extra=user)
    code = ("import uses from 'uses-esmodule'; import greet from 'esmodule-default';"
            "console.log(uses.greeting, uses.isModuleExports(greet));")
    assert run_node(_optimize(root).deps_dir, code).split() == ["hello", "you", "false"]
    assert run_node(_optimize(root, interop="node").deps_dir, code).split() == ["hello", "you", "true"]


def test_a_broken_root_package_json_means_the_bundler_rule_with_a_warning(tmp_path, caplog):
    # The rule is decided when the hashes are; esbuild itself then stops on such a file with a
    # one-line error naming it, so the decision is checked on its own here.
    root = _app(tmp_path / "app")
    (root / "package.json").write_text('{"name": "app", "type": "module",')  # cut short
    with caplog.at_level(logging.WARNING, logger="prebundle"):
        assert interop_rule(load_config(root)) == "bundler"
        assert interop_rule(load_config(root, overrides={"interop": "node"})) == "node"
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and lines[0].startswith(f"warning: {root.resolve() / 'package.json'}: not valid JSON")
    assert lines[0].endswith('; interop "auto" takes the bundler rule')
