"""Import extraction from JavaScript and TypeScript sources: tables of small inputs."""

from __future__ import annotations

import pytest

from prebundle.scanner.extract import extract_file
from prebundle.scanner.records import FileImports, ImportRecord


def found(path: str, source: str | bytes) -> list[tuple[str, int, str]]:
    data = source.encode() if isinstance(source, str) else source
    result = extract_file(path, data)
    assert result.warnings == (), result.warnings
    return [(r.specifier, r.line, r.kind) for r in result.imports]


STATIC = [
    ("import x from 'a'", "a"),
    ('import x from "a"', "a"),
    ("import {a} from 'a'", "a"),
    ("import {a as b, c} from 'a'", "a"),
    ("import x, {a} from 'a'", "a"),
    ("import x, * as n from 'a'", "a"),
    ("import * as n from 'a'", "a"),
    ("import 'a'", "a"),
    ("import {} from 'a'", "a"),
    ("export * from 'a'", "a"),
    ("export {x} from 'a'", "a"),
    ("export {x as default, y} from 'a'", "a"),
    ("export * as ns from 'a'", "a"),
    ("import data from './a.json' with { type: 'json' }", "./a.json"),
    ("import x from '@scope/pkg/sub/path.js'", "@scope/pkg/sub/path.js"),
    ("import x from '\\x61b\\u{63}'", "abc"),
    ("import x from 'caf\u00e9'", "caf\u00e9"),
    ("import\n  x\nfrom\n  'a'", "a"),
]


USE_BINDINGS = "\nuse(x, a, b, c, n, y, t)"
"""A value use of every name the tables bind: TypeScript would drop an import used only as types."""


@pytest.mark.parametrize("ext", [".js", ".mjs", ".jsx", ".ts", ".mts", ".tsx"])
@pytest.mark.parametrize(("source", "specifier"), STATIC)
def test_static_import_forms(ext: str, source: str, specifier: str) -> None:
    line = source.count("\n", 0, source.index("'" if "'" in source else '"')) + 1
    # `import {} from 'a'` binds nothing: TypeScript drops it (esbuild too).
    kind = "elidable" if ext in (".ts", ".mts", ".tsx") and source.startswith("import {}") else "static"
    assert found("mod" + ext, source + USE_BINDINGS) == [(specifier, line, kind)]


DYNAMIC = [
    ("import('a')", [("a", 1, "dynamic")]),
    ('import("a")', [("a", 1, "dynamic")]),
    ("import(`a`)", [("a", 1, "dynamic")]),
    ("import(/* webpackChunkName: 'x' */ 'a')", [("a", 1, "dynamic")]),
    ("import('./a.json', { with: { type: 'json' } })", [("./a.json", 1, "dynamic")]),
    ("const m = await import(\n  './lazy.js'\n)", [("./lazy.js", 2, "dynamic")]),
    ("export default () => import('./page')", [("./page", 1, "dynamic")]),
    ("import(name)", []),
    ("import(`./pages/${name}.js`)", []),
    ("import('a' + b)", []),
    ("import()", []),
    ("import('')", []),
]


@pytest.mark.parametrize("ext", [".js", ".ts", ".tsx"])
@pytest.mark.parametrize(("source", "expected"), DYNAMIC)
def test_dynamic_import(ext: str, source: str, expected: list) -> None:
    assert found("mod" + ext, source) == expected


GLOB = [
    ("import.meta.glob('./dir/*.js')", [("./dir/*.js", 1, "glob")]),
    (
        "const m = import.meta.glob(['./a/*.js', '!./a/skip.js'], { eager: true })",
        [("./a/*.js", 1, "glob"), ("!./a/skip.js", 1, "glob")],
    ),
    ("import.meta.glob([\n  './a/*.ts',\n  './b/**/*.ts',\n])", [("./a/*.ts", 2, "glob"), ("./b/**/*.ts", 3, "glob")]),
    ("import.meta.glob(`./t/*.js`)", [("./t/*.js", 1, "glob")]),
    ("import.meta.glob(pattern)", []),
    # A module worker's file is the app's code, crawled as Vite bundles it; other URLs are not.
    ("new Worker(new URL('./w.js', import.meta.url), { type: 'module' })", [("./w.js", 1, "static")]),
    ("new SharedWorker(new URL(`../s.js`, import.meta.url))", [("../s.js", 1, "static")]),
    ("new Worker(new URL('https://cdn.example/w.js', import.meta.url))", []),
    ("new Worker(new URL('./' + name, import.meta.url))", []),
    ("const logo = new URL('./logo.png', import.meta.url)", []),
    ("new Other(new URL('./w.js', import.meta.url))", []),
    ("new Worker(options, new URL('./w.js', import.meta.url))", []),
    # A file's JSX runtime, as esbuild takes it from a comment; not from a string.
    ("/** @jsxImportSource @emotion/react */\nexport {}", [("@emotion/react", 1, "jsx")]),
    ("export const s = '@jsxImportSource nope'", []),
    ("import.meta.url; import.meta.env.DEV", []),
    ("other.meta.glob('./x/*.js')", []),
]


@pytest.mark.parametrize("ext", [".js", ".ts"])
@pytest.mark.parametrize(("source", "expected"), GLOB)
def test_import_meta_glob(ext: str, source: str, expected: list) -> None:
    assert found("mod" + ext, source) == expected


REQUIRE = [
    ("a.cjs", "const a = require('a')", [("a", 1, "require")]),
    ("a.js", "const a = require('a');\nmodule.exports = a", [("a", 1, "require")]),
    ("a.ts", "const a = require('a')", [("a", 1, "require")]),
    ("a.cts", "const a = require('a')", [("a", 1, "require")]),
    ("a.js", "require(\"a\"); require(`b`)", [("a", 1, "require"), ("b", 1, "require")]),
    # An ESM statement makes the file ESM: require() is not followed.
    ("a.js", "import x from 'x'\nconst a = require('a')", [("x", 1, "static")]),
    ("a.js", "export const y = 1\nconst a = require('a')", []),
    ("a.ts", "import type {T} from 't'\nconst a = require('a')", []),
    ("a.mjs", "const a = require('a')", []),
    ("a.mts", "const a = require('a')", []),
    # .cjs is CommonJS whatever it contains.
    ("a.cjs", "const a = require('a')\nconst b = import('b')", [("a", 1, "require"), ("b", 2, "dynamic")]),
    # Only a direct call with a literal counts.
    ("a.cjs", "require(name); require.resolve('r'); obj.require('o'); require('a' + b)", []),
    # A dynamic import does not make a file ESM.
    ("a.js", "import('b'); require('a')", [("b", 1, "dynamic"), ("a", 1, "require")]),
]


@pytest.mark.parametrize(("path", "source", "expected"), REQUIRE)
def test_require_only_in_commonjs(path: str, source: str, expected: list) -> None:
    assert found(path, source) == expected


DECLARING_EXPORTS = [
    # Once a source is known to be a module, `export const` and the like are not looked up in
    # the tree; until then they are (one in a comment or string must not make it ESM).
    ("a.js", "// export const x = 1\nconst a = require('a')", [("a", 2, "require")]),
    ("a.js", "const s = 'export default 1'\nconst a = require('a')", [("a", 2, "require")]),
    ("a.js", "/* export\nfunction */ const a = require('a')\nexport const y = 1", []),
    ("a.js", "export const y = 1\nexport * from 'b'\nexport default function f() { return import('c') }",
     [("b", 2, "static"), ("c", 3, "dynamic")]),
    ("a.js", "export default 1\nexport {x} from 'b'\nexport async function f() {}", [("b", 2, "static")]),
    ("a.ts", "export type T = 1\nexport interface I {}\nexport type { A } from 'types'\nexport * from 'b'",
     [("b", 4, "static")]),
    ("a.ts", "export const y = 1\nimport z = require('z')", [("z", 2, "static")]),
    ("a.js", "export constant from 'a'", None),  # not a declaration: looked up (and a syntax error)
]


@pytest.mark.parametrize(("path", "source", "expected"), DECLARING_EXPORTS)
def test_declaring_exports(path: str, source: str, expected: list | None) -> None:
    if expected is None:
        result = extract_file(path, source.encode())
        assert result.warnings and "syntax error" in result.warnings[0]
    else:
        assert found(path, source) == expected


def test_declaring_exports_in_a_broken_source_are_still_looked_up() -> None:
    """Error recovery can hang the next statement on a declaration (``,`` then a line
    break): the keyword is looked up as before, and the re-export is recovered."""
    result = extract_file("a.ts", b"import a from './a'\nexport const x = 1,\nexport * from './s'\n")
    assert [r.specifier for r in result.imports] == ["./a", "./s"]
    assert result.warnings == ("a.ts:2: syntax error; imports recovered where possible",)


SPLIT_EXPORT_FROM = [
    # `from` on a line of its own: valid (no semicolon is inserted before `from`), and what
    # esbuild reads as a re-export; tree-sitter's grammars end the statement at the newline.
    ("a.js", "export {x}\n  from 'b'", [("b", 2, "static")]),
    ("a.ts", "export { x, y }\nfrom\n  \"b\"", [("b", 3, "static")]),
    ("a.tsx", "export {x}\n  from 'b'\nexport const z = 1", [("b", 2, "static")]),
    ("a.ts", "export type {X}\n  from 'types'", []),
    ("a.js", "export {x}\nfrom('b')", []),  # a call, not a re-export
    ("a.js", "export {x};\nfrom('b')", []),
    ("a.ts", "import a from './a'\nexport type { A }\n  from './types'\n", [("./a", 1, "static")]),
    # `export` alone on its line: the grammars read a name and a block.
    ("a.js", "export\n  {a as b} from 'm'", [("m", 2, "static")]),
    ("a.ts", "export\n{ a,\n  b }\nfrom\n  'm'\nconst x = 1", [("m", 5, "static")]),
    ("a.tsx", "export\n  * from 'm'", [("m", 2, "static")]),
]


@pytest.mark.parametrize(("path", "source", "expected"), SPLIT_EXPORT_FROM)
def test_export_with_from_on_the_next_line(path: str, source: str, expected: list) -> None:
    assert found(path, source) == expected


def test_a_split_export_from_does_not_hide_a_real_syntax_error() -> None:
    result = extract_file("a.js", b"export {x}\n  from 'b'\nconst y = ;\n")
    assert [(r.specifier, r.line) for r in result.imports] == [("b", 2)]
    assert result.warnings == ("a.js:3: syntax error; imports recovered where possible",)


@pytest.mark.parametrize("tail", [" 1", " 'n'", " - 1"])
@pytest.mark.parametrize("head", ["export {x}\nfrom", "export\n{x} from"])
def test_a_split_export_from_that_goes_on_is_a_syntax_error(head: str, tail: str) -> None:
    result = extract_file("a.js", f"{head} 'm'{tail}\n".encode())
    assert result.warnings == ("a.js:2: syntax error; imports recovered where possible",)


@pytest.mark.parametrize(("path", "source"), [
    ("a.js", "import data from './a.json'\n  with { type: 'json' }\n"),
    ("a.ts", "export { default } from './a.json'\n  assert { type: 'json' }\n"),
])
def test_import_attributes_on_the_next_line(path: str, source: str) -> None:
    assert found(path, source) == [("./a.json", 1, "static")]


def test_a_with_after_a_finished_import_is_a_syntax_error() -> None:
    result = extract_file("a.js", b"import x from 'm';\nwith { }\n")
    assert result.warnings == ("a.js:2: syntax error; imports recovered where possible",)


DECOYS = [
    "// import a from 'line-comment'",
    "/* import a from 'block-comment' */",
    "/**\n * import('doc-comment')\n * require('doc')\n */",
    "const s = \"import a from 'double-string'\"",
    "const s = 'import(\"single-string\")'",
    "const t = `import a from 'template'`",
    "const t = `\n  import('template-multiline')\n`",
    "const t = `${x} import b from 'template-with-sub' ${y}`",
    "const r = /import a from 'regex'/",
    "const r = /require\\('regex'\\)/g",
    "const o = { import: 1, export: 2, require: 3 }",
    "o.import('method'); o.require('method')",
    "const importer = 1; const exported = 2; const requirement = 3",
    "$import('dollar'); require_('underscore')",
]


@pytest.mark.parametrize("ext", [".js", ".cjs", ".ts", ".tsx"])
@pytest.mark.parametrize("source", DECOYS)
def test_decoys_are_not_imports(ext: str, source: str) -> None:
    source += "\nimport real from 'real'\nreal()"
    assert found("decoy" + ext, source) == [("real", source.count("\n"), "static")]


def test_jsx_text_is_not_an_import() -> None:
    source = "import React from 'react'\nexport const A = () => <p>import x from 'jsx-text' require('no')</p>\n"
    assert found("a.jsx", source) == [("react", 1, "static")]
    assert found("a.js", source) == [("react", 1, "static")]
    assert found("a.tsx", source) == [("react", 1, "static")]


def test_jsx_in_plain_js_file() -> None:
    source = "import React from 'react'\nconst el = <div className=\"x\">{items.map(i => <Item key={i} />)}</div>\nimport('./lazy')\n"
    assert found("a.js", source) == [("react", 1, "static"), ("./lazy", 3, "dynamic")]


def test_tsx_generics() -> None:
    source = "const id = <T,>(x: T) => x\nimport a from 'a'\nconst f = <T extends object>(x: T) => <div>{String(a)}</div>\nimport('b')\n"
    assert found("a.tsx", source) == [("a", 2, "static"), ("b", 4, "dynamic")]


def test_ts_generics_and_casts() -> None:
    source = "const x = <string>y\nimport a from 'a'\nfunction f<T>(x: T): T { return a(x) }\nexport { f }\n"
    assert found("a.ts", source) == [("a", 2, "static")]


TYPE_ONLY = [
    ("import type X from 'a'", []),
    ("import type {X} from 'a'", []),
    ("import type * as NS from 'a'", []),
    ("export type {X} from 'a'", []),
    ("export type * from 'a'", []),
    ("export type * as T from 'a'", []),
    ("import { type X, type Y } from 'a'", []),
    ("export { type X } from 'a'", []),
    ("import type z = require('a')", []),
    ("import { type X, y } from 'a'", [("a", 1, "static")]),
    ("import x, { type X } from 'a'", [("a", 1, "static")]),
    ("export { type X, y } from 'a'", [("a", 1, "static")]),
    # `type` as the name of a binding, not the modifier.
    ("import type from 'a'", [("a", 1, "static")]),
    ("import { type } from 'a'", [("a", 1, "static")]),
    ("import { type as t } from 'a'", [("a", 1, "static")]),
    # TS `import x = require()` is a runtime import.
    ("import x = require('a')", [("a", 1, "static")]),
]


@pytest.mark.parametrize("ext", [".ts", ".tsx", ".mts", ".cts"])
@pytest.mark.parametrize(("source", "expected"), TYPE_ONLY)
def test_type_only_imports(ext: str, source: str, expected: list) -> None:
    assert found("a" + ext, source + USE_BINDINGS + "\nuse(type)") == expected


def test_ambient_module_declarations_are_types() -> None:
    source = "declare module 'virtual:x' {\n  import y from 'y'\n  export * from 'z'\n}\nimport a from 'a'\na()\n"
    assert found("a.ts", source) == [("a", 5, "static")]


@pytest.mark.parametrize("path", ["types.d.ts", "types.d.mts", "types.d.cts", "Types.D.TS"])
def test_declaration_files_yield_nothing(path: str) -> None:
    assert extract_file(path, b"import a from 'a'\nexport * from 'b'\n") == FileImports()


def test_records_are_in_source_order() -> None:
    source = (
        "import a from 'a'\n"
        "export * from 'b'\n"
        "const c = () => import('c')\n"
        "const g = import.meta.glob('./g/*.js')\n"
        "import 'd'\n"
    )
    assert found("a.js", source) == [
        ("a", 1, "static"),
        ("b", 2, "static"),
        ("c", 3, "dynamic"),
        ("./g/*.js", 4, "glob"),
        ("d", 5, "static"),
    ]


def test_returns_file_imports() -> None:
    result = extract_file("src/a.ts", b"import a from 'a'\na()")
    assert result == FileImports((ImportRecord("a", 1, "static"),), ())


@pytest.mark.parametrize("path", ["a.css", "a.json", "README.md", "Makefile", "a.js.map", "a.d"])
def test_other_extensions_yield_nothing(path: str) -> None:
    assert extract_file(path, b"import a from 'a'") == FileImports()


def test_extension_is_case_insensitive() -> None:
    assert found("A.JS", "import a from 'a'") == [("a", 1, "static")]


def test_files_without_keywords_are_not_parsed() -> None:
    assert found("a.js", "const x = 1 +") == []  # no keyword: the syntax error is never seen


def test_crlf_line_endings() -> None:
    assert found("a.js", "// x\r\n\r\nimport a from 'a'\r\nimport('b')\r\n") == [("a", 3, "static"), ("b", 4, "dynamic")]


def test_utf8_bom_and_hashbang() -> None:
    assert found("a.js", b"\xef\xbb\xbf#!/usr/bin/env node\nimport a from 'a'\n") == [("a", 2, "static")]


def test_non_ascii_source() -> None:
    source = "// \u65e5\u672c\u8a9e \U0001f600\nconst \u00e9 = '\u00e9'; import a from 'a'\n"
    assert found("a.js", source) == [("a", 2, "static")]


# -- syntax errors ------------------------------------------------------------------------

SYNTAX_ERRORS = [
    (
        "a.js",
        "import a from 'a'\nfunction f( {\nimport b from 'b'\nconst x = import('c')\nexport * from 'd'\n",
        2,
        [("a", 1, "static"), ("b", 3, "static"), ("c", 4, "dynamic"), ("d", 5, "static")],
    ),
    ("a.js", "import a from 'a'\n\nlet x = 1 +;\nimport b from 'b'\n", 3, [("a", 1, "static"), ("b", 4, "static")]),
    ("a.ts", "import a from 'a'\nconst x: = 3\nexport { y } from 'y'\n", 2, [("a", 1, "static"), ("y", 3, "static")]),
    ("a.js", "import a from 'a'\nif (x {\n  import('lazy')\n", 2, [("a", 1, "static"), ("lazy", 3, "dynamic")]),
    ("a.cjs", "const a = require('a')\nconst = ;\nconst b = require('b')\n", 2, [("a", 1, "require"), ("b", 3, "require")]),
]


@pytest.mark.parametrize(("path", "source", "error_line", "expected"), SYNTAX_ERRORS)
def test_syntax_errors_recover_imports(path: str, source: str, error_line: int, expected: list) -> None:
    result = extract_file(path, source.encode())
    assert [(r.specifier, r.line, r.kind) for r in result.imports] == expected
    assert result.warnings == (f"{path}:{error_line}: syntax error; imports recovered where possible",)


def test_legacy_import_assertions_are_recovered() -> None:
    # `assert {...}` predates `with {...}`; the grammar rejects it but the import is kept.
    result = extract_file("a.js", b"import data from './a.json' assert { type: 'json' }\nimport b from 'b'\n")
    assert [(r.specifier, r.line) for r in result.imports] == [("./a.json", 1), ("b", 2)]


def test_export_from_with_attributes_is_recovered() -> None:
    # The grammar has import attributes on `import` only; the re-export is read from the text.
    result = extract_file("a.js", b"export { default } from './a.json' with { type: 'json' }\n")
    assert [(r.specifier, r.line, r.kind) for r in result.imports] == [("./a.json", 1, "static")]


def test_recovery_skips_type_only_imports() -> None:
    result = extract_file("a.ts", b"const x: = 1\nimport type { T } from 't'\nimport v from 'v'\n")
    assert [r.specifier for r in result.imports] == ["v"]


# -- bad input ----------------------------------------------------------------------------


def test_non_utf8_bytes() -> None:
    result = extract_file("a.js", b"// caf\xe9 \xff\xfe\nimport a from 'a'\nimport b from 'b\xe9'\n")
    assert [(r.specifier, r.line) for r in result.imports] == [("a", 2), ("b\ufffd", 3)]


def test_nul_bytes() -> None:
    result = extract_file("a.js", b"import a from 'a'\n\x00\x00\x00\nimport b from 'b'\n")
    assert [r.specifier for r in result.imports] == ["a", "b"]
    assert result.warnings == ("a.js:2: syntax error; imports recovered where possible",)


@pytest.mark.parametrize("ext", [".js", ".ts", ".tsx", ".vue", ".svelte", ".html"])
def test_empty_file(ext: str) -> None:
    assert extract_file("empty" + ext, b"") == FileImports()


def test_file_over_the_size_limit_is_skipped() -> None:
    result = extract_file("big.js", b"import a from 'a'\n" + b" " * 100, max_bytes=50)
    assert result.imports == ()
    assert result.warnings == ("big.js:1: file is larger than 50 bytes; not scanned",)


def test_huge_single_line() -> None:
    data = b"import a from 'a';" + b"var x = [1, 'two', {three: 3}];" * 60_000 + b"import('b')"
    result = extract_file("a.js", data)
    assert [(r.specifier, r.line, r.kind) for r in result.imports] == [("a", 1, "static"), ("b", 1, "dynamic")]
    assert result.warnings == ()


def test_deeply_nested_code() -> None:
    depth = 50_000
    data = b"import a from 'a'\nx = " + b"[" * depth + b"import('b')" + b"]" * depth + b"\n"
    result = extract_file("a.js", data)
    assert [r.specifier for r in result.imports] == ["a", "b"]


def test_deeply_nested_unclosed_code() -> None:
    result = extract_file("a.js", b"import a from 'a'\nf(" + b"{(" * 50_000)
    assert [r.specifier for r in result.imports] == ["a"]
    assert result.warnings and result.warnings[0].startswith("a.js:")
