"""Options to flags: a table of small inputs and the flags main.js would send."""

from __future__ import annotations

import re

import pytest

from prebundle.esbuild._options import build_request, go_regexp, transform_request

LOG = ["--log-level=warning", "--log-limit=0"]


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({"bundle": True, "splitting": True, "metafile": True},
         ["--bundle", "--splitting", "--metafile"]),
        ({"bundle": False}, []),
        ({"format": "esm", "platform": "browser", "outdir": "out"},
         ["--format=esm", "--platform=browser", "--outdir=out"]),
        ({"define": {"process.env.NODE_ENV": '"production"'}},
         ['--define:process.env.NODE_ENV="production"']),
        ({"target": "es2020"}, ["--target=es2020"]),
        ({"target": ["es2020", "chrome100"]}, ["--target=es2020,chrome100"]),
        ({"main_fields": ["browser", "module"], "conditions": ["development"]},
         ["--main-fields=browser,module", "--conditions=development"]),
        ({"external": ["react", "vue"]}, ["--external:react", "--external:vue"]),
        ({"loader": {".png": "file"}, "out_extension": {".js": ".mjs"}},
         ["--loader:.png=file", "--out-extension:.js=.mjs"]),
        ({"sourcemap": True}, ["--sourcemap"]),
        ({"sourcemap": "inline"}, ["--sourcemap=inline"]),
        ({"tree_shaking": False, "keep_names": True}, ["--tree-shaking=false", "--keep-names"]),
        ({"supported": {"bigint": False}}, ["--supported:bigint=false"]),
        ({"tsconfig_raw": {"compilerOptions": {}}}, ['--tsconfig-raw={"compilerOptions":{}}']),
        ({"jsx": "automatic", "jsx_import_source": "preact", "jsx_dev": True},
         ["--jsx=automatic", "--jsx-import-source=preact", "--jsx-dev"]),
        ({"entry_names": "[name]-[hash]", "chunk_names": "c/[hash]", "public_path": "/x"},
         ["--public-path=/x", "--entry-names=[name]-[hash]", "--chunk-names=c/[hash]"]),
        ({"drop": ["console"], "pure": ["f"], "legal_comments": "none", "charset": "utf8"},
         ["--legal-comments=none", "--charset=utf8", "--drop:console", "--pure:f"]),
        ({"mangle_props": re.compile("_$")}, ["--mangle-props=_$"]),
        ({"alias": {"a": "b"}, "inject": ["./shim.js"], "banner": {"js": "//x"}},
         ["--alias:a=b", "--banner:js=//x", "--inject:./shim.js"]),
        ({"packages": "external", "resolve_extensions": [".ts", ".js"]},
         ["--packages=external", "--resolve-extensions=.ts,.js"]),
        ({"log_level": "silent"}, None),
    ],
    ids=lambda v: repr(v)[:60],
)
def test_build_flags(options, flags):
    request = build_request(options, cwd="/tmp")
    if flags is None:
        assert request["flags"] == ["--log-level=silent", "--log-limit=0"]
    else:
        assert request["flags"] == LOG + flags


def test_build_request_fields():
    request = build_request({
        "entry_points": {"out/name": "src/a.js"}, "write": False, "abs_working_dir": "/w",
        "stdin": {"contents": "x", "loader": "ts", "resolve_dir": "/r", "sourcefile": "s.ts"},
        "node_paths": ["/np"], "mangle_cache": {"_a": "a", "_b": False},
    })
    assert request["entries"] == [["out/name", "src/a.js"]]
    assert request["write"] is False and request["absWorkingDir"] == "/w"
    assert request["stdinContents"] == b"x"  # bytes: a str would be silently ignored
    assert request["stdinResolveDir"] == "/r"
    assert "--loader=ts" in request["flags"] and "--sourcefile=s.ts" in request["flags"]
    assert request["nodePaths"] == ["/np"]
    assert request["mangleCache"] == {"_a": "a", "_b": False}
    assert build_request({"entry_points": ["a.js"]})["entries"] == [["", "a.js"]]
    assert build_request({})["absWorkingDir"].startswith("/")
    assert "mangleCache" not in build_request({})


def test_transform_flags():
    request = transform_request("x", {"loader": "tsx", "sourcemap": True, "banner": "/*b*/"})
    assert request["flags"] == ["--log-level=silent", "--log-limit=0", "--sourcemap=external",
                                "--loader=tsx", "--banner=/*b*/"]
    assert request["input"] == b"x" and request["inputFS"] is False


@pytest.mark.parametrize("name", ["bogus", "entryPoints", "outDir"])
def test_unknown_option_is_a_type_error(name):
    with pytest.raises(TypeError, match=name):
        build_request({name: 1})


def test_unknown_transform_option_is_a_type_error():
    with pytest.raises(TypeError, match="bundle"):
        transform_request("x", {"bundle": True})


@pytest.mark.parametrize(
    "options",
    [{"bundle": "yes"}, {"define": {"a": 1}}, {"external": "react"}, {"write": 1},
     {"supported": {"x": "true"}}, {"entry_points": 5}],
    ids=repr,
)
def test_wrong_types_are_type_errors(options):
    with pytest.raises(TypeError):
        build_request(options)


@pytest.mark.parametrize(
    "options",
    [{"target": ["es2020,chrome1"]}, {"main_fields": ["a,b"]}, {"conditions": ["x,y"]},
     {"resolve_extensions": [".a,.b"]}],
    ids=repr,
)
def test_comma_in_joined_list_is_a_value_error(options):
    with pytest.raises(ValueError, match="comma"):
        build_request(options)


def test_key_with_equals_is_a_value_error():
    with pytest.raises(ValueError):
        build_request({"define": {"a=b": "1"}})


@pytest.mark.parametrize(
    "pattern",
    [r"^(?=foo)", r"(?!x)y", r"(?<=a)b", r"(?<!a)b", r"(a)\1", r"(?P<n>a)(?P=n)", r"(?>ab)",
     r"a++", r"a*+", r"a{2}+", ""],
    ids=repr,
)
def test_filters_re2_cannot_take(pattern):
    with pytest.raises(ValueError):
        go_regexp(pattern)


@pytest.mark.parametrize(
    ("pattern", "source"),
    [
        (r"^virtual:", r"^virtual:"),
        (r"\.css$", r"\.css$"),
        (r"[(?=]", r"[(?=]"),  # inside a class these are plain characters
        (r"\\1", r"\\1"),  # an escaped backslash, then a digit
        (r"a+b?", r"a+b?"),
        (re.compile(r"^x", re.I), r"(?i)^x"),
        (re.compile(r"a.b", re.S | re.M), r"(?ms)a.b"),
    ],
    ids=repr,
)
def test_filters_re2_accepts(pattern, source):
    assert go_regexp(pattern) == source
