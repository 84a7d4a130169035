"""Imports TypeScript erases: ``import('x')`` in a type, and imports whose bindings are used
only as types (``import { JSONSchema7 } from 'json-schema'`` with types from ``@types/...``).
Neither is a runtime import, so neither may fail a scan; and the install hint names only
packages that are not installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prebundle.scanner.extract import extract_file
from tests.support.apps import write_tree

PREBUNDLE = Path(sys.executable).parent / "prebundle"
PAGE = '<script type="module" src="/src/main.ts"></script>\n'
TYPES_ONLY = {  # installed, no JS entry: what csstype looks like
    "node_modules/csstype/package.json": '{"name": "csstype", "version": "3.2.4", "main": "", "types": "index.d.ts"}',
    "node_modules/csstype/index.d.ts": "export interface Properties { color?: string }\n",
}
LIB = {
    "node_modules/lib/package.json": '{"name": "lib", "version": "1.0.0", "main": "index.js"}',
    "node_modules/lib/index.js": "export default 1;\nexport const value = 2;\n",
}


def prebundle(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREBUNDLE_TIMESTAMP_SLACK_MS": "0"}
    return subprocess.run([str(PREBUNDLE), *args], cwd=root, capture_output=True, text=True, timeout=120, env=env)


def scan_json(root: Path) -> tuple[int, dict]:
    done = prebundle(root, "scan", "--json")
    return done.returncode, json.loads(done.stdout)


def errors(root: Path) -> tuple[int, list[str]]:
    done = prebundle(root, "scan")
    return done.returncode, done.stderr.strip().splitlines()


def records(path: str, source: str) -> list[tuple[str, int, str]]:
    result = extract_file(path, source.encode())
    assert result.warnings == (), result.warnings
    return [(r.specifier, r.line, r.kind) for r in result.imports]


# -- import('x') in a type ------------------------------------------------------------------

IMPORT_TYPES = [
    ("type Node = import('estree').Node", []),
    ("type Q = typeof import('x')", []),
    ("type Y = import('x')", []),
    ("let s: { c?: import('x').Snippet } = {}", []),  # Svelte 5 $props() typing
    ("declare global { interface Window { x: typeof import('x') } }", []),
    ("declare module 'm' { const y: import('x').T }", []),
    ("declare namespace N { const m: typeof import('x') }", []),
    ("interface I { m(): import('x').T }", []),
    ("function g(): Promise<typeof import('x')> { return f() }", []),
    ("class C implements Foo<import('x').T> {}", []),
    ("const f = <T extends import('x').T>() => 1", []),
    ("let z = v as import('x').T", []),
    ("let z = v satisfies import('x').T", []),
    # Value positions still count, next to types or inside generic calls.
    ("let a = await import('v')", [("v", 1, "dynamic")]),
    ("const v = foo<T>(import('v'))", [("v", 1, "dynamic")]),
    ("function f(a: import('x').T = import('v')) {}", [("v", 1, "dynamic")]),
    ("let z = import('v') as Promise<import('x').T>", [("v", 1, "dynamic")]),
    ("let q = import('v') satisfies import('x').T", [("v", 1, "dynamic")]),
    ("function g(): Promise<typeof import('x')> { return import('v') }", [("v", 1, "dynamic")]),
    ("namespace N { export const m = import('v') }", [("v", 1, "dynamic")]),
]


@pytest.mark.parametrize("ext", [".ts", ".tsx"])
@pytest.mark.parametrize(("source", "expected"), IMPORT_TYPES)
def test_import_in_a_type_is_no_import(ext: str, source: str, expected: list) -> None:
    assert records("a" + ext, source) == expected


def test_a_scan_with_import_types_of_packages_not_installed_succeeds(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": (
            "type Node = import('estree').Node\n"
            "declare global { interface Window { x: typeof import('global-types') } }\n"
            "let s: { c?: import('svelte').Snippet } = {}\n"
            "const n: Node = { type: 'EmptyStatement' }\n"
            "export const lazy = () => import('lib')\n"
        ),
        **LIB,
    })
    code, found = scan_json(root)
    assert code == 0
    assert list(found["deps"]) == ["lib"]
    assert found["missing"] == {}


# -- imports used only as types ---------------------------------------------------------------

ELISION = [
    # Bindings used only as types: TypeScript drops the import.
    ("import { A } from 'a'\nlet x: A", "elidable"),
    ("import A from 'a'\nlet x: A", "elidable"),
    ("import * as NS from 'a'\nlet x: NS.T", "elidable"),
    ("import { A } from 'a'\nlet x: typeof A", "elidable"),
    ("import { A } from 'a'\nlet x: typeof A.b", "elidable"),
    ("import { A } from 'a'\nclass C implements A {}", "elidable"),
    ("import { A } from 'a'\ninterface I extends A {}", "elidable"),
    ("import { A } from 'a'\nlet y = x as A", "elidable"),
    ("import { A } from 'a'\nlet y = f<A>()", "elidable"),
    ("import { A } from 'a'\ndeclare const x: A", "elidable"),
    ("import { A } from 'a'\ndeclare global { const y: typeof A }", "elidable"),
    ("import { A } from 'a'\nexport type { A }", "elidable"),
    ("import { A } from 'a'\nexport { type A }", "elidable"),
    ("import { A } from 'a'\nexport { A } from 'b'", "elidable"),  # b's A, not ours
    ("import { A } from 'a'\nlet o = { A: 1 }; o.A", "elidable"),  # property names
    ("import { A } from 'a'\n// A()\nlet s = 'A'", "elidable"),
    ("import A, { type B } from 'a'\nlet x: A", "elidable"),
    ("import {} from 'a'", "elidable"),
    ("import { A, B } from 'a'\nlet x: A = B", "static"),  # one binding used as a value is enough
    # Value uses keep it.
    ("import { A } from 'a'\nA()", "static"),
    ("import { A } from 'a'\nexport { A }", "static"),
    ("import { A as B } from 'a'\nexport default B", "static"),
    ("import * as NS from 'a'\nNS.f()", "static"),
    ("import { A } from 'a'\nlet o = { A }", "static"),
    ("import { A } from 'a'\nclass C extends A {}", "static"),
    ("import { A } from 'a'\nenum E { X = A }", "static"),
    ("import { A } from 'a'\nnamespace N { export const y = A }", "static"),
    ("import { A } from 'a'\n@A class C {}", "static"),
    ("import { A } from 'a'\nif (typeof A === 'function') {}", "static"),
    ("let x: A\nimport { A } from 'a'\nA()", "static"),
    # Never dropped: side effects, re-exports, CommonJS-style, relative imports.
    ("import 'a'", "static"),
    ("export { A } from 'a'", "static"),
    ("export * from 'a'", "static"),
    ("import A = require('a')\nlet x: A", "static"),
    ("import { A } from './a'\nlet x: A", "static"),
]


@pytest.mark.parametrize("ext", [".ts", ".mts", ".cts", ".tsx"])
@pytest.mark.parametrize(("source", "kind"), ELISION)
def test_imports_used_only_as_types_are_elidable(ext: str, source: str, kind: str) -> None:
    specifier = "./a" if "'./a'" in source else "a"
    assert [(spec, k) for spec, _line, k in records("a" + ext, source) if spec == specifier] == [(specifier, kind)]


def test_jsx_uses_its_components_and_react() -> None:
    assert records("a.tsx", "import { A } from 'a'\nconst x = <A />") == [("a", 1, "static")]
    # The classic JSX transform refers to React without naming it.
    assert records("a.tsx", "import React from 'react'\nconst x = <div />") == [("react", 1, "static")]


def test_plain_javascript_is_never_elided() -> None:
    assert records("a.js", "import { A } from 'a'") == [("a", 1, "static")]


@pytest.mark.parametrize(("path", "source", "kind"), [
    ("Comp.vue", "<script lang='ts'>\nimport { A } from 'a'\nlet x: A\n</script>", "elidable"),
    ("index.html", "<script type='module' lang='ts'>\nimport { A } from 'a'\nlet x: A\n</script>", "elidable"),
    # The template uses the imports of <script setup> and of Svelte's script, unseen by TypeScript.
    ("Comp.vue", "<script setup lang='ts'>\nimport { A } from 'a'\nlet x: A\n</script>", "static"),
    ("Comp.svelte", "<script lang='ts'>\nimport { A } from 'a'\nlet x: A\n</script>", "static"),
])
def test_script_blocks(path: str, source: str, kind: str) -> None:
    assert records(path, source) == [("a", 2, kind)]


def test_a_broken_source_elides_nothing() -> None:
    result = extract_file("a.ts", b"import { A } from 'a'\nlet x: A = ;\n")
    assert [(r.specifier, r.kind) for r in result.imports] == [("a", "static")]


ELIDE_APP = {
    "index.html": PAGE,
    "src/main.ts": (
        "import { JSONSchema7 } from 'json-schema'\n"
        "import { Properties } from 'csstype'\n"
        "import { value } from 'lib'\n"
        "const schema: JSONSchema7 = { type: 'object' }\n"
        "const style: Properties = { color: 'red' }\n"
        "console.log(schema, style, value)\n"
    ),
    **TYPES_ONLY, **LIB,
}


def test_packages_imported_only_for_types_are_not_missing(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", ELIDE_APP)
    code, found = scan_json(root)
    assert code == 0
    assert list(found["deps"]) == ["lib"]
    assert found["missing"] == {}


@pytest.mark.parametrize("options", [
    {"verbatimModuleSyntax": True},
    {"preserveValueImports": True},
    {"importsNotUsedAsValues": "preserve"},
])
def test_a_tsconfig_that_keeps_type_imports_keeps_them(tmp_path: Path, options: dict) -> None:
    root = write_tree(tmp_path / "app", {**ELIDE_APP, "tsconfig.json": json.dumps({"compilerOptions": options})})
    code, lines = errors(root)
    assert code == 1
    assert lines[0] == ("error: src/main.ts:2: cannot resolve 'csstype': package \"csstype\" has no entry file "
                        "(tried browser, module, main and index)")
    assert lines[1] == ("error: src/main.ts:1: cannot resolve 'json-schema': package \"json-schema\" is not "
                        "installed (no node_modules/json-schema)")
    assert lines[2:] == ["error: install the missing packages with: npm install json-schema"]


def test_an_edit_that_uses_the_binding_as_a_value_is_seen_by_the_next_scan(tmp_path: Path) -> None:
    """The snapshot reuses its result when no file's import records changed: the record says
    whether the import is used only as types, so this edit changes it."""
    root = write_tree(tmp_path / "app", ELIDE_APP)
    assert scan_json(root)[0] == 0
    time.sleep(0.02)
    main = root / "src/main.ts"
    main.write_text(main.read_text().replace("console.log(schema,", "console.log(JSONSchema7, schema,"))
    code, found = scan_json(root)
    assert code == 1
    assert list(found["missing"]) == ["json-schema"]
    assert found["missing"]["json-schema"]["importers"] == ["src/main.ts:1"]


# -- the install hint -------------------------------------------------------------------------

def test_the_install_hint_names_only_packages_that_are_not_installed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": (
            "import * as css from 'csstype'\n"
            "import nope from 'lib/nope'\n"
            "import gone from 'not-installed'\n"
            "console.log(css, nope, gone)\n"
        ),
        **TYPES_ONLY, **LIB,
    })
    code, lines = errors(root)
    assert code == 1
    assert lines == [
        "error: src/main.ts:1: cannot resolve 'csstype': package \"csstype\" has no entry file "
        "(tried browser, module, main and index)",
        "error: src/main.ts:2: cannot resolve 'lib/nope': package \"lib\" has no file \"./nope\"",
        "error: src/main.ts:3: cannot resolve 'not-installed': package \"not-installed\" is not installed "
        "(no node_modules/not-installed)",
        "error: install the missing packages with: npm install not-installed",
    ]


def test_no_install_hint_when_every_missing_package_is_installed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": "import * as css from 'csstype'\nconsole.log(css)\n",
        **TYPES_ONLY,
    })
    code, lines = errors(root)
    assert code == 1
    assert lines == ["error: src/main.ts:1: cannot resolve 'csstype': package \"csstype\" has no entry file "
                     "(tried browser, module, main and index)"]
