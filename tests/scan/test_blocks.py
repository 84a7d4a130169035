"""Script blocks of HTML, Vue and Svelte files, and the imports read from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from prebundle.scanner.blocks import script_blocks
from prebundle.scanner.extract import extract_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "extract"


def found(path: str, source: str | bytes) -> list[tuple[str, int, str]]:
    data = source.encode() if isinstance(source, str) else source
    result = extract_file(path, data)
    assert result.warnings == (), result.warnings
    return [(r.specifier, r.line, r.kind) for r in result.imports]


# -- fixtures -----------------------------------------------------------------------------


def test_html_fixture() -> None:
    assert found("index.html", (FIXTURES / "index.html").read_bytes()) == [
        ("/src/main.ts", 14, "script"),
        ("./src/other.js?v=1&x=2", 16, "script"),
        ("vue", 21, "static"),
        ("./src/pages/*.js", 23, "glob"),
        ("./src/lazy.js", 24, "dynamic"),
    ]


def test_vue_fixture() -> None:
    assert found("App.vue", (FIXTURES / "App.vue").read_bytes()) == [
        ("vue", 11, "static"),
        ("vue", 18, "static"),
        ("./Child.vue", 19, "static"),
        ("./Lazy.vue", 21, "dynamic"),
    ]


def test_svelte_fixture() -> None:
    assert found("Widget.svelte", (FIXTURES / "Widget.svelte").read_bytes()) == [
        ("svelte/store", 3, "static"),
        ("svelte", 8, "static"),
        ("./Button.svelte", 9, "static"),
    ]


# -- HTML ---------------------------------------------------------------------------------

HTML = [
    ('<script type="module" src="/a.js"></script>', [("/a.js", 1, "script")]),
    ("<script type='module' src='/a.js'></script>", [("/a.js", 1, "script")]),
    ("<script type=module src=/a.js></script>", [("/a.js", 1, "script")]),
    ('<script src="/a.js" type="module"></script>', [("/a.js", 1, "script")]),
    ('<SCRIPT TYPE="MODULE" SRC="/a.js"></SCRIPT>', [("/a.js", 1, "script")]),
    ('<script\n  type="module"\n  src="/a.js"\n></script>', [("/a.js", 3, "script")]),
    ('<script type=" module " src=" /a.js "></script>', [("/a.js", 1, "script")]),
    ('<script type="module" src="/a.js?x=1&amp;y=2"></script>', [("/a.js?x=1&y=2", 1, "script")]),
    ('<script type="module" data-x="a > b" src="/a.js"></script>', [("/a.js", 1, "script")]),
    # A src is a URL relative to the page, never a package; one a template fills in is no file here.
    ('<script type="module" src="main.js"></script>', [("./main.js", 1, "script")]),
    ('<script type="module" src="js/app.js?v=2"></script>', [("./js/app.js?v=2", 1, "script")]),
    ('<script type="module" src="https://cdn.example/x.js"></script>', [("https://cdn.example/x.js", 1, "script")]),
    ("<script type=\"module\" src=\"{% static 'shop/main.js' %}\"></script>", []),
    ("<script type=\"module\" src=\"{{ url_for('static', filename='main.js') }}\"></script>", []),
    ('<script type="module" src="<%= asset_path("main.js") %>"></script>', []),
    ('<script type="module" src="/a.js" />', [("/a.js", 1, "script")]),
    ('<script type="module" src="/a.js">import "ignored-when-src"</script>', [("/a.js", 1, "script")]),
    ('<script type="module">\nimport a from "a"\n</script>', [("a", 2, "static")]),
    ('<script type="module">import a from "a"</SCRIPT >', [("a", 1, "static")]),
    ('<script type="module" lang="ts">import type {T} from "t"; import a from "a"; a()</script>', [("a", 1, "static")]),
    ('<script type="module">require("x"); const s = "</scri" + "pt>"</script>', []),
    # Classic scripts, with or without src, are not modules.
    ('<script src="/classic.js"></script>', []),
    ('<script type="text/javascript" src="/classic.js"></script>', []),
    ("<script>import a from 'a'</script>", []),
    ('<script type="importmap">{"imports": {"a": "./a.js"}}</script>', []),
    ('<script type="modulex" src="/a.js"></script>', []),
    ('<scripts type="module" src="/a.js"></scripts>', []),
    # Comments.
    ('<!-- <script type="module" src="/a.js"></script> -->', []),
    ('<!--\n<script type="module">import a from "a"</script>\n-->', []),
    ('<!-- unterminated <script type="module" src="/a.js"></script>', []),
    # Raw-text elements hide tags.
    ('<textarea><script type="module" src="/a.js"></script></textarea>', []),
    ('<style>/* <script type="module" src="/a.js"></script> */</style>', []),
    ('<title><script type="module" src="/a.js"></script></title><script type="module" src="/b.js"></script>', [("/b.js", 1, "script")]),
    # Unterminated tags and blocks run to the end of the file.
    ('<script type="module">\nimport a from "a"', [("a", 2, "static")]),
    ('<script type="module" src="/a.js"', [("/a.js", 1, "script")]),
]


@pytest.mark.parametrize(("source", "expected"), HTML)
def test_html(source: str, expected: list) -> None:
    assert found("index.html", "<!doctype html>\n<html><head>".replace("\n", "") + source) == expected


def test_html_lines() -> None:
    source = (
        "<!doctype html>\n"  # 1
        "<html>\n"  # 2
        '<script type="module" src="/first.js"></script>\n'  # 3
        "<body>\n"  # 4
        '<script type="module">\n'  # 5
        "\n"  # 6
        "  import a from 'a'\n"  # 7
        "  import('b')\n"  # 8
        "</script>\n"  # 9
        '<script type="module">import c from "c"</script>\n'  # 10
        '<script type="module" src="/last.js"></script>\n'  # 11
    )
    assert found("index.htm", source) == [
        ("/first.js", 3, "script"),
        ("a", 7, "static"),
        ("b", 8, "dynamic"),
        ("c", 10, "static"),
        ("/last.js", 11, "script"),
    ]


def test_html_syntax_error_names_the_html_line() -> None:
    source = '<html>\n<script type="module">\nimport a from "a"\nlet = ;\n</script>\n'
    result = extract_file("index.html", source.encode())
    assert [r.specifier for r in result.imports] == ["a"]
    assert result.warnings == ("index.html:4: syntax error; imports recovered where possible",)


# -- Vue ----------------------------------------------------------------------------------

VUE = [
    ("<script>\nimport a from 'a'\n</script>", [("a", 2, "static")]),
    ("<script setup>\nimport a from 'a'\n</script>", [("a", 2, "static")]),
    (
        "<script setup lang=\"ts\">\nimport type { T } from 't'\nimport a from 'a'\n</script>",
        [("a", 3, "static")],
    ),
    (
        "<script lang='ts'>\nexport default {}\n</script>\n<script setup lang='ts'>\nimport b from 'b'\n</script>",
        [("b", 5, "static")],
    ),
    ("<script lang=\"tsx\">\nconst f = <T,>(x: T) => <div>{a(x)}</div>\nimport a from 'a'\n</script>", [("a", 3, "static")]),
    ("<script lang=\"jsx\">\nimport a from 'a'\nconst el = <div>import x from 'no'</div>\n</script>", [("a", 2, "static")]),
    ("<script setup src=\"./logic.ts\"></script>", [("./logic.ts", 1, "static")]),
    ("<script setup src=\"./logic.ts\" />", [("./logic.ts", 1, "static")]),
    ("<script>const a = require('a')</script>", [("a", 1, "require")]),
    ("<script>const a = require('a')</script><script setup>import b from 'b'</script>", [("b", 1, "static")]),
    ("<template><script>import a from 'a'</script></template>", []),
    ("<template><template v-if='x'></template><script>import a from 'a'</script></template>", []),
    ("<template><div/></template>\n<script>import a from 'a'</script>", [("a", 2, "static")]),
    ("<template>\n  <template v-if='x' />\n  <script>import a from 'a'</script>\n</template>", []),
    ("<style>\n.x { content: '<script>import a from \"a\"</script>' }\n</style>", []),
    ("<docs><script>import a from 'a'</script></docs>", []),
    ("<!-- <script>import a from 'a'</script> -->", []),
    ("<script type=\"text/x-template\">import a from 'a'</script>", []),
]


@pytest.mark.parametrize(("source", "expected"), VUE)
def test_vue(source: str, expected: list) -> None:
    assert found("Comp.vue", source) == expected


def test_vue_unknown_lang_is_reported() -> None:
    result = extract_file("Comp.vue", b"<template/>\n<script lang=\"coffee\">\nimport a from 'a'\n</script>\n")
    assert result.imports == ()
    assert result.warnings == ('Comp.vue:2: <script lang="coffee"> is not scanned',)


# -- Svelte -------------------------------------------------------------------------------

SVELTE = [
    ("<script>\nimport a from 'a'\n</script>", [("a", 2, "static")]),
    ("<script context=\"module\">\nimport a from 'a'\n</script>", [("a", 2, "static")]),
    ("<script module>\nimport a from 'a'\n</script>", [("a", 2, "static")]),
    (
        "<script context=\"module\" lang=\"ts\">\nimport type {T} from 't'\nimport a from 'a'\n</script>\n"
        "<script lang=\"ts\">\nimport b from './B.svelte'\n</script>",
        [("a", 3, "static"), ("./B.svelte", 6, "static")],
    ),
    ("<svelte:head><script src=\"/cdn.js\"></script></svelte:head>", []),
    ("<p>import a from 'a'</p>", []),
    ("<!-- <script>import a from 'a'</script> -->", []),
]


@pytest.mark.parametrize(("source", "expected"), SVELTE)
def test_svelte(source: str, expected: list) -> None:
    assert found("Comp.svelte", source) == expected


# -- the block scanner ----------------------------------------------------------------------


def test_block_offsets_and_attributes() -> None:
    data = b"<x></x>\n<script setup lang=TS data-a='1' bare>\nbody\n</script>"
    (block,) = script_blocks(data, "vue")
    assert data[block.start : block.end] == b"\nbody\n"
    assert block.attrs == {"setup": "", "lang": "TS", "data-a": "1", "bare": ""}
    assert block.line == 2


def test_first_duplicate_attribute_wins() -> None:
    (block,) = script_blocks(b'<script type="module" type="text/plain"></script>', "html")
    assert block.attrs["type"] == "module"


@pytest.mark.parametrize("flavor", ["html", "vue", "svelte"])
@pytest.mark.parametrize(
    "data",
    [b"", b"<", b"<script", b"<script ", b"<script a='", b'<script a="x', b"<!--", b"<template", b"</", b"<script>\xff\xfe"],
)
def test_truncated_markup(flavor, data: bytes) -> None:
    for block in script_blocks(data, flavor):
        assert 0 <= block.start <= block.end <= len(data)
