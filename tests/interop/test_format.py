"""ESM vs CommonJS detection (Vite's ``needsInterop`` rule 2: es-module-lexer's ``hasModuleSyntax``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle.interop import has_module_syntax, needs_interop
from prebundle.interop.format import _has_commonjs_use, _has_module_word

from ._support import NPM


@pytest.mark.parametrize(
    "source,esm",
    [
        ("import x from 'y';", True),
        ("import 'side-effect';", True),
        ("export const a = 1;", True),
        ("export default 1;", True),
        ("export * from './x';", True),
        ("const u = import.meta.url;", True),
        ("const m = import('./lazy.js');", False),
        ("module.exports = require('./x');", False),
        ("// import x from 'y'\nexports.a = 1;", False),
        ("var s = 'export default 1';", False),
        ("function f() { return new.target; }", False),
        ("", False),
    ],
)
def test_has_module_syntax(source: str, esm: bool) -> None:
    assert has_module_syntax(source.encode()) is esm


@pytest.mark.parametrize(
    "entry,expected",
    [
        ("react/index.js", True),
        ("react-dom/client.js", True),
        ("lodash-es/lodash.js", False),
        ("moment/moment.js", True),
        ("dayjs/dayjs.min.js", True),
        ("classnames/index.js", True),
        ("lodash/lodash.js", True),
    ],
)
def test_needs_interop_real_packages(entry: str, expected: bool) -> None:
    path = NPM / entry
    assert path.is_file(), path
    assert needs_interop(path) is expected


def test_preact_module_entry_is_esm() -> None:
    manifest = json.loads((NPM / "preact" / "package.json").read_text())
    entry = NPM / "preact" / manifest["module"]
    assert needs_interop(entry) is False
    # Decided by the syntax, not only by the .mjs name:
    assert has_module_syntax(entry.read_bytes())


def test_extension_decides(tmp_path: Path) -> None:
    (tmp_path / "empty.mjs").write_text("console.log(1)")
    (tmp_path / "empty.js").write_text("console.log(1)")
    assert needs_interop(tmp_path / "empty.mjs") is False
    assert needs_interop(tmp_path / "empty.js") is True


# The words ``import``/``export`` are found with bytes.find: the same answer as the regex it
# replaced, ``\b(?:import|export)\b``, on any text.

_WORD_REGEX = re.compile(rb"\b(?:import|export)\b")
_WORD_CASES = [b"", b"import", b"export", b"exports.a = 1", b"reimport", b"import_", b"_export", b"x.export()",
               b"module.exports", b"// import", b"importexport", b"export\n", b"9import", b"\xffimport\xff",
               b"imp" + b"ort", b"exportexports export"]


@pytest.mark.parametrize("source", _WORD_CASES)
def test_module_word_matches_the_regex_on_cases(source):
    assert _has_module_word(source) == bool(_WORD_REGEX.search(source))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"import", b"export", b"s", b"_", b"a", b"0", b" ", b".", b"\n", b"\xc3\xa9", b"$"]),
                max_size=12).map(b"".join))
def test_module_word_matches_the_regex(source):
    assert _has_module_word(source) == bool(_WORD_REGEX.search(source))


# Uses of CommonJS are found with bytes.find too: the same answer as the regex it replaced.

_COMMONJS_REGEX = re.compile(rb"\bmodule\s*\.\s*exports\b|\bexports\s*(?:[.\[]|=[^=])|\brequire\s*\(|\bdefine\s*\(")
_COMMONJS_CASES = [b"", b"module.exports = 1", b"module . exports", b"module.exportsx", b"xmodule.exports", b"exports.a",
                   b"exports [0]", b"exports = 1", b"exports == 1", b"exports", b"require('a')", b"require \n(",
                   b"_require(", b"define(", b"redefine(", b"defined(", b"module\n.\texports\n", b"\xffrequire(",
                   b"module.module.exports", b"exportsexports.a", b"requirerequire("]


@pytest.mark.parametrize("source", _COMMONJS_CASES)
def test_commonjs_use_matches_the_regex_on_cases(source):
    assert _has_commonjs_use(source) == bool(_COMMONJS_REGEX.search(source))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from([b"module", b"exports", b"require", b"define", b".", b" ", b"\n", b"(", b"[", b"=",
                                 b"_", b"a", b"$", b"\xc3\xa9"]), max_size=12).map(b"".join))
def test_commonjs_use_matches_the_regex(source):
    assert _has_commonjs_use(source) == bool(_COMMONJS_REGEX.search(source))
