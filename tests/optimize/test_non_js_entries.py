"""A package whose entry is not JavaScript (``index.notjs``, as in Vite's own tests) is optimized
when a plugin's ``load``/``transform`` turns that file into code: found by the scan, or named
in ``include``. Without such a plugin it is left alone, as before."""

from __future__ import annotations

from pathlib import Path

from prebundle import load_config, optimize, scan
from prebundle.plugins import Plugin
from tests.support.apps import make_app
from tests.support.node import run_node

NOT_JS = {
    "node_modules/dep-not-js/package.json": '{"name": "dep-not-js", "version": "1.0.0", "main": "index.notjs"}',
    "node_modules/dep-not-js/index.notjs": "<notjs>\nimport { foo } from './foo.js'\nimport dayjs from 'dayjs'\n"
                                           "export const notjsValue = foo + ' ' + typeof dayjs\n</notjs>\n",
    "node_modules/dep-not-js/foo.js": "export const foo = '[success] imported from .notjs file'\n",
}


def _unwrap(code: str, id_: str) -> str | None:
    if id_.endswith(".notjs"):
        return code.replace("<notjs>", "").replace("</notjs>", "")
    return None


def notjs() -> Plugin:
    """Vite's playground plugin: strips the ``<notjs>`` wrapper."""
    return Plugin("notjs", transform=_unwrap, cache_key="notjs-1")


def test_a_discovered_package_with_a_non_js_entry_is_bundled_through_the_plugin(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import { notjsValue } from 'dep-not-js'\n", extra=NOT_JS)
    config = load_config(root, overrides={"plugins": [notjs()]})
    assert "dep-not-js" in scan(config, use_cache=False).deps
    result = optimize(config)
    out = run_node(result.deps_dir, "import { notjsValue } from 'dep-not-js'; console.log(notjsValue);")
    assert out.strip() == "[success] imported from .notjs file function"
    assert 'from "dayjs"' in (result.deps_dir / "dep-not-js.js").read_text()  # its own imports stay bare


def test_an_included_package_with_a_non_js_entry_is_bundled_through_the_plugin(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "export {}\n", extra=NOT_JS)
    result = optimize(load_config(root, overrides={"plugins": [notjs()], "include": ["dep-not-js"]}))
    out = run_node(result.deps_dir, "import { notjsValue } from 'dep-not-js'; console.log(notjsValue);")
    assert out.strip().startswith("[success]")


def test_without_a_plugin_that_makes_code_the_package_is_left_alone(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import { notjsValue } from 'dep-not-js'\n", extra=NOT_JS)
    other = Plugin("other", transform=lambda code, id_: None, cache_key="other-1")
    for plugins in ([], [other]):
        config = load_config(root, overrides={"plugins": plugins})
        assert "dep-not-js" not in scan(config, use_cache=False).deps
