"""The compatibility suite: popular npm packages (fixtures/compat) pre-bundled once, each loaded
in Chromium through the import map alone, used for one real thing, and its named exports
compared with Node's own. ``scripts/compat_report.py`` turns the measurements into
docs/compatibility.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.browser import DEPS_PREFIX, close_page, compat_cases, open_page

NOT_NAMES = {"module.exports", "__esModule"}
"""Node lists these among a CommonJS module's keys; they are interop markers, not names a page
imports (``default`` already follows ``__esModule``)."""

NODE_ONLY = {
    "fs-extra": "Node-only: it wraps the file system (fs, path, graceful-fs); prebundle warns at "
                "build time that it imports Node.js builtins, and the browser stub throws",
}
"""Cases that cannot work in a browser at all."""

NODE_CANNOT_IMPORT = {
    "jquery": "Node picks jQuery's `node` entry, whose factory throws without a DOM (\"jQuery "
              "requires a window with a document\"); the browser gets the ESM build's default",
}
"""Ids whose Node answer cannot be had; the browser side is still checked to load."""

BROWSER_BUILD_DIFFERS = {
    "canvas-confetti": ({"reset", "shapeFromPath", "shapeFromText"},
                        "browsers get its `module` build (dist/confetti.module.mjs), which exports "
                        "only default and create; Node loads the CommonJS main"),
    "abort-controller": ({"AbortController"},
                         "its `browser` field (browser.js) hands out the browser's own "
                         "AbortController as default and AbortSignal; the named AbortController "
                         "is in the Node build only"),
    "debug": ({"init", "inspectOpts"},
              "its `browser` field swaps src/node.js for src/browser.js; init and inspectOpts "
              "exist only in the Node build"),
}
"""Names Node has only because it loads another file than a browser does (conditions, fields)."""

CJS_DEFAULT = ("Node loads the CommonJS build, whose `default` is module.exports; browsers get the "
               "ES module build, which has no default export (as with Vite)")


def _params() -> list:
    return list(_param_list())


def _param_list():
    for name in compat_cases():
        marks = [pytest.mark.xfail(reason=NODE_ONLY[name], strict=True)] if name in NODE_ONLY else []
        yield pytest.param(name, marks=marks, id=name)


def missing_exports(compat_app, browser_exports: dict) -> dict[str, list[str]]:
    """Per id: Node's named exports the browser does not have."""
    missing = {}
    for spec, keys in browser_exports.items():
        node = compat_app.node_exports.get(spec)
        if isinstance(keys, dict):
            missing[spec] = [f"browser import failed: {keys['error']}"]
            continue
        if node is None:
            missing[spec] = ["not in the import map"]
        elif "error" in node:
            if spec not in NODE_CANNOT_IMPORT:
                missing[spec] = [f"Node cannot import it ({node['error']}) and no reason is on record"]
        else:
            lost = set(node["keys"]) - set(keys) - NOT_NAMES
            lost -= BROWSER_BUILD_DIFFERS.get(spec, (set(), ""))[0]
            if node.get("format") == "commonjs":
                lost.discard("default")  # CJS_DEFAULT
            lost = sorted(lost)
            if lost:
                missing[spec] = lost
    return missing


def _note(compat_app, spec: str, keys) -> str | None:
    """Why the browser's and Node's names differ for ``spec``, when they do on purpose."""
    node = compat_app.node_exports.get(spec, {})
    if spec in NODE_CANNOT_IMPORT:
        return NODE_CANNOT_IMPORT[spec]
    if spec in BROWSER_BUILD_DIFFERS:
        return BROWSER_BUILD_DIFFERS[spec][1]
    if isinstance(keys, list) and node.get("format") == "commonjs" and "default" in node.get("keys", ()) \
            and "default" not in keys:
        return CJS_DEFAULT
    if node.get("via") == "npm package, not the builtin":
        return "Node's own import gives its builtin; compared with the npm package of that name"
    if node.get("via") == "require.resolve":
        return "Node cannot import the id as written (no extension, no exports map); compared with the file require.resolve finds"
    return None


@pytest.mark.parametrize("name", _params())
def test_package_loads_and_works(browser, compat_app, compat_report, name):
    visit = open_page(browser, f"{compat_app.server.url}/cases/{name}.html")
    try:
        item = visit.page.query_selector("li[data-pkg]")
        ok = item is not None and item.get_attribute("data-ok") == "true"
        detail = item.inner_text() if item is not None else "(no result: the module never ran)"
        browser_exports = json.loads(item.get_attribute("data-exports")) if item is not None else {}
    finally:
        close_page(visit)
    missing = missing_exports(compat_app, browser_exports)
    compat_report[name] = {
        "package": name,
        "ok": ok and not visit.errors and not missing,
        "detail": detail,
        "errors": visit.errors,
        "exports": {spec: {"browser": len(set(keys) - NOT_NAMES) if isinstance(keys, list) else None,
                           "node": len(set(compat_app.node_exports[spec].get("keys", ())) - NOT_NAMES)
                           if "keys" in compat_app.node_exports.get(spec, {}) else None,
                           "node_via": compat_app.node_exports.get(spec, {}).get("via"),
                           "note": _note(compat_app, spec, keys)}
                    for spec, keys in browser_exports.items()},
        "missing": missing,
        "requests": len(visit.deps_requests),
        "bytes": visit.deps_bytes(compat_app.deps_dir),
        "xfail": NODE_ONLY.get(name),
    }
    assert visit.errors == [], "\n".join(visit.errors)
    assert ok, detail
    assert not missing, f"named exports Node has and the browser lacks: {missing}"


def test_node_only_package_is_named_at_build_time(compat_app):
    warnings = [w for w in compat_app.result.warnings if "Node.js builtin" in w]
    assert any(w.startswith("fs-extra@") and "'fs'" in w or "graceful-fs" in w for w in warnings), warnings


def test_every_optimized_id_has_nodes_named_exports(browser, compat_app):
    """Every id in the import map, transitive ones too, imported on one page."""
    ids = sorted(json.loads((compat_app.deps_dir / "importmap.json").read_text())["imports"])
    skip = {spec for spec in ids if spec.split("/")[0] in {"fs-extra", "graceful-fs", "jsonfile",
                                                          "universalify"}}
    wanted = [spec for spec in ids if spec not in skip]
    script = (
        "const out = {};\n"
        f"for (const id of {json.dumps(wanted)}) {{\n"
        "  try { out[id] = Object.keys(await import(id)); } catch (e) { out[id] = { error: String(e) }; }\n"
        "}\n"
        "document.body.dataset.exports = JSON.stringify(out); document.body.dataset.done = 'true';\n"
    )
    (compat_app.root / "all-exports.html").write_text(
        f'<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module">{script}</script></body></html>\n')
    visit = open_page(browser, f"{compat_app.server.url}/all-exports.html")
    try:
        found = json.loads(visit.page.get_attribute("body", "data-exports") or "{}")
    finally:
        close_page(visit)
    assert set(found) == set(wanted)
    missing = missing_exports(compat_app, found)
    assert not missing, json.dumps(missing, indent=1)


@pytest.mark.parametrize("name, budget", [("lodash-es", 2), ("react-dom-client", 6)])
def test_request_budget(browser, compat_app, name, budget):
    visit = open_page(browser, f"{compat_app.server.url}/budget/{name}.html")
    try:
        result = visit.page.get_attribute("body", "data-result")
    finally:
        close_page(visit)
    assert visit.errors == [], "\n".join(visit.errors)
    assert result in ('[[1,2],[3]]', '"rendered"')
    assert all(path.startswith(DEPS_PREFIX) for path in visit.deps_requests)
    # Besides the packages' own files, esbuild's runtime helpers and the process shim are one
    # small chunk per esbuild build, shared by the packages built together.
    helpers = [path for path in visit.deps_requests if _is_helper_chunk(compat_app.deps_dir, path)]
    assert len(visit.deps_requests) - len(helpers) <= budget, visit.deps_requests
    assert len(helpers) <= 3, helpers


def _is_helper_chunk(deps_dir: Path, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("chunk-") and (deps_dir / name).stat().st_size < 4096
