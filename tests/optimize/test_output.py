"""What the optimizer writes, loaded in Node.js through the import map as a browser would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle import load_config
from prebundle.bundle.output import _Inside
from prebundle.errors import PrebundleError
from prebundle.optimizer import optimize
from tests.support.apps import make_app
from tests.support.node import node_keys, run_node

MAIN = """
import React, { useState } from 'react'
import { createRoot } from 'react-dom/client'
import { jsx } from 'react/jsx-runtime'
import _, { map } from 'lodash'
import debounce from 'lodash/debounce'
import { chunk } from 'lodash-es'
import moment from 'moment'
import dayjs from 'dayjs'
import cn from 'classnames'
import PropTypes from 'prop-types'
import { h } from 'preact'
import { useState as usePreactState } from 'preact/hooks'
import greet, { named } from 'babel-esm'
import needsReact from 'needs-react'
import { styled } from 'with-css'
import usesFs from 'uses-fs'
import { host } from 'nested-host'
import { which } from 'nested-dep'
import { renderToString } from 'react-dom/server'
"""

SPECS = ["react", "react-dom/client", "react/jsx-runtime", "lodash", "lodash/debounce", "lodash-es",
         "moment", "dayjs", "classnames", "prop-types", "preact", "preact/hooks"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One optimize of the whole fixture app, shared by the tests that only read its output."""
    root = make_app(tmp_path_factory.mktemp("output") / "app", MAIN)
    return optimize(load_config(root))


def test_every_id_gets_a_file_and_transitive_deps_are_optimized(result):
    deps = result.deps_dir
    imports = json.loads((deps / "importmap.json").read_text())["imports"]
    for spec in [*SPECS, "babel-esm", "needs-react", "with-css", "uses-fs", "nested-host", "nested-dep"]:
        assert spec in imports
    assert "scheduler" in imports  # react-dom's own bare import, optimized too
    assert imports["react-dom/client"].startswith("/node_modules/.vite/deps/react-dom_client.js?v=")
    assert json.loads((deps / "package.json").read_text()) == {"type": "module"}


def test_react_default_named_and_one_instance_across_packages(result):
    out = run_node(result.deps_dir, """
        import React, { useState } from 'react';
        import * as client from 'react-dom/client';
        import { jsx } from 'react/jsx-runtime';
        import needsReact from 'needs-react';
        console.log(JSON.stringify({
          same: React.useState === useState,
          client: typeof client.createRoot,
          jsx: typeof jsx,
          shared: needsReact.isSameReact(React),
          version: needsReact.reactVersion,
        }));
    """)
    assert json.loads(out) == {"same": True, "client": "function", "jsx": "function", "shared": True,
                               "version": "19.3.1"}


def test_a_hook_works_across_react_and_react_dom(result):
    # react-dom renders with the hooks dispatcher it installed on *its* React: a hook called by
    # the component (through our react) only works when both are one React instance.
    out = run_node(result.deps_dir, """
        import React, { useState } from 'react';
        import { renderToString } from 'react-dom/server';
        function Counter() { const [count] = useState(41); return React.createElement('b', null, count + 1); }
        console.log(renderToString(React.createElement(Counter)));
    """)
    assert out.strip() == "<b>42</b>"


def test_lodash_es_is_one_file_without_a_chunk_per_module(result):
    """Its 640 modules are one file; besides it, only esbuild's small runtime helpers (the
    process shim, shared with whatever else is built in the same esbuild build) may be a chunk."""
    packages = json.loads((result.deps_dir / "_metadata.json").read_text())["prebundle"]["packages"]
    [lodash_es] = [record for record in packages.values() if record["name"] == "lodash-es"]
    others = [name for name in lodash_es["files"] if name.endswith(".js") and name != "lodash-es.js"]  # not maps
    assert "lodash-es.js" in lodash_es["files"] and len(others) <= 1
    for name in others:
        assert lodash_es["files"][name]["size"] < 4096
        assert "lodash-es" not in (result.deps_dir / name).read_text()  # no module of lodash-es


def test_cjs_umd_and_babel_defaults(result):
    out = run_node(result.deps_dir, """
        import moment from 'moment';
        import dayjs from 'dayjs';
        import greet, { named } from 'babel-esm';
        import cn from 'classnames';
        import PropTypes from 'prop-types';
        import _, { map } from 'lodash';
        import debounce from 'lodash/debounce';
        console.log(JSON.stringify({
          moment: moment.utc('2020-02-03').format('YYYY'),
          dayjs: dayjs('2021-05-06').month(),
          greet: greet('you'), named,
          cn: cn('a', { b: true, c: false }),
          propTypes: typeof PropTypes.string,
          lodash: map([1, 2], (x) => x * 2), same: _.map === map,
          debounce: typeof debounce,
        }));
    """)
    assert json.loads(out) == {
        "moment": "2020", "dayjs": 4, "greet": "hello you", "named": 42, "cn": "a b",
        "propTypes": "function", "lodash": [2, 4], "same": True, "debounce": "function",
    }


def test_require_of_another_package_becomes_an_import(result):
    """``require("react")`` becomes an ``import`` of the bare id (in the package's entry, or in
    a chunk its entry imports), never a ``require`` the browser cannot run."""
    manifest = json.loads((result.deps_dir / "manifest.json").read_text())
    files = ["needs-react.js", *(name[1:] for name in manifest["needs-react"]["imports"])]
    texts = [(result.deps_dir / name).read_text() for name in files]
    assert any('from "react"' in text for text in texts)
    assert all("require(" not in text.replace("__require", "") for text in texts)
    assert "react" in manifest["needs-react"]["externals"] or any(
        "react" in manifest["_" + name]["externals"] for name in files[1:])


def test_nested_copy_is_bundled_inside_its_importer(result):
    out = run_node(result.deps_dir, """
        import { host } from 'nested-host';
        import { which } from 'nested-dep';
        console.log(host + ' | ' + which);
    """)
    assert out.strip() == "nested-host uses nested-dep@2 | nested-dep@1"
    assert "nested-dep" not in json.loads((result.deps_dir / "manifest.json").read_text())["nested-host"]["externals"]


def test_node_builtin_warns_at_build_time_and_throws_when_used(result):
    assert any("uses-fs" in w and "'fs'" in w and "index.js" in w for w in result.warnings)
    out = run_node(result.deps_dir, """
        import usesFs from 'uses-fs';
        console.log(usesFs.ok);
        try { usesFs.read('/etc/hostname'); } catch (error) { console.log(error.message); }
    """)
    first, second = out.strip().splitlines()
    assert first == "1"
    assert 'Module "fs" is a Node.js builtin and is not available in the browser' in second


def test_css_of_a_package_is_recorded_in_the_manifest(result):
    manifest = json.loads((result.deps_dir / "manifest.json").read_text())
    css = manifest["with-css"]["css"]
    assert css == ["with-css.css"]
    assert "rebeccapurple" in (result.deps_dir / css[0]).read_text()


def test_named_exports_cover_nodes_own(result):
    in_node = {spec: spec + ".js" if spec == "lodash/debounce" else spec for spec in SPECS}
    expected = {spec: names for spec, names in zip(SPECS, node_keys([in_node[s] for s in SPECS]).values())}
    code = (
        "const out = {};\n"
        f"for (const spec of {json.dumps(SPECS)}) out[spec] = Object.keys(await import(spec));\n"
        "console.log(JSON.stringify(out));\n"
    )
    ours = json.loads(run_node(result.deps_dir, code))
    for spec in SPECS:
        missing = set(expected[spec]) - set(ours[spec]) - {"module.exports"}
        assert not missing, f"{spec}: missing {sorted(missing)}"


def test_esbuild_error_names_file_line_and_keeps_previous_output(tmp_path):
    root = make_app(tmp_path / "app", "import 'broken-dep'\n", extra={
        "node_modules/broken-dep/package.json": '{"name": "broken-dep", "version": "1.0.0", "module": "index.js"}',
        "node_modules/broken-dep/index.js": "export const ok = 1;\n",
    })
    config = load_config(root)
    good = optimize(config)
    before = (good.deps_dir / "_metadata.json").read_text()
    # an update of the package (new version) that ships a syntax error
    (root / "node_modules/broken-dep/package.json").write_text(
        '{"name": "broken-dep", "version": "1.0.1", "module": "index.js"}')
    (root / "node_modules/broken-dep/index.js").write_text("export const ok = 1;\nexport const = ;\n")
    (root / "package-lock.json").write_text((root / "package-lock.json").read_text() + " ")
    with pytest.raises(PrebundleError) as info:
        optimize(config)
    assert "node_modules/broken-dep/index.js:2:" in str(info.value)
    assert (good.deps_dir / "_metadata.json").read_text() == before


def test_each_folder_of_a_package_gets_the_copy_its_own_node_modules_holds(tmp_path):
    """Import decisions are shared between the folders of a package that see the same
    ``node_modules`` folders, and only between those: a subfolder with a ``node_modules`` of
    its own bundles its copy, while the package's other files keep the hoisted one external."""
    copy = {"package.json": '{"name": "nested-dep", "version": "3.0.0", "module": "index.js"}',
            "index.js": "export const which = 'nested-dep@3';\n"}
    extra = {
        "node_modules/scoped-host/package.json": '{"name": "scoped-host", "version": "1.0.0", "module": "index.js"}',
        "node_modules/scoped-host/index.js": "import { which } from 'nested-dep';\n"
                                             "import { inner } from './legacy/deep/inner.js';\n"
                                             "export const host = which + ' / ' + inner;\n",
        "node_modules/scoped-host/legacy/deep/inner.js": "import { which } from 'nested-dep';\n"
                                                         "export const inner = which;\n",
        **{f"node_modules/scoped-host/legacy/node_modules/nested-dep/{name}": text for name, text in copy.items()},
    }
    root = make_app(tmp_path / "app", "import { host } from 'scoped-host'\nimport { which } from 'nested-dep'\n",
                    extra=extra)
    result = optimize(load_config(root))
    out = run_node(result.deps_dir, """
        import { host } from 'scoped-host';
        console.log(host);
    """)
    assert out.strip() == "nested-dep@1 / nested-dep@3"
    assert json.loads((result.deps_dir / "manifest.json").read_text())["scoped-host"]["externals"] == ["nested-dep"]


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(["/p/node_modules/.vite/deps_temp_1/.build-2/", "/p/node_modules/.vite/deps_temp_1/.build-2x/",
                        "/p/node_modules/.vite/deps_temp_1/.build-2", "/p/node_modules/.vite/", "/other/"]),
       st.lists(st.sampled_from(["a", "chunk-X.js", "..", ".", "", "deps", "b.js.map"]), min_size=0, max_size=6),
       st.booleans())
def test_output_names_are_what_relative_to_gives(start, segments, trailing):
    """Outputs are named by slicing the outdir off their paths; any path ``Path.relative_to``
    answers gets the same name, and any it refuses (a sibling folder, a parent, elsewhere) is
    refused too."""
    outdir = Path("/p/node_modules/.vite/deps_temp_1/.build-2")
    path = start + "/".join(segments) + ("/" if trailing else "")
    try:
        expected = Path(path).relative_to(outdir).as_posix()
    except ValueError:
        with pytest.raises(ValueError):
            _Inside(outdir).name(path)
        return
    assert _Inside(outdir).name(path) == expected
