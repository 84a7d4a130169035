"""The deps of ``prebundle build``: decided beside the app's bundle, from the last build's memo
while nothing they depend on changed (``build_memo.py``), and copied into ``dist/deps`` as hard
links that later builds never change."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.app.build import build_app
from prebundle.app.build_memo import MEMO_NAME
from prebundle.app.entries import page_files
from prebundle.scanner.crawl import find_entries
from tests.support.apps import make_app

from .conftest import run_cli

MAIN = """\
import classNames from "classnames";
import { greet } from "./greet";
document.body.className = classNames(greet("build"));
"""
GREET = 'export function greet(name: string): string {\n  return "hello " + name;\n}\n'


@pytest.fixture
def app(tmp_path: Path, monkeypatch) -> Path:
    """A small app over classnames; stamps are trusted at once (files change right after a build
    here)."""
    monkeypatch.setattr("prebundle.scanner.snapshot.RACY_NS", 0)
    return make_app(tmp_path / "app", MAIN, entry="src/main.ts", hand_packages=False,
                    extra={"src/greet.ts": GREET})


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rebuild_takes_the_deps_from_the_memo(app: Path) -> None:
    first = build_app(load_config(app))
    assert first.deps.optimize is not None and (app / "node_modules/.vite/build" / MEMO_NAME).is_file()
    deps = tree(app / "dist" / "deps")

    second = build_app(load_config(app))
    assert second.deps.optimize is None and second.deps.up_to_date
    assert (second.deps.ids, second.deps.files, second.deps.bytes) == (first.deps.ids, first.deps.files,
                                                                       first.deps.bytes)
    assert second.deps.bytes > 0
    assert tree(app / "dist" / "deps") == deps

    (app / "src" / "greet.ts").write_text(GREET.replace("hello ", "hi "))  # the same imports
    third = build_app(load_config(app))
    assert third.deps.optimize is None
    assert tree(app / "dist" / "deps") == deps
    main = third.manifest["src/main.ts"]["file"]
    assert main != first.manifest["src/main.ts"]["file"] and "hi " in (app / "dist" / main).read_text()


def test_a_new_import_takes_the_full_path(app: Path) -> None:
    build_app(load_config(app))
    greet = 'import dayjs from "dayjs";\n' + GREET.replace('"hello "', "dayjs().format()")
    (app / "src" / "greet.ts").write_text(greet)
    result = build_app(load_config(app))
    assert result.deps.optimize is not None and "dayjs" in result.deps.ids
    assert "dayjs" in json.loads((app / "dist" / "deps" / "importmap.json").read_text())["imports"]
    assert build_app(load_config(app)).deps.optimize is None  # remembered again


def test_a_changed_package_json_takes_the_full_path(app: Path) -> None:
    build_app(load_config(app))
    manifest = json.loads((app / "package.json").read_text())
    (app / "package.json").write_text(json.dumps({**manifest, "description": "changed"}))
    assert build_app(load_config(app)).deps.optimize is not None


def test_another_config_takes_the_full_path(app: Path) -> None:
    build_app(load_config(app))
    (app / "pyproject.toml").write_text('[tool.prebundle]\ndefine = { __FLAG__ = "true" }\n')
    assert build_app(load_config(app)).deps.optimize is not None
    assert build_app(load_config(app)).deps.optimize is None


def test_dist_deps_are_links_later_builds_never_change(app: Path) -> None:
    build_app(load_config(app))
    cache = app / "node_modules" / ".vite" / "build" / "deps"
    names = [p.name for p in cache.iterdir() if p.is_file()]
    assert names and all(os.path.samefile(cache / name, app / "dist" / "deps" / name) for name in names)
    (app / "dist").rename(app / "dist-before")
    before = tree(app / "dist-before")

    (app / "pyproject.toml").write_text('[tool.prebundle]\ndefine = { __FLAG__ = "true" }\n')  # deps rebuilt
    assert build_app(load_config(app)).deps.optimize is not None
    assert tree(app / "dist-before") == before


def test_the_deps_line_names_their_size_when_reused(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", MAIN, entry="src/main.ts", hand_packages=False, extra={"src/greet.ts": GREET})
    lines = []
    for _ in range(3):
        done = run_cli("build", str(root), cache=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
        lines.append(next(line for line in done.stdout.splitlines() if line.startswith("dist/deps/:")))
    assert "optimized in" in lines[0] and "reused in" in lines[1] and lines[1] == lines[2]
    assert lines[1].replace("reused", "optimized") == lines[0]


def test_a_missing_package_is_named_beside_the_bundle(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", 'import nope from "not-installed";\nconsole.log(nope);\n', entry="src/main.ts",
                    hand_packages=False)
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: src/main.ts:1: cannot resolve 'not-installed': package \"not-installed\" is not installed (no "
        "node_modules/not-installed)",
        "error: install the missing packages with: npm install not-installed",
    ]


@pytest.mark.parametrize("entries", [(), ("pages/*.html",), ("src/main.ts",)])
def test_pages_are_those_the_scan_starts_from(tmp_path: Path, entries: tuple[str, ...]) -> None:
    root = make_app(tmp_path / "app", MAIN, entry="src/main.ts", hand_packages=False, extra={
        "src/greet.ts": GREET, "pages/a.html": "<p>a</p>\n", "pages/b.htm": "<p>b</p>\n",
        "dist/old.html": "<p>out</p>\n", "node_modules/.vite/x.html": "<p>cache</p>\n",
    })
    config = load_config(root, overrides={"entries": list(entries)} if entries else None)
    assert page_files(config) == find_entries(config)
