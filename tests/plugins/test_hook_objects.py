"""Vite's object form of hooks: ``handler`` with ``order`` and ``filter``, in the container,
the scan and bundling; a hook that is neither a function nor such a dict is refused."""

from __future__ import annotations

import json
import re

import pytest

from prebundle import load_config, optimize, scan
from prebundle.plugins import Plugin, PluginContainer, PluginError
from tests.support.apps import make_app
from tests.support.node import run_node

TOY_MD = "---\nimport: dayjs\n---\n# Hello\n"


def test_order_moves_a_hook_before_or_after_the_others():
    def mark(tag):
        return lambda code, id_: code + tag

    container = PluginContainer([
        Plugin("a", transform=mark("a")),
        Plugin("b", transform={"order": "post", "handler": mark("b")}),
        Plugin("c", transform={"order": "pre", "handler": mark("c")}),
        {"name": "d", "transform": mark("d")},
    ])
    assert container.transform("", "/x.js") == "cadb"


@pytest.mark.parametrize(("spec", "wanted"), [
    ({"id": "**/*.tmd"}, ["/app/a.tmd", "/app/deep/b.tmd"]),
    ({"id": re.compile(r"\.tmd$")}, ["/app/a.tmd", "/app/deep/b.tmd"]),
    ({"id": ["*.js", "*/a.tmd"]}, ["/app/a.tmd", "/app/c.js"]),
    ({"id": {"include": "**/*.tmd", "exclude": re.compile("deep")}}, ["/app/a.tmd"]),
    ({"id": {"exclude": "*.tmd"}}, ["/app/c.js"]),
    ({"code": "import:"}, ["/app/a.tmd"]),
    ({"id": "*.tmd", "code": re.compile(r"^---", re.M)}, ["/app/a.tmd"]),
])
def test_filter_decides_which_calls_reach_the_handler(spec, wanted):
    called = []

    def handler(code, id_):
        called.append(id_)

    container = PluginContainer([Plugin("f", transform={"filter": spec, "handler": handler})])
    for id_, code in (("/app/a.tmd", "---\nimport: x\n"), ("/app/deep/b.tmd", "plain"), ("/app/c.js", "x")):
        container.transform(code, id_)
    assert called == wanted


def test_filtered_async_handlers_and_resolve_id_and_load():
    async def resolve(source, importer, options):
        return "\0answer"

    container = PluginContainer([
        Plugin("v", resolve_id={"filter": {"id": re.compile("^virtual:answer$")}, "handler": resolve},
               load={"filter": {"id": "\0answer"}, "handler": lambda id_: "export default 42"}),
    ])
    assert container.resolve_id("virtual:answer", None) == "\0answer"
    assert container.resolve_id("react", None) is None
    assert container.load("\0answer") == "export default 42"
    assert container.load("/app/x.js") is None


@pytest.mark.parametrize(("hook", "message"), [
    ({"handler": 42}, "must be a function or a dict with 'handler'"),
    ("not a function", "must be a function or a dict with 'handler'"),
    ({"handler": print, "order": "first"}, "order must be"),
    ({"handler": print, "filter": {"path": "*.js"}}, 'filter must be a dict with "id" and/or "code"'),
    ({"handler": print, "filter": {"id": 3}}, "an id filter is a string pattern or re.Pattern"),
])
def test_a_hook_that_cannot_be_used_is_refused(hook, message):
    with pytest.raises(PluginError) as info:
        PluginContainer([Plugin("bad", transform=hook)])
    assert str(info.value).startswith("[plugin bad] hook transform") and message in str(info.value)


def toy_markdown_filtered(calls):
    def transform(code, id_):
        calls.append(id_)
        deps = [line.split(":", 1)[1].strip() for line in code.splitlines() if line.startswith("import:")]
        imports = "".join(f"import * as dep{i} from {json.dumps(d)};\n" for i, d in enumerate(deps))
        return f"{imports}export default {json.dumps(code.split('---')[-1].strip())};\n"

    return Plugin("toy-markdown", transform={"filter": {"id": "**/*.tmd"}, "handler": transform})


def test_a_filtered_plugin_in_the_scan_and_in_bundling(tmp_path):
    calls = []
    root = make_app(tmp_path / "app", "import post from './post.tmd'\nimport text from 'docs-pkg'\n", extra={
        "src/post.tmd": TOY_MD,
        "node_modules/docs-pkg/package.json": '{"name": "docs-pkg", "version": "1.0.0", "module": "index.js"}',
        "node_modules/docs-pkg/index.js": "export { default } from './readme.tmd';\n",
        "node_modules/docs-pkg/readme.tmd": TOY_MD,
    })
    config = load_config(root, overrides={"plugins": [toy_markdown_filtered(calls)]})
    assert sorted(scan(config).deps) == ["dayjs", "docs-pkg"]
    result = optimize(config)
    assert run_node(result.deps_dir, "import text from 'docs-pkg'; console.log(text);").strip() == "# Hello"
    assert calls and all(call.endswith(".tmd") for call in calls)
