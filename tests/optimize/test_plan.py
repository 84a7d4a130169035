"""The plan (include, exclude, nested and glob includes), flattened file names, the run lock,
and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from prebundle import load_config, scan
from prebundle.commit import OutputLock
from prebundle.errors import PrebundleError
from prebundle.flatten import flatten_id
from prebundle.optimizer import optimize
from prebundle.plan import make_plan
from prebundle.resolve import Resolver
from tests.support.apps import make_app
from tests.support.wait import wait_until

PREBUNDLE = Path(sys.executable).parent / "prebundle"


@pytest.mark.parametrize("id_, flat", [
    ("react", "react"),
    ("react-dom/client", "react-dom_client"),
    ("@vue/shared", "@vue_shared"),
    ("lodash.debounce", "lodash__debounce"),
    ("react/jsx-dev-runtime", "react_jsx-dev-runtime"),
    ("lodash-es/debounce.js", "lodash-es_debounce__js"),
    ("@vitejs/plugin-rsc > react", "@vitejs_plugin-rsc_n_react"),
    ("foo_bar", "foo___bar"),
    ("#internal/x", "_023_internal_x"),
    ("a:b", "a_03a_b"),
])
def test_flatten_id_like_vite_8(id_, flat):
    assert flatten_id(id_) == flat


def test_flatten_id_truncates_long_ids_with_a_hash():
    long_id = "@scope/" + "very-long-name/" * 20
    flat = flatten_id(long_id)
    assert len(flat) == 161 + 1 + 8 and flat[161] == "_"
    assert flatten_id(long_id + "x") != flat


def _plan(root, **overrides):
    config = load_config(root, overrides=overrides)
    resolver = Resolver(config.root)
    return make_plan(config, scan(config, resolver=resolver), resolver)


def test_include_exclude_nested_and_glob(tmp_path):
    root = make_app(tmp_path / "app", "import React from 'react'\nimport cn from 'classnames'\nimport 'lodash/debounce'\n")
    plan = _plan(root, include=["dayjs", "nested-host > nested-dep", "preact/*"], exclude=["lodash"])
    ids = set(plan.ids)
    assert {"react", "classnames", "dayjs"} <= ids
    assert "lodash/debounce" not in ids  # exclude covers subpaths
    nested = plan.ids["nested-host > nested-dep"]
    assert "nested-host/node_modules/nested-dep" in nested.src.as_posix()
    assert {"preact", "preact/hooks", "preact/compat"} <= ids  # glob over exports keys
    packages = {p.name: [i.id for i in p.ids] for p in plan.packages}
    assert "preact/hooks" in packages["preact"]


def test_include_of_a_missing_package_is_a_clear_error(tmp_path):
    root = make_app(tmp_path / "app", "export {}\n")
    with pytest.raises(PrebundleError, match="include 'not-there'.*not installed"):
        _plan(root, include=["not-there"])


def test_a_second_run_waits_for_the_lock(tmp_path):
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    config = load_config(root)
    waited = []
    results = []
    with OutputLock(config.cache_dir):
        worker = threading.Thread(target=lambda: results.append(optimize(config, on_wait=waited.append)))
        worker.start()
        wait_until(lambda: waited, 30, message="the second run never said it waits for the lock")
        assert worker.is_alive()  # told the user, and is waiting
    worker.join(60)
    assert results and results[0].ids == ("classnames",)


def test_cli_optimize_then_up_to_date(tmp_path):
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    first = subprocess.run([str(PREBUNDLE), str(root)], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "optimized 1 ids" in first.stdout
    second = subprocess.run([str(PREBUNDLE), "optimize", str(root)], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "dependencies up to date" in second.stdout


def test_cli_missing_dependency_fails_without_touching_output(tmp_path):
    root = make_app(tmp_path / "app", "import x from 'not-installed'\n")
    done = subprocess.run([str(PREBUNDLE), str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "error: src/main.js:1: cannot resolve 'not-installed'" in done.stderr
    assert not (root / "node_modules" / ".vite" / "deps").exists()


def _globbed_packages(root: Path) -> None:
    """``globbed``: exports with pattern keys, a blocked pattern and a JSON subpath;
    ``plain``: no exports map at all."""
    files = {
        "globbed/package.json": '{"name": "globbed", "version": "1.0.0", "exports": {'
        '".": "./index.js", "./feature/*": {"browser": "./dist/feature/*.js", "default": "./dist/feature/*.js"},'
        '"./utils/*.js": "./lib/utils/*.js", "./internal/*": null, "./package.json": "./package.json"}}',
        "globbed/index.js": "export const root = 1;\n",
        "globbed/dist/feature/a.js": "export const a = 1;\n",
        "globbed/dist/feature/b.js": "export const b = 1;\n",
        "globbed/dist/feature/deep/c.js": "export const c = 1;\n",
        "globbed/lib/utils/x.js": "export const x = 1;\n",
        "globbed/internal/secret.js": "export const secret = 1;\n",
        "plain/package.json": '{"name": "plain", "version": "1.0.0", "main": "index.js"}',
        "plain/index.js": "export const plain = 1;\n",
        "plain/one.js": "export const one = 1;\n",
        "plain/lib/two.js": "export const two = 1;\n",
        "plain/lib/deeper/three.js": "export const three = 1;\n",
    }
    for name, text in files.items():
        path = root / "node_modules" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("include, expected", [
    # `*` stays in one folder; a JSON subpath the glob matches is left out quietly
    ("globbed/*", {"globbed"}),
    ("globbed/feature/*", {"globbed", "globbed/feature/a", "globbed/feature/b"}),
    ("globbed/**", {"globbed", "globbed/feature/a", "globbed/feature/b", "globbed/feature/deep/c",
                    "globbed/utils/x.js"}),
    ("globbed/utils/*.js", {"globbed", "globbed/utils/x.js"}),
    ("globbed/{feature/a,utils/x.js}", {"globbed", "globbed/feature/a", "globbed/utils/x.js"}),
    ("plain/*.js", {"plain", "plain/index.js", "plain/one.js"}),
    ("plain/lib/**/*.js", {"plain", "plain/lib/two.js", "plain/lib/deeper/three.js"}),
])
def test_include_globs_expand_like_vite(tmp_path: Path, include: str, expected: set[str]) -> None:
    root = make_app(tmp_path / "app", "export {}\n", hand_packages=False)
    _globbed_packages(root)
    plan = _plan(root, include=[include])
    assert set(plan.ids) == expected
    assert not any("internal" in id_ for id_ in plan.ids)  # a null pattern offers nothing


def test_include_glob_ids_are_built_and_mapped(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "export {}\n", hand_packages=False)
    _globbed_packages(root)
    config = load_config(root, overrides={"include": ["globbed/feature/*"]})
    result = optimize(config)
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    assert {"globbed", "globbed/feature/a", "globbed/feature/b"} <= set(imports)
    text = (result.deps_dir / "globbed_feature_a.js").read_text()
    assert "a = 1" in text or "a=1" in text
