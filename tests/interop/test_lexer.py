"""cjs-module-lexer rules, one tiny source per row, plus reexport chains over fixture packages."""

from __future__ import annotations

import pytest

from prebundle.interop.lexer import cjs_exports, lex

from ._support import CJS, node_modules_require

# (id, source, expected names, expected reexports)
RULES = [
    ("exports-dot", "exports.a = 1; exports.b = function () {};", {"a", "b"}, ()),
    ("module-exports-dot", "module.exports.a = 1;", {"a"}, ()),
    ("exports-bracket", "exports['a'] = 1; exports[\"b-c\"] = 2; module.exports['d'] = 3;", {"a", "b-c", "d"}, ()),
    ("bracket-escape", r"exports['\u0061\x62'] = 1;", {"ab"}, ()),
    ("surrogate-pair-escape", r"exports['\uD83D\uDE00'] = 1; exports['\u{1F600}!'] = 2;", {"\U0001F600", "\U0001F600!"}, ()),
    ("line-continuation", "exports['a\\\nb'] = 1;", {"ab"}, ()),
    ("computed-key-ignored", "exports[key] = 1; exports[`t`] = 2;", set(), ()),
    ("comparison-is-not-assignment", "if (exports.a == 1) {} exports.b === 2;", set(), ()),
    ("nested-member-ignored", "exports.a.b = 1; module.exports.c.d = 2;", set(), ()),
    ("inside-function", "function f() { exports.inner = 1 }", {"inner"}, ()),
    ("literal", "module.exports = { a, b: c, 'd': e, f() {}, 'g-h': 1, 2: 3 };", {"a", "b", "d", "f", "g-h", "2"}, ()),
    ("literal-spread", "module.exports = { a, ...require('./x'), ...other };", {"a"}, ("./x",)),
    ("define-value", "Object.defineProperty(exports, 'a', { value: 1 });", {"a"}, ()),
    ("define-module-exports", "Object.defineProperty(module.exports, 'a', { enumerable: true, value: 1 });", {"a"}, ()),
    (
        "define-getters",
        """
        Object.defineProperty(exports, 'fn', { enumerable: true, get: function () { return x; } });
        Object.defineProperty(exports, 'method', { enumerable: true, get() { return m.y; } });
        Object.defineProperty(exports, 'sub', { enumerable: true, get: function () { return m['z']; } });
        Object.defineProperty(exports, 'arrow', { enumerable: true, get: () => m.w });
        Object.defineProperty(exports, 'unsafe', { enumerable: true, get: function () { return f(); } });
        Object.defineProperty(exports, 'twostmt', { get: function () { g(); return x; } });
        Object.defineProperty(exports, 'nodesc', desc);
        Object.defineProperty(other, 'notexports', { value: 1 });
        """,
        {"fn", "method", "sub", "arrow"},
        (),
    ),
    ("reexport-last-wins", "module.exports = require('./a'); module.exports = require('./b');", set(), ("./b",)),
    ("tslib-star", 'tslib_1.__exportStar(require("./a"), exports); __exportStar(require("./b"), exports);', set(), ("./a", "./b")),
    ("ts-sequence-star", '(0, tslib_1.__exportStar)(require("./a"), exports);', set(), ("./a",)),
    ("ts-export", '__export(require("./a"));', set(), ("./a",)),
    (
        "babel-loop",
        """
        var _x = require("./x");
        Object.keys(_x).forEach(function (key) {
          if (key === "default" || key === "__esModule") return;
          exports[key] = _x[key];
        });
        var _y = _interopRequireWildcard(require("./y"));
        Object.keys(_y).forEach(function (k) {
          if (k === "default") return;
          Object.defineProperty(exports, k, { enumerable: true, get: function () { return _y[k]; } });
        });
        var _z = require("./z");
        Object.keys(_z).forEach(function (key) { console.log(key); });
        """,
        set(),
        ("./x", "./y"),
    ),
    (
        "decoys",
        """
        // exports.commented = 1;
        /* module.exports = require('./commented'); Object.defineProperty(exports, 'c2', { value: 1 }) */
        var s = "exports.inString = 1; module.exports = require('./str')";
        var t = `exports.inTemplate = ${1}`;
        var r = /exports.inRegex = 1/;
        exports.real = 1;
        """,
        {"real"},
        (),
    ),
    ("esbuild-annotation", "0 && (module.exports = { a, b });", {"a", "b"}, ()),
    ("es-module-flag", "Object.defineProperty(exports, '__esModule', { value: true }); exports.default = 1;", {"__esModule", "default"}, ()),
]


@pytest.mark.parametrize("source,names,reexports", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(source: str, names: set[str], reexports: tuple[str, ...]) -> None:
    info = lex(source.encode())
    assert set(info.names) == names
    assert info.reexports == reexports


def test_es_module_flag() -> None:
    assert lex(b"exports.__esModule = true;").es_module
    assert lex(b"Object.defineProperty(exports, '__esModule', { value: true });").es_module
    assert not lex(b"exports.a = 1;").es_module


@pytest.mark.parametrize(
    "source,opaque",
    [
        ("module.exports = factory();", True),
        ("module.exports = _;", True),
        ("module.exports = require('./a');", False),
        ("module.exports = { a };", False),
        ("exports.a = 1;", False),
        ("module.exports = exports;", False),
    ],
)
def test_opaque(source: str, opaque: bool) -> None:
    assert lex(source.encode()).opaque is opaque


# NODE_ENV branches: (file, development names, production names)
ENV_FILES = ["index.js", "neq.js", "swapped.js", "loose.js", "ternary.js", "development.js"]


@pytest.mark.parametrize("file", ENV_FILES)
@pytest.mark.parametrize("mode,expected", [("development", {"shared", "devOnly"}), ("production", {"shared", "prodOnly"})])
def test_node_env_branch(file: str, mode: str, expected: set[str]) -> None:
    result = cjs_exports(CJS / "envpick" / file, mode=mode)
    assert set(result.names) == expected


def test_node_semantics_without_mode() -> None:
    """Node itself takes the last ``module.exports = require()`` regardless of the condition."""
    assert lex((CJS / "envpick" / "index.js").read_bytes()).reexports == ("./a.dev.js",)
    assert lex((CJS / "envpick" / "neq.js").read_bytes()).reexports == ("./a.prod.js",)


def test_dead_branch_assignments_are_ignored() -> None:
    source = b"""
    if (process.env.NODE_ENV !== 'production') { exports.devHelper = 1 }
    if (!(process.env.NODE_ENV === 'production') && x) { exports.maybe = 1 }
    exports.always = 1;
    """
    assert set(lex(source, mode="production").names) == {"always"}
    assert set(lex(source, mode="development").names) == {"devHelper", "maybe", "always"}


def test_reexport_chain_relative_and_bare() -> None:
    result = cjs_exports(CJS / "chain" / "index.js", mode="development", resolve_require=node_modules_require)
    assert {"fromA", "fromB", "fromC", "fromOther"} <= result.names
    assert [p.name for p in result.files] == ["index.js", "a.js", "b.js", "c.js", "main.js"]


def test_bare_reexport_without_resolver_is_skipped() -> None:
    result = cjs_exports(CJS / "chain" / "index.js", mode="development")
    assert result.names == {"fromA", "fromB", "fromC"}


def test_cycle() -> None:
    result = cjs_exports(CJS / "cycle" / "index.js", mode="development")
    assert result.names == {"one", "two"}
    assert len(result.files) == 2


def test_babel_package() -> None:
    result = cjs_exports(CJS / "babel" / "lib" / "index.js", mode="development")
    assert result.es_module
    assert {"Main", "getterPlain", "getterMethod", "getterArrow", "valued", "util", "helper"} <= result.names
    assert "getterUnsafe" not in result.names


def test_reexported_esm_contributes_nothing() -> None:
    assert cjs_exports(CJS / "esm-reexport" / "index.js", mode="development").names == frozenset()


def test_es_module_follows_whole_reexport() -> None:
    source = CJS / "babel" / "lib" / "main.js"
    assert cjs_exports(source, mode="development").es_module
