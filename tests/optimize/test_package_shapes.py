"""Package shapes met in real apps, each checked in Node.js through the import map as a browser
would load them: patched packages, Babel's add-module-exports, dual CommonJS/ESM packages,
``node:`` builtins, and optional dependencies that are not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.errors import PrebundleError
from prebundle.optimizer import optimize
from tests.support.apps import make_app
from tests.support.node import run_node


def _package(name: str, files: dict[str, str], **fields) -> dict[str, str]:
    manifest = {"name": name, "version": "1.0.0", "main": "index.js", **fields}
    out = {f"node_modules/{name}/package.json": json.dumps(manifest)}
    out.update({f"node_modules/{name}/{rel}": text for rel, text in files.items()})
    return out


def _keys(deps_dir: Path, spec: str) -> list[str]:
    return json.loads(run_node(deps_dir, f"console.log(JSON.stringify(Object.keys(await import({spec!r}))));"))


def _node_itself(root: Path, code: str) -> str:
    """The same code run by Node.js on the installed packages, without prebundle."""
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", code], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- 1. named exports of a package that changed without a new version ---------------------------

UMD = """(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.Patched = factory();
})(this, function () { return %s; });
"""


def test_a_patched_package_exports_its_new_names(tmp_path):
    # patch-package: node_modules/patched-umd is edited in place and the patch is saved under
    # patches/; the version stays 1.0.0. Its names come from running it (UMD), which is cached.
    root = make_app(tmp_path / "app", "import 'patched-umd'\n", extra=_package("patched-umd", {"index.js": UMD % "{ alpha: 1 }"}))
    first = optimize(load_config(root))
    assert "alpha" in _keys(first.deps_dir, "patched-umd")
    (root / "node_modules/patched-umd/index.js").write_text(UMD % "{ alpha: 1, beta: 2 }")
    (root / "patches").mkdir()
    (root / "patches/patched-umd+1.0.0.patch").write_text("+  beta: 2\n")
    second = optimize(load_config(root))
    assert second.built == ("patched-umd@1.0.0",)
    out = run_node(second.deps_dir, "import { alpha, beta } from 'patched-umd'; console.log(alpha + beta);")
    assert out.strip() == "3"


@pytest.mark.parametrize("force", [False, True])
def test_a_damaged_interop_record_is_never_used(tmp_path, force):
    # A record in the interop cache that went wrong (a disk hiccup, a hand edit) is never
    # trusted, with or without --force: the analysis runs again.
    extra = _package("factory-made", {"index.js": "module.exports = require('./make')();\n",
                                      "make.js": "module.exports = function () { return { alpha: 1 }; };\n"})
    root = make_app(tmp_path / "app", "import 'factory-made'\n", extra=extra)
    optimize(load_config(root))
    records = list((Path(os.environ["PREBUNDLE_CACHE_DIR"]) / "interop").glob("*.json"))
    assert records
    for record in records:
        data = json.loads(record.read_text())
        for part in (data, data.get("answer") or {}):
            if "names" in part:
                part["names"] = ["stale"]
        record.write_text(json.dumps(data))
    (root / "src" / "main.js").write_text("import 'factory-made'\n// changed\n")
    again = optimize(load_config(root), force=force) if force else _rebuild(root)
    assert _keys(again.deps_dir, "factory-made") == ["alpha", "default", "module.exports"]


def _rebuild(root):
    shutil.rmtree(root / "node_modules" / ".vite" / "deps")
    return optimize(load_config(root))


# -- 2. Babel's add-module-exports (react-modal) ------------------------------------------------

def test_add_module_exports_default_is_module_exports(tmp_path):
    # `exports.__esModule = true; exports.default = Modal; module.exports = exports.default`:
    # what the module finally exports has no __esModule, so default is module.exports (Modal)
    # in Node, Vite and esbuild alike; an ordinary __esModule module keeps exports.default.
    code = """
        import Modal, { setAppElement, defaultStyles } from 'babel-add-exports';
        import greet, { named } from 'babel-esm';
        console.log(JSON.stringify({
          modal: typeof Modal === 'function' && Modal({ title: 'hi' }),
          setAppElement: setAppElement === Modal.setAppElement,
          styles: defaultStyles.overlay.position,
          greet: greet('you'), named,
        }));
    """
    root = make_app(tmp_path / "app", "import 'babel-add-exports'\nimport 'babel-esm'\n")
    result = optimize(load_config(root))
    expected = {"modal": "modal: hi", "setAppElement": True, "styles": "fixed", "greet": "hello you", "named": 42}
    assert json.loads(run_node(result.deps_dir, code)) == expected
    # Node itself agrees on the add-module-exports package
    native = _node_itself(root, "import Modal from 'babel-add-exports'; console.log(Modal({ title: 'hi' }));")
    assert native.strip() == "modal: hi"


# -- 3. require() of a dual package ---------------------------------------------------------------

def test_require_of_a_dual_package_gets_its_commonjs_file(tmp_path):
    # dual: {"exports": {"import": "./dual.mjs", "default": "./dual.js"}}; requires-dual does
    # require('dual'). As in Node, the require gets dual.js and an import gets dual.mjs.
    code = """
        import fromRequire from 'requires-dual';
        import dual, { flavour } from 'dual';
        console.log(JSON.stringify({ required: fromRequire, imported: [dual(), flavour] }));
    """
    root = make_app(tmp_path / "app", "import 'requires-dual'\nimport 'dual'\n")
    result = optimize(load_config(root))
    expected = {"required": {"called": "dual.js", "flavour": "commonjs"}, "imported": ["dual.mjs", "esm"]}
    assert json.loads(run_node(result.deps_dir, code)) == expected
    assert json.loads(_node_itself(root, code)) == expected


# -- 4. node:-prefixed builtins -----------------------------------------------------------------

def test_node_prefixed_builtins_warn_and_throw_only_when_used(tmp_path):
    root = make_app(tmp_path / "app", "import 'node-prefixed'\n")
    result = optimize(load_config(root))
    assert any("node-prefixed" in w and "index.js" in w and "'node:fs'" in w for w in result.warnings)
    assert any("node-prefixed" in w and "helpers.cjs" in w and "'node:path'" in w for w in result.warnings)
    out = run_node(result.deps_dir, """
        import { ok, readWithDefault, readWithNamed, joinPath } from 'node-prefixed';
        console.log(ok);
        for (const use of [() => readWithDefault('/x'), () => readWithNamed('/x'), () => joinPath('a', 'b')]) {
          try { use(); console.log('no error'); } catch (error) { console.log(error.message); }
        }
    """)
    lines = out.strip().splitlines()
    assert lines[0] == "works"
    assert lines[1].startswith('Module "node:fs" is a Node.js builtin and is not available in the browser')
    assert lines[2].startswith('Module "node:fs" is a Node.js builtin and is not available in the browser')
    assert lines[3].startswith('Module "node:path" is a Node.js builtin and is not available in the browser')


# -- 5. imports of packages that are not installed --------------------------------------------

def test_missing_optional_imports_throw_when_run_and_the_rest_works(tmp_path):
    root = make_app(tmp_path / "app", "import 'optional-user'\n")
    result = optimize(load_config(root))
    for spec in ("bufferutil", "optional-peer", "foobar", "foobar/baz"):
        assert any("optional-user" in w and "index.js" in w and f'"{spec}"' in w for w in result.warnings), spec
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    assert not {"bufferutil", "optional-peer", "foobar", "foobar/baz"} & set(imports)
    out = run_node(result.deps_dir, """
        import user from 'optional-user';
        console.log(user.plain);
        console.log(user.mask('x'));
        try { user.usePeer(); } catch (error) { console.log(error.message); }
        for (const load of [user.loadLater, user.loadSubpath]) {
          try { await load(); console.log('loaded'); } catch (error) { console.log(error.message); }
        }
    """)
    assert out.strip().splitlines() == [
        "works",
        "js mask: x",  # the try/catch around require('bufferutil') fell back, as in Node
        'Could not resolve "optional-peer" imported by "optional-user". Is it installed?',
        'Could not resolve "foobar" imported by "optional-user". Is it installed?',
        'Could not resolve "foobar/baz" imported by "optional-user". Is it installed?',
    ]


def test_an_import_that_only_esbuild_resolves_is_bundled_not_stubbed(tmp_path):
    # esbuild's own `alias` option is applied by esbuild's resolver, which prebundle asks
    # before deciding that an import does not resolve
    root = make_app(tmp_path / "app", "import 'optional-user'\n", extra={"shim.js": "exports.hello = () => 'aliased peer';\n"})
    result = optimize(load_config(root, overrides={"esbuild_options": {"alias": {"optional-peer": "./shim.js"}}}))
    assert not any('"optional-peer"' in w for w in result.warnings)
    out = run_node(result.deps_dir, "import user from 'optional-user'; console.log(user.usePeer());")
    assert out.strip() == "aliased peer"


def test_a_relative_import_that_does_not_resolve_is_still_an_error(tmp_path):
    root = make_app(tmp_path / "app", "import 'broken-relative'\n", extra=_package(
        "broken-relative", {"index.js": "exports.ok = 1;\nexports.gone = require('./gone');\n"}))
    with pytest.raises(PrebundleError) as info:
        optimize(load_config(root))
    assert "node_modules/broken-relative/index.js:2:" in str(info.value)
    assert "./gone" in str(info.value)


# -- a package that imports its own name ------------------------------------------------------

def test_a_packages_import_of_its_own_name_is_the_entry_the_app_gets(tmp_path):
    # solid-js/web imports "solid-js": with a "development" file (solid-js's dev.js) and a
    # "module" one, that import must give the same file as the app's, or the page holds two
    # copies of the package and their state differs.
    state = "export const copy = {file: %r};\n"
    files = {"dev.js": state % "dev", "prod.js": state % "prod", "module.js": state % "module",
             "plain.js": state % "plain", "web.js": "export { copy } from 'self-importer';\n",
             "mod.js": "export { copy } from 'self-importer/mod';\n"}
    exports = {".": {"development": "./dev.js", "default": "./prod.js"}, "./web": "./web.js",
               "./mod": {"module": "./module.js", "default": "./plain.js"}, "./via-mod": "./mod.js"}
    root = make_app(tmp_path / "app",
                    "import 'self-importer'\nimport 'self-importer/web'\nimport 'self-importer/mod'\n"
                    "import 'self-importer/via-mod'\n",
                    extra=_package("self-importer", files, exports=exports, type="module"))
    deps = optimize(load_config(root)).deps_dir
    seen = json.loads(run_node(deps, (
        "const [a, b, c, d] = await Promise.all(['self-importer', 'self-importer/web', 'self-importer/mod',"
        " 'self-importer/via-mod'].map((id) => import(id)));\n"
        "console.log(JSON.stringify([a.copy.file, a.copy === b.copy, c.copy.file, c.copy === d.copy]));")))
    assert seen == ["dev", True, "module", True]


# -- a package that imports one it does not declare ---------------------------------------------

def test_installing_a_package_another_imports_undeclared_rebuilds_the_importer(tmp_path):
    # select2 does `require("jquery")` and declares no jquery: built while jquery was not
    # installed, its bundle holds the module that throws. Installing jquery must rebuild it, in
    # this project (its last output) and in another (the machine-wide cache's copy).
    plugin = _package("plugin-of-host", {"index.js": "const host = require('host-lib');\n"
                                                     "module.exports = { hosted: host.name };\n"})
    host = _package("host-lib", {"index.js": "module.exports = { name: 'host' };\n"})
    source = "import plugin from 'plugin-of-host'\n"
    check = "import plugin from 'plugin-of-host';\nconsole.log(plugin.hosted);"

    lonely = make_app(tmp_path / "lonely", source, extra=plugin)
    first = optimize(load_config(lonely))
    assert any('"host-lib"' in warning for warning in first.warnings), first.warnings

    other = make_app(tmp_path / "other", source, extra={**plugin, **host})  # the same plugin, host installed
    assert run_node(optimize(load_config(other)).deps_dir, check).strip() == "host"

    for path, text in host.items():  # installed in the first project too, as `npm install host-lib` does
        (lonely / path).parent.mkdir(parents=True, exist_ok=True)
        (lonely / path).write_text(text)
    manifest = json.loads((lonely / "package.json").read_text())
    manifest.setdefault("dependencies", {})["host-lib"] = "1.0.0"
    (lonely / "package.json").write_text(json.dumps(manifest))
    again = optimize(load_config(lonely))
    assert "plugin-of-host@1.0.0" in again.built
    assert run_node(again.deps_dir, check).strip() == "host"


# -- a dual package whose require() file only wraps its ES module (jQuery 4) -------------------

WRAPPED_HOST = {
    # jQuery 4: `import` gets the ES module; `require` (under "module", for bundlers) a wrapper
    # that requires that very ES module and hands out one of its exports.
    "esm/host.js": "export function Host() {}\nHost.fn = {};\nHost.copy = 'host-esm-copy';\n"
                   "export { Host as $ };\nexport default Host;\n",
    "cjs/package.json": '{"type": "commonjs"}',
    "cjs/wrapper.js": "'use strict';\nconst { Host } = require('../esm/host.js');\nmodule.exports = Host;\n",
    "cjs/via.js": "'use strict';\nmodule.exports = require('./wrapper.js');\n",
}


def _wrapped_host_app(tmp_path: Path, required: str) -> Path:
    exports = {".": {"import": "./esm/host.js", "default": required}}
    plugin = _package("host-plugin", {"index.js": (
        "const $ = require('wrapped-host');\n"  # undeclared, as select2's require("jquery")
        "module.exports = function plugin() { $.fn.thing = function () { return 'thing'; }; return $; };\n")})
    extra = {**_package("wrapped-host", WRAPPED_HOST, exports=exports, type="module"), **plugin}
    return make_app(tmp_path / "app", "import 'wrapped-host'\nimport 'host-plugin'\n", extra=extra)


@pytest.mark.parametrize("required", ["./cjs/wrapper.js", "./cjs/via.js"], ids=["wrapper", "through-a-file"])
def test_a_require_wrapper_of_the_es_module_keeps_one_instance(tmp_path, required):
    # select2 + jQuery 4: the plugin's require("wrapped-host") runs the wrapper, whose require of
    # the ES module must be the import map's module, not a copy bundled inside the plugin: the
    # plugin attaches to the instance the app imports.
    code = """
        import $ from 'wrapped-host';
        import plugin from 'host-plugin';
        const got = plugin();
        console.log(JSON.stringify({ thing: typeof $.fn.thing, same: got === $, fn: typeof got }));
    """
    root = _wrapped_host_app(tmp_path, required)
    result = optimize(load_config(root))
    expected = {"thing": "function", "same": True, "fn": "function"}
    assert json.loads(run_node(result.deps_dir, code)) == expected
    assert json.loads(_node_itself(root, code)) == expected  # Node's require(esm) agrees
    plugin_file = json.loads((result.deps_dir / "_metadata.json").read_text())["optimized"]["host-plugin"]["file"]
    bundled = (result.deps_dir / plugin_file).read_text() + (result.deps_dir / f"{plugin_file}.map").read_text()
    assert "host-esm-copy" not in bundled  # the ES module is not inside the plugin
    assert str(tmp_path) not in bundled and os.path.realpath(tmp_path) not in bundled  # nor this machine's folders
    assert "../../wrapped-host/cjs/wrapper.js" in json.loads((result.deps_dir / f"{plugin_file}.map").read_text())["sources"]


# -- pnpm: a package's own dependencies live outside its folder -------------------------------

def _pnpm_package(root: Path, name: str, files: dict[str, str], dependencies: dict[str, str] = {}) -> Path:
    """``name`` stored as pnpm stores it (``node_modules/.pnpm/<name>@1.0.0/node_modules/<name>``),
    its dependencies linked beside it there; returns the stored folder."""
    store = root / "node_modules" / ".pnpm" / f"{name}@1.0.0" / "node_modules"
    folder = store / name
    folder.mkdir(parents=True)
    manifest = {"name": name, "version": "1.0.0", "main": "index.js", "dependencies": dependencies}
    (folder / "package.json").write_text(json.dumps(manifest))
    for rel, text in files.items():
        (folder / rel).write_text(text)
    for dependency in dependencies:
        (store / dependency).symlink_to(root / "node_modules" / ".pnpm" / f"{dependency}@1.0.0" / "node_modules"
                                        / dependency, target_is_directory=True)
    return folder


def test_pnpm_a_packages_own_dependencies_follow_its_rules(tmp_path):
    # zustand -> use-sync-external-store -> react, with use-sync-external-store not hoisted: the
    # files of that dependency lie in node_modules/.pnpm, outside zustand's folder. Their import
    # of react must stay the import map's (one React), and their require("buffer") a stub with a
    # warning, not an esbuild error that fails the run.
    root = make_app(tmp_path / "app", "import { instance } from 'host-like'\nimport { fromStore } from 'store-like'\n")
    host = _pnpm_package(root, "host-like", {"index.js": "module.exports = { instance: {} };\n"})
    _pnpm_package(root, "sync-like", {"index.js": "const host = require('host-like');\n"
                                                  "exports.bytes = () => require('buffer').Buffer;\n"
                                                  "exports.synced = () => host.instance;\n"},
                  {"host-like": "1.0.0"})
    store = _pnpm_package(root, "store-like", {"index.js": "import { synced } from 'sync-like';\n"
                                                           "export const fromStore = () => synced();\n"},
                          {"sync-like": "1.0.0"})
    (store / "package.json").write_text(json.dumps({"name": "store-like", "version": "1.0.0", "type": "module",
                                                    "main": "index.js", "dependencies": {"sync-like": "1.0.0"}}))
    (root / "node_modules" / "host-like").symlink_to(host, target_is_directory=True)
    (root / "node_modules" / "store-like").symlink_to(store, target_is_directory=True)
    result = optimize(load_config(root))
    assert any("'buffer'" in warning and "store-like" in warning for warning in result.warnings), result.warnings
    code = "import { instance } from 'host-like';\nimport { fromStore } from 'store-like';\n" \
           "console.log(fromStore() === instance);"
    assert run_node(result.deps_dir, code).strip() == "true"  # one host-like in the page


def test_a_subpath_importing_its_packages_entry_that_re_exports_another_package(tmp_path):
    # @reduxjs/toolkit/query imports "@reduxjs/toolkit", whose entry does `export * from "redux"`
    # (another package: external). Bundled into the subpath's build, esbuild (with code
    # splitting, that entry being an entry point too) finds no `combineReducers` there and fails
    # the run; as the import map's module it is one copy, and works.
    files = {"modern.mjs": "export * from 'star-base';\nexport const own = 1;\n",
             "plain.js": "exports.own = 2;\n",
             "query.mjs": "import { baseThing, own } from 'star-kit';\nexport const q = () => baseThing + own;\n"}
    exports = {".": {"module": "./modern.mjs", "default": "./plain.js"}, "./query": "./query.mjs"}
    base = _package("star-base", {"index.js": "export const baseThing = 40;\n"}, type="module")
    root = make_app(tmp_path / "app", "import 'star-kit'\nimport 'star-kit/query'\n",
                    extra={**_package("star-kit", files, exports=exports, type="module"), **base})
    deps = optimize(load_config(root)).deps_dir
    code = "import { q } from 'star-kit/query';\nimport { own } from 'star-kit';\nconsole.log(q(), own);"
    assert run_node(deps, code).strip() == "41 1"
