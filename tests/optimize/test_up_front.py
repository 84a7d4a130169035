"""Externals given to esbuild up front (``bundle.up_front``): the same output as asking Python
about every bare import, and a wrong guess is caught and built again the usual way."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import pytest

import prebundle.bundle.builder as builder
from prebundle import load_config
from prebundle.bundle.up_front import Member, UpFront, installed, modules_listing
from prebundle.optimizer import optimize
from tests.support.apps import make_app, write_tree

BUILT_AGAIN = "built again, asking about every bare import"


def real_node_modules(root: Path) -> Path:
    """Replace the app's linked packages by hard-linked copies, so that each package's real
    folder lies in the app's own ``node_modules`` (as ``npm ci`` leaves it): the layout where the
    root's externals apply to the packages' files."""
    modules = root / "node_modules"
    for entry in sorted(modules.iterdir()):
        scoped = entry.name.startswith("@") and entry.is_dir() and not entry.is_symlink()
        for package in sorted(entry.iterdir()) if scoped else [entry]:
            if package.is_symlink():
                target = package.resolve()
                package.unlink()
                shutil.copytree(target, package, symlinks=True, copy_function=_link_or_copy)
    return root


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def deps_bytes(deps: Path) -> dict[str, str]:
    return {p.relative_to(deps).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(deps.rglob("*")) if p.is_file()}


def built_again(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if BUILT_AGAIN in r.getMessage()]


def optimize_app(folder: Path, main: str, packages: dict[str, str]):
    """A cold ``--force`` of an app whose page runs ``main`` over the hand-made ``packages``."""
    root = write_tree(folder, {"index.html": '<script type="module" src="/main.js"></script>', "main.js": main,
                               **packages})
    return optimize(load_config(root), force=True)


def import_map(result) -> dict[str, str]:
    return json.loads((result.deps_dir / "importmap.json").read_text())["imports"]


@pytest.fixture
def debug_log(caplog):
    caplog.set_level(logging.DEBUG, logger="prebundle.bundle")
    return caplog


def test_the_compat_app_builds_to_the_same_bytes_and_import_map_either_way(tmp_path, monkeypatch, debug_log):
    root = real_node_modules(make_app(tmp_path / "app", compat=True, npm_layout=True))
    config = load_config(root)
    optimize(config, force=True)  # the machine cache learns the closure: both runs group alike
    monkeypatch.setattr(builder, "DECIDE_UP_FRONT", False)
    asking = optimize(config, force=True)
    asked_bytes = deps_bytes(config.deps_dir)
    monkeypatch.setattr(builder, "DECIDE_UP_FRONT", True)
    debug_log.clear()
    up_front = optimize(config, force=True)
    assert built_again(debug_log) == []  # every group's guess held: the up-front path was the one taken
    assert deps_bytes(config.deps_dir) == asked_bytes  # every file, _metadata.json and importmap.json included
    assert up_front.ids == asking.ids and len(up_front.ids) > 100
    imports = json.loads((config.deps_dir / "importmap.json").read_text())["imports"]
    assert "react" in imports and "scheduler" in imports


ESM_REQUIRING = {
    # an ES module package that still calls require(): the guess makes `cjs-dep` external, which
    # for a require() would leave `__require("cjs-dep")` in the browser; the check catches it
    "node_modules/esm-requires/package.json": json.dumps({"name": "esm-requires", "version": "1.0.0",
                                                          "type": "module", "module": "index.js"}),
    "node_modules/esm-requires/index.js": "const dep = require('cjs-dep')\nexport const value = dep.value\n",
    "node_modules/cjs-dep/package.json": json.dumps({"name": "cjs-dep", "version": "1.0.0", "main": "index.js"}),
    "node_modules/cjs-dep/index.js": "exports.value = 'from cjs-dep'\n",
}


def test_a_wrong_guess_is_built_again_asking_about_every_import(tmp_path, debug_log):
    result = optimize_app(tmp_path / "app", "import { value } from 'esm-requires'\nconsole.log(value)\n",
                          ESM_REQUIRING)
    again = built_again(debug_log)
    assert len(again) == 1 and "require-call 'cjs-dep' is facade, not external" in again[0]
    code = (result.deps_dir / "esm-requires.js").read_text()
    assert '__require("cjs-dep")' not in code  # the facade: an import the import map resolves
    assert re.search(r'from\s*"cjs-dep"', code)
    assert "cjs-dep" in import_map(result)


def test_a_copy_inside_a_package_and_a_browser_map_into_another_package(tmp_path, debug_log):
    """Asked up front, so no build is repeated: the nested copy is bundled, and a ``browser``
    replacement by another package's file imports that file under its own name (so that
    package's own imports, `react` here, are not bundled a second time)."""
    result = optimize_app(tmp_path / "app", "import { host, inner } from 'host'\nconsole.log(host, inner)\n", {
        "node_modules/host/package.json": json.dumps({
            "name": "host", "version": "1.0.0", "module": "index.js",
            "browser": {"shared/cjs/context.js": "shared/esm/context.js"}}),
        "node_modules/host/index.js": ("import { which } from 'dep'\nimport context from 'shared/cjs/context.js'\n"
                                       "export const host = which\nexport const inner = context\n"),
        "node_modules/host/node_modules/dep/package.json": json.dumps({"name": "dep", "version": "2.0.0",
                                                                       "module": "index.js"}),
        "node_modules/host/node_modules/dep/index.js": "export const which = 'nested dep 2'\n",
        "node_modules/dep/package.json": json.dumps({"name": "dep", "version": "1.0.0", "module": "index.js"}),
        "node_modules/dep/index.js": "export const which = 'hoisted dep 1'\n",
        "node_modules/shared/package.json": json.dumps({"name": "shared", "version": "1.0.0", "main": "index.js"}),
        "node_modules/shared/index.js": "export default 'shared'\n",
        "node_modules/shared/esm/context.js": "import lib from 'lib'\nexport default 'esm context ' + lib\n",
        "node_modules/shared/cjs/context.js": "module.exports = 'cjs context'\n",
        "node_modules/lib/package.json": json.dumps({"name": "lib", "version": "1.0.0", "module": "index.js"}),
        "node_modules/lib/index.js": "export default 'LIB-ONCE'\n",
    })
    assert built_again(debug_log) == []
    code = (result.deps_dir / "host.js").read_text()
    assert "nested dep 2" in code and "hoisted dep 1" not in code
    assert re.search(r'from\s*"shared/esm/context\.js"', code) and "esm context" not in code
    assert "shared/esm/context.js" in import_map(result) and "lib" in import_map(result)
    bundled_lib = [p.name for p in result.deps_dir.glob("*.js") if "LIB-ONCE" in p.read_text()]
    assert bundled_lib == ["lib.js"]  # the package exists once


def test_a_browser_map_that_names_the_npm_package_of_a_builtin(tmp_path, debug_log):
    """`"buffer": "buffer/"` (the npm package, not Node's builtin) is applied once, as esbuild
    applies a map: `buffer` is then an import of the installed package like any other."""
    result = optimize_app(tmp_path / "app", "import { encoded } from 'uses-buffer'\nconsole.log(encoded)\n", {
        "node_modules/uses-buffer/package.json": json.dumps({
            "name": "uses-buffer", "version": "1.0.0", "module": "index.js", "browser": {"buffer": "buffer/"}}),
        "node_modules/uses-buffer/index.js": "import { Buffer } from 'buffer'\nexport const encoded = Buffer.from('hi')\n",
        "node_modules/buffer/package.json": json.dumps({"name": "buffer", "version": "6.0.3", "module": "index.js"}),
        "node_modules/buffer/index.js": "export const Buffer = { from: (text) => 'BUFFER-OF ' + text }\n",
    })
    assert built_again(debug_log) == []
    code = (result.deps_dir / "uses-buffer.js").read_text()
    assert re.search(r'from\s*"buffer"', code) and "BUFFER-OF" not in code
    assert "buffer" in import_map(result)


def test_what_is_asked_and_what_is_external(tmp_path):
    modules = tmp_path / "node_modules"
    for name in ("react", "chart.js", "@scope/pkg", "cjs-dep", "events", "esm"):
        (modules / name).mkdir(parents=True)
    (modules / ".bin").mkdir()
    (modules / "esm" / "node_modules" / "inner").mkdir(parents=True)
    (tmp_path / "workspace-lib").mkdir()
    (modules / "linked").symlink_to(tmp_path / "workspace-lib", target_is_directory=True)
    manifests = {
        str(modules / "esm"): {"dependencies": {"react": "*", "not-installed": "*"}},
        str(modules / "cjs-dep"): {"dependencies": {"chart.js": "*"}},
    }
    seen = installed(str(tmp_path), modules_listing)
    assert {"react", "chart.js", "@scope/pkg", "cjs-dep", "events", "esm"} <= seen.names
    assert seen.links >= {"linked"} and "linked" not in seen.names and not seen.pnpm
    assert not {".bin", "@scope"} & (seen.names | seen.links)
    up_front = UpFront.for_group(
        [Member("esm", str(modules / "esm"), {"./x.js": "./y.js", "@scope/pkg": False}, False),
         Member("cjs-dep", str(modules / "cjs-dep"), {}, True)],
        seen, manifest_of=lambda folder: manifests.get(folder, {}), listing=modules_listing)
    # members, browser-map names, a nested copy, a CommonJS package's dependencies, declared
    # ones not installed, a linked package, and Node builtins (an installed `events` too)
    assert {"esm", "cjs-dep", "@scope/pkg", "inner", "chart.js", "not-installed", "linked", "events",
            "fs"} <= up_front.asked_names
    assert "react" not in up_front.asked_names  # an ES module package's installed dependency
    assert "react" in up_front.external and not up_front.asked_names & set(up_front.external)
    pattern = re.compile(up_front.filter)  # the Go filter reads the same in Python
    for specifier in ("chart.js", "chart.js/auto", "@scope/pkg/x", "node:fs", "fs/promises", "inner"):
        assert pattern.match(specifier) and up_front.is_asked(specifier)
    for specifier in ("react", "react/jsx-runtime", "chartXjs", "@scope/pkgs", "innerx"):
        assert not pattern.match(specifier) and not up_front.is_asked(specifier)


def test_odd_package_names_make_a_filter_both_regexp_syntaxes_read_literally():
    names = frozenset({"a.b", "c+d", "e(f)", "g!h", "caf\u00e9", "@s/p-q_r~s"})
    up_front = UpFront((), names)
    pattern = re.compile(up_front.filter)
    assert "\\\u00e9" not in up_front.filter  # Go refuses an escaped non-ASCII character
    for name in names:
        assert pattern.match(name) and pattern.match(name + "/sub")
    for other in ("aXb", "cd", "ef", "caf", "@s/p-q_r~st"):
        assert not pattern.match(other)
