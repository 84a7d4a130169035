"""The optimizer options Vite users expect: ``needs_interop``, ``no_discovery``, ``force`` as a
config key, and esbuild options written in camelCase. Each is checked on what the app gets:
the exports Node.js sees through the import map, the import map itself, what a run rebuilds."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

from prebundle import load_config, scan
from prebundle.optimizer import optimize
from tests.support.apps import REPO, make_app
from tests.support.node import run_node

PREBUNDLE_CLI = REPO / ".venv" / "bin" / "prebundle"


def _imports(deps_dir: Path) -> set[str]:
    return set(json.loads((deps_dir / "importmap.json").read_text())["imports"])


# -- needs_interop ------------------------------------------------------------------------------

def test_needs_interop_gives_a_package_that_only_looks_like_esm_its_named_exports(tmp_path):
    # legacy-mixed (fixtures/optimize) has an import statement but fills `exports`: bundled as
    # it is, its only export is `default`.
    root = make_app(tmp_path / "app", "import 'legacy-mixed'\nimport 'esmodule-default'\nimport 'tiny-dep'\n",
                    packages=(), tiny_dep=True)
    before = optimize(load_config(root))
    keys = "import * as m from 'legacy-mixed'; console.log(JSON.stringify(Object.keys(m)));"
    assert json.loads(run_node(before.deps_dir, keys)) == ["default"]

    after = optimize(load_config(root, overrides={"needs_interop": ["legacy-mixed", "tiny-dep"]}))
    assert after.built == ("legacy-mixed@1.0.0", "tiny-dep@1.0.0")  # only the packages it names
    assert after.reused == ("esmodule-default@1.0.0",)
    code = """
        import legacy, { named, other } from 'legacy-mixed';
        import hello, { tiny } from 'tiny-dep';
        console.log(JSON.stringify([named, other, legacy.named, hello(), tiny]));
    """
    # an ESM package forced through the proxy keeps its own exports (bundlers' default rule)
    assert json.loads(run_node(after.deps_dir, code)) == [
        "legacy named", "legacy other", "legacy named", "hello", "tiny ok"]
    optimized = json.loads((after.deps_dir / "_metadata.json").read_text())["optimized"]
    assert optimized["legacy-mixed"]["needsInterop"] is True
    assert optimized["tiny-dep"]["needsInterop"] is True

    assert optimize(load_config(root, overrides={"needs_interop": ["tiny-dep", "legacy-mixed"]})).up_to_date


# -- no_discovery -------------------------------------------------------------------------------

def test_no_discovery_bundles_only_include_and_names_what_it_left_out(tmp_path, caplog):
    root = make_app(tmp_path / "app", "import 'needs-react'\nimport 'tiny-dep'\nimport 'esmodule-default'\n",
                    packages=("react",), tiny_dep=True)
    config = load_config(root, overrides={"no_discovery": True, "include": ["needs-react"]})
    with caplog.at_level(logging.WARNING, logger="prebundle"):
        result = optimize(config)
    # include, and what the included package imports (react)
    assert set(result.ids) == {"needs-react", "react"} == _imports(result.deps_dir)
    warnings = [record.getMessage() for record in caplog.records if "no_discovery" in record.getMessage()]
    assert warnings == ["warning: no_discovery is set and the app imports esmodule-default, tiny-dep, which "
                        "include does not name: not pre-bundled and not in the import map (add them to "
                        "include to pre-bundle them, or to exclude to serve their own files)"]
    # the scan still reports every bare import the app makes
    assert set(scan(config).deps) == {"needs-react", "tiny-dep", "esmodule-default"}

    # turning it off is a config change: the scan's ids are bundled, the include's kept
    again = optimize(load_config(root, overrides={"include": ["needs-react"]}))
    assert set(again.ids) == {"needs-react", "react", "tiny-dep", "esmodule-default"}
    assert set(again.built) == {"tiny-dep@1.0.0", "esmodule-default@1.0.0"}
    assert "needs-react@1.0.0" in again.reused and len(again.reused) == 2  # and react


def test_no_discovery_without_include_optimizes_nothing(tmp_path):
    root = make_app(tmp_path / "app", "import 'tiny-dep'\n", packages=(), tiny_dep=True)
    result = optimize(load_config(root, overrides={"no_discovery": True}))
    assert result.ids == () and _imports(result.deps_dir) == set()


# -- force --------------------------------------------------------------------------------------

def test_force_in_the_config_re_bundles_every_run_like_the_flag(tmp_path):
    root = make_app(tmp_path / "app", "import 'tiny-dep'\n", packages=(), tiny_dep=True)
    assert optimize(load_config(root)).built == ("tiny-dep@1.0.0",)
    assert optimize(load_config(root)).up_to_date
    (root / "pyproject.toml").write_text("[tool.prebundle]\nforce = true\n")
    forced = optimize(load_config(root))
    assert forced.built == ("tiny-dep@1.0.0",)  # esbuild again, not the project's or machine's cache
    # the CLI too, every run: its fast path never answers "up to date" for such a config
    for _ in range(2):
        done = subprocess.run([str(PREBUNDLE_CLI), str(root)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "1 packages built, 0 reused" in done.stdout, done.stdout


# -- esbuild options as Vite users write them ---------------------------------------------------

def test_camel_case_esbuild_options_reach_the_bundles(tmp_path):
    root = make_app(tmp_path / "app", "import 'tiny-dep'\n", packages=(), tiny_dep=True)
    (root / "pyproject.toml").write_text(
        "[tool.prebundle.esbuild_options]\n"
        "banner = { js = '/* built for the app */' }\n"
        "define = { __FLAVOUR__ = '\"camel\"' }\n"
        "keepNames = true\n")
    (root / "node_modules/tiny-dep/index.js").write_text(
        "export const tiny = __FLAVOUR__ + ' ' + process.env.NODE_ENV;\n"
        "export default function hello() { return 'hello'; }\n")
    result = optimize(load_config(root))
    bundle = (result.deps_dir / "tiny-dep.js").read_text()
    assert bundle.startswith("/* built for the app */")
    assert '__name(hello, "hello")' in bundle  # keepNames
    # define adds to prebundle's own (process.env.NODE_ENV stays defined)
    printed = run_node(result.deps_dir, "import { tiny } from 'tiny-dep'; console.log(tiny);")
    assert printed.strip() == "camel development"


# -- include, exclude and base rebuild only what they change -------------------------------------

def test_include_exclude_and_base_rebuild_only_the_packages_they_change(tmp_path):
    # They change which ids are built and the import map, not any other package's bundle: adding
    # `include = ["dayjs/locale/*"]` to a 110-package app rebuilt all 110 before.
    root = make_app(tmp_path / "app", "import 'needs-react'\nimport 'tiny-dep'\n", packages=("react",), tiny_dep=True)
    first = optimize(load_config(root))
    assert len(first.built) == 3  # needs-react, tiny-dep, react
    included = optimize(load_config(root, overrides={"include": ["esmodule-default"]}))
    assert included.built == ("esmodule-default@1.0.0",) and len(included.reused) == 3
    excluded = optimize(load_config(root, overrides={"include": ["esmodule-default"], "exclude": ["tiny-dep"]}))
    assert excluded.built == () and "tiny-dep" not in excluded.ids
    based = optimize(load_config(root, overrides={"include": ["esmodule-default"], "exclude": ["tiny-dep"],
                                                  "base": "/static/deps/"}))
    assert based.built == () and not based.up_to_date
    imports = json.loads((based.deps_dir / "importmap.json").read_text())["imports"]
    assert imports["needs-react"].startswith("/static/deps/needs-react.js?v=")
