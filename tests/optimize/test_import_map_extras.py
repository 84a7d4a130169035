"""Import-map entries that are not bundles: excluded packages and linked ESM packages served from
their own files (and the bare imports those files make, optimized), scopes for nested ids, and
``require()`` of a package named like a Node builtin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prebundle import load_config
from prebundle.integrations import Assets
from prebundle.metadata import ImportMap, parse_importmap, stringify_importmap
from prebundle.optimizer import optimize
from tests.support.apps import make_app
from tests.support.node import run_node

PREBUNDLE = Path(sys.executable).parent / "prebundle"


def _package(name: str, files: dict[str, str], **fields) -> dict[str, str]:
    manifest = {"name": name, "version": "1.0.0", **fields}
    out = {f"node_modules/{name}/package.json": json.dumps(manifest)}
    out.update({f"node_modules/{name}/{rel}": text for rel, text in files.items()})
    return out


EXCLUDED_ESM = _package("excluded-esm", {
    "src/index.js": ("import { h } from 'preact';\nimport { year } from './format.js';\n"
                     "export const view = (text) => h('p', null, text + ' ' + year());\n"
                     "export const later = () => import('not-installed-peer');\n"),
    "src/format.js": "import dayjs from 'dayjs';\nexport const year = () => dayjs('2024-05-01').year();\n",
    "src/extra.js": "export const extra = 'extra';\n",
}, type="module", exports={".": "./src/index.js", "./extra": "./src/extra.js"})
"""An ESM package that imports other packages (preact from its entry, dayjs from a file beside it)."""

EXCLUDED_CJS = _package("excluded-cjs", {"index.js": "module.exports = { cjs: true };\n"}, main="index.js")
PLAIN = _package("excluded-plain", {"index.js": "export const plain = 1;\n"}, module="index.js")


def _config(root: Path, **fields: object) -> None:
    lines = [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
    (root / "pyproject.toml").write_text("[tool.prebundle]\n" + "\n".join(lines) + "\n")


def _importmap(deps_dir: Path) -> dict:
    return json.loads((deps_dir / "importmap.json").read_text())


def test_an_excluded_esm_package_is_served_from_its_own_files(tmp_path, caplog):
    source = ("import { view } from 'excluded-esm'\nimport { extra } from 'excluded-esm/extra'\n"
              "import { render } from 'preact'\n")
    root = make_app(tmp_path / "app", source, extra=EXCLUDED_ESM)
    _config(root, exclude=["excluded-esm"])
    result = optimize(load_config(root))
    imports = _importmap(result.deps_dir)["imports"]
    assert imports["excluded-esm"] == "/node_modules/excluded-esm/src/index.js"
    assert imports["excluded-esm/extra"] == "/node_modules/excluded-esm/src/extra.js"
    assert imports["excluded-esm/"] == "/node_modules/excluded-esm/"
    for url in ("/node_modules/excluded-esm/src/index.js", "/node_modules/excluded-esm/src/extra.js"):
        assert (root / url.lstrip("/")).is_file()
    # its files were crawled: dayjs, imported only by the file beside its entry, is optimized
    assert imports["dayjs"].startswith("/node_modules/.vite/deps/dayjs.js?v=")
    assert "preact" in imports
    # the manifest and _metadata.json describe optimized files only, as Vite's do
    manifest = json.loads((result.deps_dir / "manifest.json").read_text())
    metadata = json.loads((result.deps_dir / "_metadata.json").read_text())
    assert not [key for key in [*manifest, *metadata["optimized"]] if key.startswith("excluded-esm")]
    # a package's import that does not resolve is a warning naming where, not an error
    assert [r.getMessage() for r in caplog.records if "not-installed-peer" in r.getMessage()] == [
        "warning: node_modules/excluded-esm/src/index.js:4: the excluded package excluded-esm imports "
        "'not-installed-peer', which cannot be resolved (package \"not-installed-peer\" is not installed "
        "(no node_modules/not-installed-peer)); it fails in the browser if it runs"]
    assert "scopes" not in _importmap(result.deps_dir)


def test_the_import_map_follows_the_excluded_packages_the_app_imports(tmp_path):
    root = make_app(tmp_path / "app", "import 'preact'\n", extra=PLAIN)
    _config(root, exclude=["excluded-plain"])
    first = optimize(load_config(root))
    assert "excluded-plain" not in _importmap(first.deps_dir)["imports"]
    # no new optimized id, yet the import map must change (and pages reload)
    (root / "src" / "main.js").write_text("import 'preact'\nimport { plain } from 'excluded-plain'\n")
    second = optimize(load_config(root))
    assert not second.up_to_date and second.built == ()
    assert _importmap(second.deps_dir)["imports"]["excluded-plain"] == "/node_modules/excluded-plain/index.js"
    assert second.browser_hash != first.browser_hash
    assert optimize(load_config(root)).up_to_date
    (root / "src" / "main.js").write_text("import 'preact'\n")
    third = optimize(load_config(root))
    assert "excluded-plain" not in _importmap(third.deps_dir)["imports"]


def test_an_excluded_commonjs_package_warns_once(tmp_path):
    root = make_app(tmp_path / "app", "import 'excluded-cjs'\nimport './other.js'\n",
                    extra={**EXCLUDED_CJS, "src/other.js": "import { cjs } from 'excluded-cjs'\n"})
    _config(root, exclude=["excluded-cjs"])
    result = optimize(load_config(root))
    assert [w for w in result.warnings if "excluded-cjs" in w] == [
        "the excluded package excluded-cjs is CommonJS (index.js), which browsers cannot load unbundled; "
        "take it out of `exclude` so it is pre-bundled"]
    # the CLI says it once too
    done = subprocess.run([str(PREBUNDLE), str(root)], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("excluded-cjs is CommonJS") == 1, done.stderr


def test_linked_packages_esm_get_entries_and_commonjs_a_warning(tmp_path):
    outside = tmp_path / "workspace"
    (outside / "linked-esm" / "src").mkdir(parents=True)
    (outside / "linked-esm" / "package.json").write_text(
        json.dumps({"name": "linked-esm", "version": "0.1.0", "type": "module", "main": "src/index.js"}))
    (outside / "linked-esm" / "src" / "index.js").write_text("import cx from 'classnames';\nexport const k = cx('a');\n")
    (outside / "linked-cjs").mkdir()
    (outside / "linked-cjs" / "package.json").write_text(json.dumps({"name": "linked-cjs", "main": "index.js"}))
    (outside / "linked-cjs" / "index.js").write_text("module.exports = 1;\n")
    root = make_app(tmp_path / "app", "import { k } from 'linked-esm'\nimport 'linked-cjs'\n")
    for name in ("linked-esm", "linked-cjs"):
        (root / "node_modules" / name).symlink_to(outside / name, target_is_directory=True)
    result = optimize(load_config(root))
    imports = _importmap(result.deps_dir)["imports"]
    assert imports["linked-esm"] == "/node_modules/linked-esm/src/index.js"
    assert imports["linked-esm/"] == "/node_modules/linked-esm/"
    assert "classnames" in imports  # its bare imports are optimized (it is crawled as source)
    assert not [key for key in imports if key.startswith("linked-cjs")]
    assert [w for w in result.warnings if "linked-cjs" in w] == [
        "the linked package linked-cjs is CommonJS (index.js), which browsers cannot load unbundled; "
        "add 'linked-cjs' to `include` so it is pre-bundled"]


def test_a_nested_id_gets_a_scope_for_its_importer(tmp_path, caplog):
    # nested-host (excluded) has its own nested-dep@2; the app imports the hoisted nested-dep@1
    root = make_app(tmp_path / "app", "import { host } from 'nested-host'\nimport { which } from 'nested-dep'\n")
    _config(root, exclude=["nested-host"], include=["nested-host > nested-dep"])
    result = optimize(load_config(root))
    importmap = _importmap(result.deps_dir)
    imports = importmap["imports"]
    assert importmap["scopes"] == {"/node_modules/nested-host/": {"nested-dep": imports["nested-host > nested-dep"]}}
    assert imports["nested-host"] == "/node_modules/nested-host/index.js"
    out = run_node(result.deps_dir, "import { which } from 'nested-dep'; import * as m from 'nested-host > nested-dep';"
                                    "console.log(which, m.which);")
    assert out.split() == ["nested-dep@1", "nested-dep@2"]
    assert not [r for r in caplog.records if "nested-dep" in r.getMessage()]  # the include is there


def test_a_nested_copy_without_its_include_is_a_warning_and_the_app_keeps_the_hoisted_one(tmp_path, caplog):
    root = make_app(tmp_path / "app", "import { host } from 'nested-host'\nimport { which } from 'nested-dep'\n")
    _config(root, exclude=["nested-host"])
    result = optimize(load_config(root))
    assert [r.getMessage() for r in caplog.records if "nested-dep" in r.getMessage()] == [
        "warning: node_modules/nested-host/index.js:1: the excluded package nested-host imports its own copy of "
        "'nested-dep' (node_modules/nested-host/node_modules/nested-dep); add \"nested-host > nested-dep\" "
        "to include so its files get that copy"]
    assert run_node(result.deps_dir, "import { which } from 'nested-dep'; console.log(which);").strip() == "nested-dep@1"
    assert "scopes" not in _importmap(result.deps_dir)


def test_require_of_a_package_named_like_a_builtin_gets_its_default(tmp_path):
    # `events` here is an ES module whose default export is the emitter class, as the npm
    # packages named like builtins stand in for them; require('events') must give that class.
    events = _package("events", {"index.js": (
        "export default class EventEmitter {\n"
        "  constructor() { this.handlers = {}; }\n"
        "  on(name, fn) { (this.handlers[name] ||= []).push(fn); return this; }\n"
        "  emit(name, value) { for (const fn of this.handlers[name] || []) fn(value); return true; }\n"
        "}\nexport const once = () => {};\n")}, type="module", main="index.js")
    user = _package("uses-events", {"index.js": (
        "const EventEmitter = require('events');\n"
        "module.exports = function () { const e = new EventEmitter(); let got; e.on('x', (v) => { got = v; });"
        " e.emit('x', 42); return typeof EventEmitter + ' ' + got; };\n")}, main="index.js")
    root = make_app(tmp_path / "app", "import 'uses-events'\n", extra={**events, **user})
    result = optimize(load_config(root))
    code = "import use from 'uses-events'; console.log(use());"
    assert run_node(result.deps_dir, code).strip() == "function 42"
    # Node itself, whose require('events') is its own builtin, agrees
    native = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", code], cwd=root,
                            capture_output=True, text=True, timeout=60)
    assert native.stdout.strip() == "function 42", native.stderr


def test_importmap_json_writes_scopes_only_when_there_are_some():
    plain = ImportMap({"react": "/node_modules/.vite/deps/react.js?v=1"})
    assert stringify_importmap(plain) == b'{\n  "imports": {\n    "react": "/node_modules/.vite/deps/react.js?v=1"\n  }\n}\n'
    scoped = ImportMap({"a": "/a.js"}, {"/node_modules/a/": {"b": "/b.js"}})
    assert json.loads(stringify_importmap(scoped))["scopes"] == {"/node_modules/a/": {"b": "/b.js"}}
    assert parse_importmap(stringify_importmap(scoped)) == scoped
    assert parse_importmap(stringify_importmap(plain)) == plain


def test_backend_tags_carry_the_unbundled_entries_and_the_scopes(tmp_path):
    root = make_app(tmp_path / "app", "import { host } from 'nested-host'\nimport { which } from 'nested-dep'\n")
    _config(root, exclude=["nested-host"], include=["nested-host > nested-dep"])
    deps_dir = optimize(load_config(root)).deps_dir
    assets = Assets.for_deps_dir(deps_dir, base="/assets/")
    rendered = assets.importmap()
    nested = rendered["imports"]["nested-host > nested-dep"]
    assert nested.startswith("/assets/nested-host_n_nested-dep.js?v=")
    assert rendered["imports"]["nested-host"] == "/node_modules/nested-host/index.js"
    assert rendered["scopes"] == {"/node_modules/nested-host/": {"nested-dep": nested}}
    assert nested in rendered["integrity"]
    assert json.loads(assets.importmap_tag().split(">", 1)[1].rsplit("<", 1)[0])["scopes"] == rendered["scopes"]
    # while the daemon runs, the package's own files come from it (it serves node_modules)
    (deps_dir.parent / "daemon.json").write_text(json.dumps({
        "pid": os.getpid(), "host": "127.0.0.1", "port": 5999, "url": "http://127.0.0.1:5999",
        "root": str(root), "started": "now", "version": "0"}))
    dev = Assets.for_deps_dir(deps_dir).importmap()
    assert dev["imports"]["nested-host"] == "http://127.0.0.1:5999/node_modules/nested-host/index.js"
    assert list(dev["scopes"]) == ["http://127.0.0.1:5999/node_modules/nested-host/"]
    assert dev["scopes"]["http://127.0.0.1:5999/node_modules/nested-host/"]["nested-dep"].startswith(
        "http://127.0.0.1:5999/node_modules/.vite/deps/nested-host_n_nested-dep.js?v=")
