"""``prebundle build`` on small apps: a failed build keeps the previous output, source maps in
each mode, entries and manifest path from the config, a stylesheet entry, and a build beside a
running development daemon."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.app.build import build_app
from prebundle.integrations.vite_manifest import find_out_dir
from prebundle.scanner import scan
from tests.support.apps import make_app
from tests.support.daemon import Daemon

from .conftest import plain_app, png, run_cli

MAIN = """\
import "/@prebundle/modulepreload-polyfill.js";
import { greet } from "./greet";
document.body.dataset.greeting = greet("build");
"""
GREET = "export function greet(name: string): string {\n  return `hello ${name}`;\n}\n"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_keeps_the_previous_output(tmp_path: Path) -> None:
    root = plain_app(tmp_path / "app", {"src/main.ts": MAIN, "src/greet.ts": GREET})
    assert run_cli("build", str(root), cache=tmp_path / "cache").returncode == 0
    before = tree(root / "dist")

    (root / "src" / "greet.ts").write_text("export function greet(name: string): string {\n  return (;\n}\n")
    failed = run_cli("build", str(root), "--log-level", "warning", cache=tmp_path / "cache")
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == ['error: src/greet.ts:2:10: Unexpected ";"']
    assert tree(root / "dist") == before
    assert sorted(p.name for p in root.iterdir()) == ["dist", "index.html", "node_modules", "src"]


def test_output_dir_from_the_command_line(tmp_path: Path) -> None:
    root = plain_app(tmp_path / "app", {"src/main.ts": MAIN, "src/greet.ts": GREET})
    done = run_cli("build", str(root), "--out-dir", "public/build", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((root / "public/build/.prebundle/manifest.json").read_text())
    assert (root / "public/build" / manifest["src/main.ts"]["file"]).is_file()
    assert not (root / "dist").exists()


@pytest.mark.parametrize("mode", ["linked", "inline", "hidden", "none"])
def test_source_maps(tmp_path: Path, mode: str) -> None:
    main = MAIN + 'import logo from "./logo.png";\ndocument.body.dataset.logo = logo;\n'
    root = plain_app(tmp_path, {"src/main.ts": main, "src/greet.ts": GREET, "src/logo.png": png(1, 1, (9, 9, 9))})
    result = build_app(load_config(root, overrides={"build": {"sourcemap": mode}}))
    file = result.manifest["src/main.ts"]["file"]
    code = (result.out_dir / file).read_text()
    map_file = result.out_dir / (file + ".map")
    comment = re.search(r"//# sourceMappingURL=(\S+)\s*$", code)
    if mode == "none":
        assert comment is None and not map_file.exists()
        return
    if mode == "inline":
        assert not map_file.exists()
        data = json.loads(base64.b64decode(comment.group(1).split("base64,", 1)[1]))
    else:
        data = json.loads(map_file.read_text())
        assert (comment.group(1) if comment else None) == (Path(file).name + ".map" if mode == "linked" else None)
    sources = [(map_file.parent / source).resolve() for source in data["sources"]]
    assert root / "src" / "greet.ts" in sources  # relative to the map, wherever dist is moved
    assert GREET in data["sourcesContent"]
    assert str(tmp_path) not in json.dumps(data)  # no folder of this machine
    assert f"{file}.map" not in json.dumps(result.manifest)


def test_entries_and_manifest_path_from_the_config(tmp_path: Path) -> None:
    page_a = 'import React from "react";\nexport const a = React.version;\nimport "./shared";\n'
    root = make_app(tmp_path / "app", page_a, entry="src/pages/a.ts", html="<p>no scripts here</p>\n",
                    hand_packages=False, extra={
                        "src/pages/b.ts": 'import "./shared";\nexport const b = 2;\n',
                        "src/pages/shared.ts": "console.log('shared');\n",
                        "src/theme.css": "@font-face { font-family: f; src: url(./f.woff2); }\nbody { color: red; }\n",
                        "src/f.woff2": b"wOF2 not really a font",
                        "src/logo.png": png(1, 1, (0, 0, 0)),
                    })
    (root / "pyproject.toml").write_text('[tool.prebundle.build]\nentries = ["src/pages/{a,b}.ts", "src/theme.css"]\n'
                                         'manifest = ".vite/manifest.json"\n')
    result = build_app(load_config(root))
    path = root / "dist" / ".vite" / "manifest.json"
    manifest = json.loads(path.read_text())
    assert find_out_dir(path) == root / "dist"
    [shared] = [key for key in manifest if key.startswith("_")]
    assert manifest["src/pages/a.ts"]["imports"] == manifest["src/pages/b.ts"]["imports"] == [shared]
    assert manifest["src/pages/a.ts"]["isEntry"] and manifest["src/pages/b.ts"]["isEntry"]
    theme = manifest["src/theme.css"]
    assert list(theme) == ["file", "name", "names", "src", "isEntry", "assets"]
    assert (theme["name"], theme["names"], theme["src"]) == ("theme", ["theme.css"], "src/theme.css")
    assert theme["assets"] == [manifest["src/f.woff2"]["file"]]
    assert re.fullmatch(r"assets/theme-[A-Z0-9]{8}\.css", theme["file"])
    assert "src/logo.png" not in manifest  # not imported by anything built
    assert "react" in json.loads((root / "dist" / "deps" / "importmap.json").read_text())["imports"]
    assert [entry.key for entry in result.entries] == ["src/pages/a.ts", "src/pages/b.ts", "src/theme.css"]


def test_missing_script_of_a_page_is_named(tmp_path: Path) -> None:
    root = plain_app(tmp_path / "app", {"index.html": '<p>x</p>\n<script type="module" src="/src/nope.ts"></script>\n'})
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 1
    assert done.stderr.startswith('error: index.html:2: <script type="module" src="/src/nope.ts">: no such file '
                                  "src/nope.ts")


def test_scan_does_not_report_the_polyfill_import(tmp_path: Path) -> None:
    root = plain_app(tmp_path, {"src/main.ts": MAIN, "src/greet.ts": GREET})
    result = scan(load_config(root))
    assert result.missing == {} and result.deps == {}
    assert {path.name for path in result.files} >= {"main.ts", "greet.ts"}


def test_build_beside_a_running_daemon(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", 'import classNames from "classnames";\nconsole.log(classNames("a"));\n',
                    entry="src/main.ts", hand_packages=False)
    daemon = Daemon(root).wait_listening()
    try:
        daemon.wait_state("ready")
        served = root / "node_modules" / ".vite" / "deps" / "_metadata.json"
        before = (served.stat().st_ino, served.read_bytes())
        done = run_cli("build", str(root), cache=tmp_path / "cache")
        assert done.returncode == 0, done.stderr
        assert (served.stat().st_ino, served.read_bytes()) == before  # the daemon's deps are untouched
        assert json.loads(served.read_text())["optimized"]["classnames"]["file"] == "classnames.js"
        imports = json.loads((root / "dist" / "deps" / "importmap.json").read_text())["imports"]
        assert re.search(r"/classnames-[A-Z0-9]{8}\.js\?v=", imports["classnames"])  # production
        assert daemon.status()["state"] == "ready"
    finally:
        daemon.stop()


def test_top_level_await_builds_for_the_default_targets_and_an_older_target_is_refused(tmp_path: Path) -> None:
    # As Vite 8: its default browsers run top-level await, so the build keeps it; a target
    # chosen lower gets esbuild's error, naming the file.
    root = plain_app(tmp_path / "app", {"src/main.ts": "const n: number = await Promise.resolve(7);\n"
                                                       "document.body.dataset.n = String(n);\n"})
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((root / "dist" / ".prebundle" / "manifest.json").read_text())
    assert "await Promise.resolve(7)" in (root / "dist" / manifest["src/main.ts"]["file"]).read_text()
    (root / "prebundle.config.py").write_text('config = {"build": {"target": ["es2020"]}}\n')
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 1 and "src/main.ts:1:" in done.stderr and "Top-level await" in done.stderr, done.stderr
