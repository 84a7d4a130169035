"""``extract_file`` never raises, whatever the bytes: random, truncated, mutated, binary, huge."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prebundle.scanner.extract import extract_file
from prebundle.scanner.records import FileImports

REPO = Path(__file__).resolve().parents[2]
REAL_FILES = [
    "fixtures/npm/node_modules/react/cjs/react-jsx-runtime.development.js",
    "fixtures/npm/node_modules/react/cjs/react.production.js",
    "fixtures/npm/node_modules/lodash-es/debounce.js",
    "fixtures/npm/node_modules/lodash-es/_baseClone.js",
    "fixtures/npm/node_modules/dayjs/esm/index.js",
    "fixtures/npm/node_modules/preact/src/create-element.js",
    "fixtures/scan/extract/index.html",
    "fixtures/scan/extract/App.vue",
    "fixtures/scan/extract/Widget.svelte",
]
INLINE = {
    "inline.ts": b"""import type { A } from './a'
import { type B, c } from './c'
import x = require('x')
export type * from './types'
export * as ns from 'ns'
enum E { A = 1 }
abstract class K<T extends object = {}> implements I { private x?: T; constructor(public y: number) { super() } }
const f = async <T,>(v: T): Promise<T> => (await import(`./lazy`), v)
const g = import.meta.glob<{ default: string }>(['./p/*.ts', '!./p/x.ts'], { eager: true })
declare module 'ambient' { import y from 'z' }
""",
    "inline.tsx": b"""import React, { useState } from 'react'
export function App<T,>({ items }: { items: T[] }) {
  const [n, setN] = useState<number>(0)
  return <ul onClick={() => setN(n + 1)}>{items.map((i, k) => <li key={k}>{String(i)} import x from 'no'</li>)}</ul>
}
const Lazy = React.lazy(() => import('./Lazy'))
""",
}

EXTENSIONS = [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".html", ".vue", ".svelte", ".txt"]
TOKENS = [
    b"import",
    b"export",
    b"require(",
    b"import(",
    b"import.meta.glob(",
    b"from",
    b"type ",
    b"'",
    b'"',
    b"`",
    b"${",
    b"/*",
    b"*/",
    b"//",
    b"/",
    b"\n",
    b"{",
    b"}",
    b"(",
    b")",
    b"<",
    b">",
    b"<script>",
    b'<script type="module">',
    b"</script>",
    b"<!--",
    b"-->",
    b"<template>",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\\",
    "\u2028".encode(),
]


@pytest.fixture(scope="module")
def corpus(npm_modules: Path) -> list[tuple[str, bytes]]:
    files = [(Path(rel).name, (REPO / rel).read_bytes()) for rel in REAL_FILES]
    return files + list(INLINE.items())


def check(path: str, data: bytes) -> FileImports:
    result = extract_file(path, data)
    assert isinstance(result, FileImports)
    lines = data.count(b"\n") + 1
    for record in result.imports:
        assert record.specifier and isinstance(record.specifier, str)
        record.specifier.encode("utf-8")  # no lone surrogates
        assert 1 <= record.line <= lines
        assert record.kind in ("static", "elidable", "dynamic", "require", "glob", "script", "jsx")
    for warning in result.warnings:
        assert warning.startswith(f"{path}:")
        assert "could not scan" not in warning, warning  # the last-resort guard never fired
    return result


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    prefix=st.sampled_from([b"", b"import a from 'a'\n", b'<script type="module">import a from "a"\n']),
    data=st.binary(max_size=4096),
    ext=st.sampled_from(EXTENSIONS),
)
def test_random_bytes(prefix: bytes, data: bytes, ext: str) -> None:
    # The prefix holds a keyword, so that the bytes reach the parser.
    check("random" + ext, prefix + data)


@FUZZ
@given(
    parts=st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=8), st.text(max_size=8).map(str.encode)), max_size=200),
    ext=st.sampled_from(EXTENSIONS),
)
def test_token_soup(parts: list[bytes], ext: str) -> None:
    check("soup" + ext, b" ".join(parts))


@FUZZ
@given(choice=st.integers(min_value=0), cut=st.floats(min_value=0, max_value=1), ext=st.sampled_from(EXTENSIONS))
def test_truncated_real_files(corpus, choice: int, cut: float, ext: str) -> None:
    name, data = corpus[choice % len(corpus)]
    check(name + ext, data[: int(len(data) * cut)])


@st.composite
def mutations(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        (
            draw(st.floats(min_value=0, max_value=1)),
            draw(st.sampled_from(["insert", "delete", "replace"])),
            draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16))),
            draw(st.integers(min_value=1, max_value=64)),
        )
        for _ in range(count)
    ]


@FUZZ
@given(choice=st.integers(min_value=0), edits=mutations(), keep_ext=st.booleans(), ext=st.sampled_from(EXTENSIONS))
def test_mutated_real_files(corpus, choice: int, edits, keep_ext: bool, ext: str) -> None:
    name, data = corpus[choice % len(corpus)]
    buf = bytearray(data)
    for where, op, token, length in edits:
        at = int(len(buf) * where)
        if op == "insert":
            buf[at:at] = token
        elif op == "delete":
            del buf[at : at + length]
        else:
            buf[at : at + len(token)] = token
    check(name if keep_ext else name + ext, bytes(buf))


@settings(max_examples=8, deadline=None)
@given(chunk=st.sampled_from([b"a", b"import('x');", b"'", b"`${", b"(", b"/*", b"\xff", b"<script type=module>"]), ext=st.sampled_from(EXTENSIONS))
def test_huge_single_lines(chunk: bytes, ext: str) -> None:
    check("huge" + ext, b"import a from 'a';" + chunk * (1_000_000 // len(chunk)))


@pytest.mark.parametrize("ext", [".js", ".ts", ".tsx"])
def test_deep_nesting(ext: str) -> None:
    for opener in (b"(", b"[", b"{", b"`${", b"<a>"):
        check("deep" + ext, b"import a from 'a'\n" + opener * 40_000)


def test_binary_file_under_a_script_name() -> None:
    data = bytes(range(256)) * 400 + b"import a from 'a'"
    check("binary.js", data)
