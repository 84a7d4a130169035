"""The small modules prebundle gives esbuild in place of real files, and their namespaces.

* ``PROXY_NS``: the entry of a CommonJS id: its ESM face with real named exports
  (``prebundle.interop.proxy_entry_source``);
* ``REQUIRE_NS``: ``require(x)`` of another package: an ESM import of ``x`` dressed as
  CommonJS, so no ``require`` reaches the browser (:func:`facade_source`);
* ``DUAL_NS``: a file of a dual package whose CommonJS file requires the package's own ES entry
  (jQuery 4's wrapper): the file as it is, loaded here so that its require of that entry can be
  the facade (``wrappers``); its paths are the files' real paths relative to the project's
  (:func:`dual_path`), as esbuild names files, so no bundle holds a path of the machine;
* ``BUILTIN_NS``: a Node builtin with no browser package (:func:`builtin_stub`);
* ``MISSING_NS``: a bare import inside a package that resolves to nothing (:func:`missing_stub`);
* ``VIRTUAL_NS``: plugins' ``\\0`` virtual modules;
* ``SHIM_NS``: prebundle's shims (``shims/process.js``), injected into every build.

Stubs name the package that imports them, and packages built together share one build: their
paths are ``<package>|<specifier>`` (npm names cannot hold ``|``).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from ..specifiers import is_node_builtin

__all__ = [
    "BUILTIN_NS", "DUAL_NS", "MISSING_NS", "OWN_NAMESPACES", "PROBE", "PROCESS_SHIM", "PROXY_NS", "REQUIRE_NS", "SHIM_NS", "VIRTUAL_NS",
    "builtin_stub", "dual_file", "dual_path", "facade_source", "is_shim", "missing_stub", "own_namespace", "shim_source", "split_stub_path", "stub_path",
]

PROXY_NS = "prebundle-proxy"
REQUIRE_NS = "prebundle-require"
DUAL_NS = "prebundle-dual"
BUILTIN_NS = "prebundle-builtin"
MISSING_NS = "prebundle-missing"
VIRTUAL_NS = "prebundle-virtual"
SHIM_NS = "prebundle-shim"
"""prebundle's own modules read from ``shims/`` (the ``process`` shim): by a name, not a path, so
a bundle holds no path of the machine that built it."""
OWN_NAMESPACES = (PROXY_NS, REQUIRE_NS, DUAL_NS, BUILTIN_NS, MISSING_NS, VIRTUAL_NS, SHIM_NS)
PROBE = "prebundle-probe"
"""``plugin_data`` of our own ``build.resolve()`` calls: our resolve callback leaves them to esbuild."""


def own_namespace(input_key: str) -> str | None:
    """The namespace of a metafile input (``namespace:path``) when it is one of prebundle's own;
    None for a file (whose key is its path relative to the build's working directory)."""
    namespace, colon, _rest = input_key.partition(":")
    return namespace if colon and namespace in OWN_NAMESPACES else None


def dual_path(file: str, root: str) -> str:
    """The ``DUAL_NS`` path of ``file`` (a real path): relative to the project root's real path."""
    return Path(os.path.relpath(file, os.path.realpath(root))).as_posix()


def dual_file(path: str, root: str) -> str:
    """The file (real path) a ``DUAL_NS`` path names (:func:`dual_path`)."""
    return os.path.normpath(os.path.join(os.path.realpath(root), path))


SHIMS = Path(__file__).resolve().parent.parent / "shims"
PROCESS_SHIM = f"{SHIM_NS}:process.js"
"""The ``process`` a package reads in the browser without importing it, as esbuild's ``inject``."""


@cache
def is_shim(name: str) -> bool:
    """Whether ``name`` (``process.js``) is one of prebundle's shims."""
    return name in {path.name for path in SHIMS.glob("*.js")}


@cache
def shim_source(name: str) -> str:
    """The code of the shim ``name`` (``process.js``); ``KeyError`` for any other name."""
    if not is_shim(name):
        raise KeyError(name)
    return (SHIMS / name).read_text(encoding="utf-8")


def stub_path(package: str, specifier: str) -> str:
    return f"{package}|{specifier}"


def split_stub_path(path: str) -> tuple[str, str]:
    package, _, specifier = path.partition("|")
    return package, specifier


def facade_source(specifier: str) -> str:
    """CommonJS module standing for ``require(specifier)`` of another package's bundle: the very
    ``module.exports`` of a CommonJS package, else the ES namespace marked ``__esModule``.

    A package named like a Node builtin (``events``, ``stream``, ``buffer``) stands in for that
    builtin, and Node's ``require("stream")`` gives the builtin's ``module.exports``, which is
    what its ES namespace offers as ``default``: so for those names an ES package's ``default``
    is the answer, when it has one (``new (require("events"))()`` works)."""
    quoted = json.dumps(specifier)
    otherwise = '"default" in m ? m.default : ' if is_node_builtin(specifier) else ""
    return (
        f"import * as m from {quoted};\n"
        f'module.exports = "module.exports" in m ? m["module.exports"] : {otherwise}'
        'Object.defineProperty({ ...m }, "__esModule", { value: true });\n'
    )


def builtin_stub(specifier: str, package: str) -> str:
    """CommonJS module standing for a Node builtin: loading it works, using it throws."""
    message = (
        f'Module "{specifier}" is a Node.js builtin and is not available in the browser '
        f"(imported by the package {package}). Install a browser version of it, or avoid the code "
        "path that uses it."
    )
    return f"const message = {json.dumps(message)};\nmodule.exports = {_THROWING_OBJECT};\n"


def missing_stub(specifier: str, package: str) -> str:
    """CommonJS module standing for an import that does not resolve: it throws when it runs,
    as Node's ``require`` and ``import()`` do. Should a bundler keep a module that threw
    (older esbuild versions' ``__commonJS`` does), a second ``require`` gets its exports, which
    throw the same error when used."""
    message = f'Could not resolve "{specifier}" imported by "{package}". Is it installed?'
    return (f"const message = {json.dumps(message)};\nmodule.exports = {_THROWING_OBJECT};\n"
            "throw new Error(message);\n")


_THROWING_OBJECT = (
    "Object.create(new Proxy({}, { get(_, key) {\n"
    '  if (typeof key === "symbol" || key === "__esModule" || key === "then") return undefined;\n'
    "  throw new Error(message);\n"
    "} }))"
)
"""An object every property read of which throws ``message``. The throwing proxy is its
prototype, not the object itself: esbuild's ``__toESM`` copy of ``module.exports`` (what
``import { readFileSync } from "fs"`` reads) inherits from that prototype, so named imports
throw the clear error too instead of being ``undefined``. ``__esModule`` and ``then`` read as
undefined so interop checks and ``await import()`` don't throw."""
