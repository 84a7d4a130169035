"""``resolve_exports``: Node's exports algorithm as a pure function over the parsed field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prebundle.resolve import ExportsError, resolve_exports

BROWSER = frozenset({"browser", "import", "module", "default", "development"})


@pytest.mark.parametrize(
    ("exports", "subpath", "target"),
    [
        ("./index.js", ".", "./index.js"),
        (["./a.js", "./b.js"], ".", "./a.js"),
        ({"import": "./esm.js", "require": "./cjs.js"}, ".", "./esm.js"),
        ({"require": "./cjs.js", "default": "./any.js"}, ".", "./any.js"),
        ({".": {"node": {"import": "./n.mjs"}, "browser": {"import": "./b.mjs"}}}, ".", "./b.mjs"),
        ({".": {"browser": {"require": "./x.cjs"}, "default": "./d.js"}}, ".", "./d.js"),
        ({"./a": "./a.js", "./*": "./src/*.js"}, "./a", "./a.js"),
        ({"./*": "./src/*.js"}, "./x/y", "./src/x/y.js"),
        ({"./*": "./src/*.js", "./x/*": "./x-src/*.js"}, "./x/y", "./x-src/y.js"),
        ({"./x/*": "./one/*.js", "./x/*.js": "./two/*.js"}, "./x/y.js", "./two/y.js"),
        ({"./*.js": "./dist/*.mjs"}, "./a/b.js", "./dist/a/b.mjs"),
        ({"./*": "./same.js"}, "./anything", "./same.js"),
        ({"./*": "./a/*/b/*.js"}, "./q", "./a/q/b/q.js"),
        ({"./dir/": "./lib/"}, "./dir/x.js", "./lib/x.js"),
        ({".": [{"worker": "./w.js"}, "./fallback.js"]}, ".", "./fallback.js"),
        ({".": [None, "./after-null.js"]}, ".", "./after-null.js"),
        ({".": ["bad", "./good.js"]}, ".", "./good.js"),
    ],
)
def test_targets(exports: Any, subpath: str, target: str) -> None:
    assert resolve_exports(exports, subpath, BROWSER) == target


@pytest.mark.parametrize(
    ("exports", "subpath", "message"),
    [
        ("./index.js", "./x", 'does not export "./x"'),
        ({"./a": "./a.js"}, ".", 'does not export "."'),
        ({}, ".", 'does not export "."'),
        ({".": None}, ".", "blocked by null"),
        ({".": [None]}, ".", "blocked by null"),
        ({".": []}, ".", "blocked by null"),
        ({"./*": "./*.js", "./private/*": None}, "./private/x", "blocked by null"),
        ({"./*": "./src/*.js"}, "./", 'does not export "./"'),
        ({"./x/*.js": "./x/*.js"}, "./x/.js", 'does not export "./x/.js"'),
        ({".": {"require": "./c.js", "node": "./n.js"}}, ".", "active: browser, default"),
        ({".": "../up.js"}, ".", 'invalid "exports" target "../up.js"'),
        ({".": "./a/../../up.js"}, ".", "invalid"),
        ({".": "./node_modules/x/index.js"}, ".", "invalid"),
        ({".": "lodash"}, ".", "invalid"),
        ({".": 42}, ".", "invalid"),
        ({"./*": "./src/*.js"}, "./../x", 'does not allow "../x"'),
        ({"./*": "./src/*.js"}, "./a/node_modules/b", "does not allow"),
        ({".": "./a.js", "import": "./b.js"}, ".", "mixes"),
    ],
)
def test_errors(exports: Any, subpath: str, message: str) -> None:
    with pytest.raises(ExportsError, match=message.replace("(", r"\(")):
        resolve_exports(exports, subpath, BROWSER)


def test_condition_key_order_is_the_objects_own() -> None:
    exports = {".": {"module": "./m.js", "import": "./i.js", "browser": "./b.js"}}
    assert resolve_exports(exports, ".", BROWSER) == "./m.js"
    assert resolve_exports(exports, ".", {"browser"}) == "./b.js"


def test_arrays_prefer_an_existing_target() -> None:
    exports = {".": ["./missing.js", "./there.js"]}
    assert resolve_exports(exports, ".", BROWSER) == "./missing.js"
    exists = {"./there.js"}.__contains__
    assert resolve_exports(exports, ".", BROWSER, exists=exists) == "./there.js"
    # nothing exists: the first valid target, for the caller's "no such file" error
    assert resolve_exports(exports, ".", BROWSER, exists=lambda _: False) == "./missing.js"


segment = st.text(alphabet="abcxyz-_.0123", min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..")
)


@given(st.lists(segment, min_size=1, max_size=4))
def test_pattern_substitutes_any_safe_match(parts: list[str]) -> None:
    match = "/".join(parts)
    exports = {"./features/*.js": {"browser": "./dist/browser/*.mjs", "default": "./dist/*.cjs"}}
    assert resolve_exports(exports, f"./features/{match}.js", BROWSER) == (
        f"./dist/browser/{match}.mjs"
    )
    assert resolve_exports(exports, f"./features/{match}.js", {"node"}) == f"./dist/{match}.cjs"
