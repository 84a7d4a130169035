"""The ``default`` of an ``__esModule`` CommonJS package, in Chromium: Node's rule
(``module.exports``) for an app whose root package.json says ``"type": "module"``, the bundlers'
rule (``exports.default``) otherwise, and the config key ``interop`` over both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.optimizer import optimize
from tests.support.apps import DOCUMENT, make_app
from tests.support.browser import close_page, open_page, serve

# esmodule-default (fixtures/optimize): exports.__esModule = true; exports.default = greet;
# exports.named = "named"
MAIN = """import greet, { named } from 'esmodule-default'
const call = typeof greet === 'function' ? greet : greet.default
document.body.textContent = JSON.stringify({
  kind: typeof greet, greeting: call('you'), namedOnDefault: greet.named ?? null, named,
})
document.body.dataset.done = '1'
"""

NODE_RULE = {"kind": "object", "greeting": "hello you", "namedOnDefault": "named", "named": "named"}
"""``default`` is ``module.exports`` itself."""
BUNDLER_RULE = {"kind": "function", "greeting": "hello you", "namedOnDefault": None, "named": "named"}
"""``default`` is ``exports.default``."""


def _app(root: Path, *, esm_app: bool) -> Path:
    manifest = {"name": "app", "private": True, **({"type": "module"} if esm_app else {})}
    return make_app(root, MAIN, html=DOCUMENT, packages=(), extra={"package.json": json.dumps(manifest)})


def _page(browser, root: Path, deps_dir: Path) -> dict:
    server = serve(root, deps_dir)
    try:
        visit = open_page(browser, f"{server.url}/index.html")
        try:
            seen = json.loads(visit.page.inner_text("body")) if not visit.errors else None
        finally:
            close_page(visit)
    finally:
        server.close()
    assert visit.errors == [], "\n".join(visit.errors)
    return seen


@pytest.mark.parametrize(("esm_app", "interop", "expected"), [
    (True, None, NODE_RULE),
    (False, None, BUNDLER_RULE),
    (True, "bundler", BUNDLER_RULE),
    (False, "node", NODE_RULE),
], ids=["type-module-auto", "plain-auto", "type-module-bundler", "plain-node"])
def test_default_of_an_esmodule_package_follows_the_apps_rule(browser, tmp_path, esm_app, interop, expected):
    root = _app(tmp_path / "app", esm_app=esm_app)
    result = optimize(load_config(root, overrides={"interop": interop}))
    assert _page(browser, root, result.deps_dir) == expected
