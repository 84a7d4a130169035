"""Helpers for the interop tests: a small CommonJS ``require`` resolver for bare specifiers
(what the caller of ``analyze`` normally supplies), the paths of the fixture packages, and a
package written on demand."""

from __future__ import annotations

import json
from pathlib import Path

from prebundle.interop.resolve import resolve_cjs

REPO = Path(__file__).resolve().parents[2]
CJS = REPO / "fixtures" / "cjs" / "node_modules"
"""Hand-written CommonJS packages."""
NPM = REPO / "fixtures" / "npm" / "node_modules"
"""Real npm packages."""
ESBUILD = NPM / "@esbuild" / "linux-x64" / "bin" / "esbuild"

SAVER_UMD = """\
(function (a, b) {
  if (typeof define === "function" && define.amd) define([], b);
  else if (typeof exports !== "undefined") b();
  else { b(); a.FileSaver = { exports: {} }.exports; }
})(this, function () {
  "use strict";
  var f = typeof window === "object" && window.window === window ? window
    : typeof self === "object" && self.self === self ? self
    : typeof global === "object" && global.global === global ? global : void 0;
  var g = f.saveAs || (typeof window !== "object" || window !== f ? function () { return "no window"; }
    : "download" in HTMLAnchorElement.prototype ? function () { return "anchor"; }
    : function () { return "other"; });
  f.saveAs = g.saveAs = g;
  if (typeof module !== "undefined") module.exports = g;
});
"""
"""file-saver 2.0.5's ``dist/FileSaver.min.js``, unminified to its shape: a UMD whose factory reads
``HTMLAnchorElement.prototype`` while it loads and exports a function whose ``saveAs`` is itself."""


def _split(spec: str) -> tuple[str, str]:
    parts = spec.split("/")
    n = 2 if spec.startswith("@") else 1
    return "/".join(parts[:n]), "/".join(parts[n:])


def _exports_target(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for condition in ("browser", "require", "default"):
            if condition in value:
                found = _exports_target(value[condition])
                if found:
                    return found
    return None


def node_modules_require(spec: str, from_file: Path) -> Path | None:
    """``require(spec)`` for bare specifiers: the ``node_modules`` walk-up, ``exports``
    (conditions browser, require, default), then ``main``/``index``."""
    name, sub = _split(spec.removeprefix("node:"))
    for folder in from_file.resolve().parents:
        pkg = folder / "node_modules" / name
        manifest = pkg / "package.json"
        if not manifest.is_file():
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        exports = data.get("exports")
        if isinstance(exports, dict) and any(k.startswith(".") for k in exports):
            target = _exports_target(exports.get("./" + sub if sub else "."))
            return (pkg / target).resolve() if target else None
        return resolve_cjs("./" + sub if sub else "./", pkg / "package.json")
    return None


def saver_package(node_modules: Path) -> Path:
    """``node_modules/saver`` with ``SAVER_UMD`` as its main; returns the entry."""
    folder = node_modules / "saver"
    (folder / "dist").mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "saver", "version": "2.0.5", "main": "dist/saver.min.js"}')
    entry = folder / "dist" / "saver.min.js"
    entry.write_text(SAVER_UMD)
    return entry
