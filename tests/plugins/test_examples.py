"""The example plugins of docs/plugins.md, run for real (and kept identical to the docs)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from prebundle import load_config, optimize, scan
from prebundle.plugins import PluginContainer
from tests.support.apps import make_app
from tests.support.node import run_node

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plugins"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def example(name: str):
    return runpy.run_path(str(EXAMPLES / f"{name}.py"))


@pytest.mark.parametrize("name", ["build_info", "toy_markdown", "env_banner"])
def test_docs_show_the_example_verbatim(name):
    assert (EXAMPLES / f"{name}.py").read_text().rstrip("\n") in DOCS.read_text()


def test_build_info_virtual_module(tmp_path):
    plugin = example("build_info")["build_info"]("1.2.3")
    root = make_app(tmp_path / "app", "import { version } from 'virtual:build-info'\nimport 'reads-info'\n", extra={
        "node_modules/reads-info/package.json": '{"name": "reads-info", "version": "1.0.0", "module": "i.js"}',
        "node_modules/reads-info/i.js": "export { version, builtAt } from 'virtual:build-info';\n",
    })
    config = load_config(root, overrides={"plugins": [plugin]})
    assert list(scan(config).deps) == ["reads-info"]
    result = optimize(config)
    out = run_node(result.deps_dir, "import { version, builtAt } from 'reads-info'; console.log(version, builtAt.length);")
    assert out.strip() == "1.2.3 19"


def test_toy_markdown_compiles_and_its_imports_are_bundled(tmp_path):
    plugin = example("toy_markdown")["toy_markdown"](heading_class="big")
    root = make_app(tmp_path / "app", "import post from './post.tmd'\n", extra={
        "src/post.tmd": "---\nimport: dayjs\nimport: classnames\n---\n# Hi <you>\n\ntext\n",
    })
    config = load_config(root, overrides={"plugins": [plugin]})
    result = scan(config)
    assert sorted(result.deps) == ["classnames", "dayjs"]
    code = PluginContainer([plugin]).transform((root / "src" / "post.tmd").read_text(), str(root / "src/post.tmd"))
    assert '<h1 class=\\"big\\">Hi &lt;you&gt;</h1><p>text</p>' in code
    assert set(optimize(config).ids) >= {"classnames", "dayjs"}


def test_env_banner_tags():
    plugin = example("env_banner")["env_banner"]("staging")
    container = PluginContainer([plugin], command="serve")
    html = container.transform_index_html("<html><head></head><body><p>x</p></body></html>", None)
    assert '<head><meta name="x-env" content="staging">' in html
    assert '<body><div id="env-banner"' in html
    assert PluginContainer([plugin], command="build").names == ()  # apply="serve"
