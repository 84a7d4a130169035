"""The plugin API in scan and optimize: declaration, order, apply, hooks, virtual modules, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prebundle import load_config, optimize, scan
from prebundle.errors import PrebundleError
from prebundle.plugins import Plugin, PluginContainer, apply_tags, normalize_path, virtual_module
from tests.support.apps import make_app, write_tree
from tests.support.node import run_node

TOY_MD = """\
---
import: dayjs
---
# Hello
"""


def toy_markdown():
    """Compiles ``.tmd`` files (front matter ``import: pkg``) to JS that imports the packages."""

    def transform(code: str, id_: str):
        if not id_.endswith(".tmd"):
            return None
        deps = [line.split(":", 1)[1].strip() for line in code.splitlines() if line.startswith("import:")]
        body = json.dumps(code.split("---")[-1].strip())
        imports = "".join(f"import * as dep{i} from {json.dumps(d)};\n" for i, d in enumerate(deps))
        return {"code": f"{imports}export default {body};\n", "map": None}

    return Plugin("toy-markdown", transform=transform)


def test_declaration_order_apply_falsy_and_nested():
    calls = []

    def hook(tag):
        return lambda code, id_: calls.append(tag)

    plugins = [
        None,
        False and Plugin("never"),
        {"name": "post", "enforce": "post", "transform": hook("post")},
        [Plugin("normal", transform=hook("normal")), [Plugin("pre", enforce="pre", transform=hook("pre"))]],
        Plugin("serve-only", apply="serve", transform=hook("serve-only")),
        Plugin("by-function", apply=lambda config, env: env.mode == "production", transform=hook("fn")),
    ]
    from prebundle.config import ConfigEnv

    container = PluginContainer(plugins, command="build", env=ConfigEnv("development", "build"))
    assert container.names == ("pre", "normal", "post")
    container.transform("x", "/a.js")
    assert calls == ["pre", "normal", "post"]
    serving = PluginContainer(plugins, command="serve", env=ConfigEnv("production", "serve"))
    assert serving.names == ("pre", "normal", "serve-only", "by-function", "post")


def test_plugin_without_name_is_refused():
    with pytest.raises(PrebundleError, match="has no name"):
        PluginContainer([{"transform": lambda c, i: c}])


def test_config_hook_merges_deep_and_config_resolved_sees_the_result(tmp_path):
    seen = []
    plugin = Plugin(
        "configurer",
        config=lambda config, env: {"server": {"port": 9100}, "include": [*config["include"], "extra"]},
        config_resolved=lambda config: seen.append((config.server.port, config.server.host, config.include)),
    )
    root = write_tree(tmp_path / "app", {})
    config = load_config(root, overrides={"plugins": [plugin], "include": ["a"]})
    assert config.server.port == 9100 and config.server.host == "127.0.0.1"
    assert config.include == ("a", "extra")
    assert seen == [(9100, "127.0.0.1", ("a", "extra"))]


def test_config_hook_may_mutate_and_receives_env(tmp_path):
    def mutate(config, env):
        config["base"] = f"/{env.command}/"

    root = write_tree(tmp_path / "app", {})
    assert load_config(root, command="serve", overrides={"plugins": [Plugin("m", config=mutate)]}).base == "/serve/"


async def _async_transform(code, id_):
    return code.replace("'left-pad-x'", "'dayjs'") if id_.endswith("main.js") else None


def test_custom_file_type_is_scanned_and_bundled(tmp_path):
    root = make_app(tmp_path / "app", "import post from './post.tmd'\nimport cn from 'classnames'\n", extra={"src/post.tmd": TOY_MD})
    config = load_config(root, overrides={"plugins": [toy_markdown()]})
    result = scan(config)
    assert sorted(result.deps) == ["classnames", "dayjs"]
    assert result.deps["dayjs"].importers == ("src/post.tmd",)
    built = optimize(config)
    assert "dayjs" in built.ids


def test_async_transform_reveals_imports_in_the_scan(tmp_path):
    root = make_app(tmp_path / "app", "import x from 'left-pad-x'\n")
    config = load_config(root, overrides={"plugins": [Plugin("rewrite", transform=_async_transform)]})
    assert list(scan(config).deps) == ["dayjs"]


def test_tags_transform_index_html_adds_are_scanned_like_the_page(tmp_path):
    seen = []

    def add_tags(html, ctx):
        seen.append((ctx.path, ctx.server))
        return [{"tag": "script", "attrs": {"type": "module"}, "children": "import 'dayjs'", "inject_to": "body"},
                {"tag": "script", "attrs": {"type": "module", "src": "/src/extra.js"}, "inject_to": "head-prepend"}]

    root = make_app(tmp_path / "app", "import cn from 'classnames'\n", extra={"src/extra.js": "import React from 'react'\n"})
    result = scan(load_config(root, overrides={"plugins": [Plugin("tags", transform_index_html=add_tags)]}))
    assert sorted(result.deps) == ["classnames", "dayjs", "react"]
    assert result.deps["dayjs"].importers == ("index.html",)
    assert result.deps["react"].importers == ("src/extra.js",)
    assert seen == [("/index.html", None)]


def test_a_failing_transform_index_html_in_the_scan_names_the_page(tmp_path):
    def broken(html, ctx):
        raise ValueError("bad page")

    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    with pytest.raises(PrebundleError) as info:
        scan(load_config(root, overrides={"plugins": [Plugin("broken", transform_index_html=broken)]}))
    assert str(info.value) == "[plugin broken] hook transform_index_html failed on /index.html: ValueError: bad page"


def test_virtual_module_imported_by_app_code_and_by_a_dependency(tmp_path):
    info = virtual_module("build-info", "import cn from 'classnames';\nexport const flavor = cn('sweet', {x: 1});\n")
    root = make_app(tmp_path / "app", "import { flavor } from 'virtual:build-info'\nimport 'uses-virtual'\n", extra={
        "node_modules/uses-virtual/package.json": '{"name": "uses-virtual", "version": "1.0.0", "module": "index.js"}',
        "node_modules/uses-virtual/index.js": "export { flavor } from 'virtual:build-info';\n",
    })
    config = load_config(root, overrides={"plugins": [info]})
    scanned = scan(config)
    assert sorted(scanned.deps) == ["classnames", "uses-virtual"]
    assert scanned.deps["classnames"].importers == ("virtual:build-info",)
    result = optimize(config)
    out = run_node(result.deps_dir, "import { flavor } from 'uses-virtual'; console.log(flavor);")
    assert out.strip() == "sweet x"
    assert 'from "classnames"' in (result.deps_dir / "uses-virtual.js").read_text()


def test_resolve_id_and_load_hooks_in_bundling(tmp_path):
    def resolve_id(source, importer, options):
        return "\0config-values" if source == "app-config" else None

    def load(id_):
        return "export const answer = 42;" if id_ == "\0config-values" else None

    root = make_app(tmp_path / "app", "import 'reads-config'\n", extra={
        "node_modules/reads-config/package.json": '{"name": "reads-config", "version": "1.0.0", "module": "index.js"}',
        "node_modules/reads-config/index.js": "import { answer } from 'app-config';\nexport const doubled = answer * 2;\n",
    })
    config = load_config(root, overrides={"plugins": [Plugin("values", resolve_id=resolve_id, load=load)]})
    result = optimize(config)
    assert run_node(result.deps_dir, "import { doubled } from 'reads-config'; console.log(doubled);").strip() == "84"


GREETER = {
    "node_modules/greeter/package.json": '{"name": "greeter", "version": "1.0.0", "module": "index.js"}',
    "node_modules/greeter/index.js": "import { word } from './word.js';\nexport const greeting = word + ' world';\n",
    "node_modules/greeter/word.js": "export const word = 'hello';\n",
    "node_modules/greeter/extra.js": "export const word = 'howdy';\n",
}


def test_transform_of_a_dependency_file_reaches_its_bundle_and_hooks_see_each_file_once(tmp_path):
    seen: list[str] = []

    async def transform(code, id_):
        seen.append(id_)
        if id_.endswith("greeter/word.js"):
            return "export { word } from './extra.js';\n"  # a file the untransformed build never read
        return None

    root = make_app(tmp_path / "app", "import { greeting } from 'greeter'\n", extra=GREETER)
    config = load_config(root, overrides={"plugins": [Plugin("rewrite", load=lambda id_: None, transform=transform)]})
    result = optimize(config)
    assert run_node(result.deps_dir, "import { greeting } from 'greeter'; console.log(greeting);").strip() == "howdy world"
    greeter = sorted(Path(id_).name for id_ in seen if "/greeter/" in id_)
    assert greeter == ["extra.js", "index.js", "word.js"]


def test_a_dependency_importing_a_file_type_only_a_plugin_can_load(tmp_path):
    root = make_app(tmp_path / "app", "import text from 'docs-pkg'\n", extra={
        "node_modules/docs-pkg/package.json": '{"name": "docs-pkg", "version": "1.0.0", "module": "index.js"}',
        "node_modules/docs-pkg/index.js": "export { default } from './readme.tmd';\n",
        "node_modules/docs-pkg/readme.tmd": TOY_MD,
    })
    result = optimize(load_config(root, overrides={"plugins": [toy_markdown()]}))
    assert run_node(result.deps_dir, "import text from 'docs-pkg'; console.log(text);").strip() == "# Hello"
    assert 'from "dayjs"' in (result.deps_dir / "docs-pkg.js").read_text()


def test_a_no_op_plugin_leaves_every_output_file_as_it_was(tmp_path):
    root = make_app(tmp_path / "app", "import { greeting } from 'greeter'\nimport React from 'react'\nimport { chunk } from 'lodash-es'\n",
               extra=GREETER)
    plain = optimize(load_config(root))
    before = {p.relative_to(plain.deps_dir): p.read_bytes() for p in plain.deps_dir.rglob("*.js")}
    noop = Plugin("noop", resolve_id=lambda *args: None, load=lambda id_: None, transform=lambda code, id_: code)
    plugged = optimize(load_config(root, overrides={"plugins": [noop]}), force=True)
    after = {p.relative_to(plugged.deps_dir): p.read_bytes() for p in plugged.deps_dir.rglob("*.js")}
    assert sorted(before) == sorted(after) and len(before) >= 3
    assert before == after


def test_an_async_hook_failing_in_bundling_names_plugin_hook_and_file(tmp_path):
    async def broken(code, id_):
        if id_.endswith("greeter/word.js"):
            raise KeyError("no such word")

    root = make_app(tmp_path / "app", "import { greeting } from 'greeter'\n", extra=GREETER)
    config = load_config(root, overrides={"plugins": [Plugin("breaker", transform=broken)]})
    with pytest.raises(PrebundleError) as info:
        optimize(config, scan_result=scan(load_config(root)))
    message = str(info.value)
    assert "[plugin breaker] hook transform failed on " in message and "greeter/word.js" in message
    assert "KeyError" in message


def test_exception_in_a_hook_names_plugin_and_hook(tmp_path):
    def broken(code, id_):
        raise ValueError("cannot compile this")

    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    config = load_config(root, overrides={"plugins": [Plugin("breaker", transform=broken)]})
    with pytest.raises(PrebundleError) as info:
        scan(config)
    message = str(info.value)
    assert message.startswith("[plugin breaker] hook transform failed on src/main.js: ")
    assert "ValueError: cannot compile this" in message


def test_exception_in_a_hook_during_bundling_is_a_build_error(tmp_path):
    def broken(code, id_):
        if "classnames" in id_:
            raise RuntimeError("boom")

    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    config = load_config(root, overrides={"plugins": [Plugin("breaker", transform=broken)]})
    with pytest.raises(PrebundleError) as info:
        optimize(config, scan_result=scan(load_config(root)))
    assert "[plugin breaker] hook transform failed" in str(info.value) and "boom" in str(info.value)


def test_transform_index_html_tags_at_each_position():
    html = "<html><head><title>t</title></head><body><p>x</p></body></html>"
    out = apply_tags(html, [
        {"tag": "meta", "attrs": {"name": "a", "content": "1"}, "inject_to": "head-prepend"},
        {"tag": "script", "attrs": {"type": "module", "src": "/x.js"}},
        {"tag": "div", "attrs": {"id": "top"}, "children": "first", "inject_to": "body-prepend"},
        {"tag": "footer", "children": [{"tag": "b", "children": "end"}], "inject_to": "body"},
    ])
    assert out == ('<html><head><meta name="a" content="1"><title>t</title>'
                   '<script type="module" src="/x.js"></script></head>'
                   '<body><div id="top">first</div><p>x</p><footer><b>end</b></footer></body></html>')


def test_transform_index_html_chain():
    container = PluginContainer([
        Plugin("a", transform_index_html=lambda html, ctx: html.replace("x", "y")),
        Plugin("b", transform_index_html=lambda html, ctx: [{"tag": "i", "children": "!", "inject_to": "body"}]),
        Plugin("c", transform_index_html=lambda html, ctx: {"html": html + "<!-- c -->", "tags": []}),
    ])
    assert container.transform_index_html("<body>x</body>", None) == "<body>y<i>!</i></body><!-- c -->"


@pytest.mark.parametrize("raw, normalized", [
    ("C:\\app\\src\\a.js", "C:/app/src/a.js"),
    ("c:/app/../b.js", "C:/b.js"),
    ("/a/./b/../c.js", "/a/c.js"),
    ("\0virtual:x", "\0virtual:x"),
    (Path("/x/y"), "/x/y"),
])
def test_normalize_path(raw, normalized):
    assert normalize_path(raw) == normalized
