"""Bad inputs through the real CLI: one row per kind, each with the exit code a user must get and
the words its message must contain (the file and the cause).

Every row starts from a copy of one small app with a good deps dir, breaks one thing, runs
``prebundle`` and checks: the documented exit code (0 with a warning, 1 for errors, 2 for usage
errors), no traceback, the first ``error:``/``warning:`` line names the file and the cause, and
the deps dir is the previous good one byte for byte when the run fails, or consistent when it
succeeds. Rows with no words expected are inputs that are odd but valid: they must just work.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._common import deps_snapshot, run_cli, served_problems

__all__ = ["CASES", "Case", "Row", "run_case"]

DEPS = Path("node_modules/.vite/deps")


@dataclass(frozen=True)
class Case:
    kind: str
    setup: Callable[[Path], None]
    code: int
    expect: tuple[str, ...] = ()
    """Words the first ``error:``/``warning:``/``Error:`` line must contain; () = must just work."""
    args: Callable[[Path], list[str]] = lambda root: []
    slow: bool = False
    """Takes more than a few seconds (the 50 MB files): in the bench, not in the test."""
    own_cache: bool = False
    """Run with the machine-wide cache off, so the packages are really rebuilt."""


@dataclass(frozen=True)
class Row:
    kind: str
    code: int
    first_line: str
    problems: tuple[str, ...]
    seconds: float


# -- the breakages --------------------------------------------------------------------------------


def _write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return setup


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        with open(root / rel, "a", encoding="utf-8") as handle:
            handle.write(text)
    return setup


def _all(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for step in steps:
            step(root)
    return setup


def _package(name: str, files: dict[str, str | bytes], manifest: dict | str | None = None) -> Callable[[Path], None]:
    """A hand-made package in node_modules, imported from src/main.js."""
    manifest = manifest if manifest is not None else {"name": name, "version": "1.0.0", "main": "index.js"}
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    steps = [_write(f"node_modules/{name}/package.json", text)]
    steps += [_write(f"node_modules/{name}/{rel}", data) for rel, data in files.items()]
    return _all(*steps, _append("src/main.js", f"import '{name}'\n"))


def _truncate(rel: str, keep: float) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        data = (root / rel).read_bytes()
        (root / rel).write_bytes(data[: int(len(data) * keep)])
    return setup


def _unlink(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    return setup


def _folder(rel: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        path.mkdir(parents=True)
    return setup


def _fifo(rel: str) -> Callable[[Path], None]:
    return lambda root: os.mkfifo(root / rel)


def _big_wasm_package(root: Path) -> None:
    """A 50 MB minified CommonJS file, mostly a base64 string (how wasm is often shipped)."""
    data = base64.b64encode(random.Random(5).randbytes(37_000_000)).decode()
    code = f'"use strict";var w="{data}";function s(){{return w.length}}module.exports={{wasm:w,size:s}};'
    _package("big-wasm", {"index.js": code})(root)


def _big_source(root: Path) -> None:
    """A 50 MB minified file among the app's own sources."""
    body = "".join(f"function f{i}(a){{return a+{i}}}" for i in range(2_100_000))
    (root / "src" / "big.min.js").write_text("import 'react';" + body[:50_000_000])
    _append("src/main.js", "import './big.min.js'\n")(root)


def _damage_interop_cache(root: Path) -> None:
    """Records that are valid JSON of the wrong shape, and a lockfile change so packages are
    rebuilt (and the records read)."""
    for record in (root / "node_modules/.vite/interop").glob("*.json"):
        record.write_text("[]")
    (root / "package-lock.json").write_text("{}")


def _damage_scan_cache(root: Path) -> None:
    for path in (root / "node_modules/.vite/scan").iterdir():
        if path.is_file():
            path.write_bytes(random.Random(3).randbytes(2000))


DEEP = "[" * 100_000 + "]" * 100_000
METADATA = str(DEPS / "_metadata.json")

CASES: list[Case] = [
    Case("package.json: not valid JSON", _write("package.json", "{"), 0, ("package.json", "not valid JSON")),
    Case("package.json: empty", _write("package.json", ""), 0, ("package.json", "not valid JSON")),
    Case("package.json: binary garbage", _write("package.json", random.Random(1).randbytes(3000)), 0,
         ("package.json", "not valid JSON")),
    Case("package.json: nested 100,000 deep", _write("package.json", DEEP), 0, ("package.json", "nested too deeply")),
    Case("package.json: huge (30 MB, valid)", lambda root: (root / "package.json").write_text(json.dumps(
        {**json.loads((root / "package.json").read_text()), "description": "x" * 30_000_000})), 0),
    Case("package.json: a folder", _folder("package.json"), 0, ("package.json", "Is a directory")),
    Case("package-lock.json: not valid JSON", _write("package-lock.json", "{{"), 0,
         ("package-lock.json", "not valid JSON")),
    Case("node_modules/.package-lock.json: binary garbage",
         _write("node_modules/.package-lock.json", random.Random(2).randbytes(3000)), 0,
         (".package-lock.json", "not valid JSON")),
    Case("_metadata.json: not valid JSON", _write(METADATA, "{"), 0, ("_metadata.json", "not valid JSON")),
    Case("_metadata.json: truncated", _truncate(METADATA, 0.5), 0, ("_metadata.json", "not valid JSON")),
    Case("_metadata.json: empty", _write(METADATA, ""), 0, ("_metadata.json", "not valid JSON")),
    Case("_metadata.json: a JSON array", _write(METADATA, "[]"), 0, ("_metadata.json", "not prebundle's metadata")),
    Case("_metadata.json: nested 100,000 deep", _write(METADATA, DEEP), 0, ("_metadata.json", "nested too deeply")),
    Case("importmap.json: not valid JSON", _write(str(DEPS / "importmap.json"), "{"), 0,
         ("importmap.json", "differs from _metadata.json")),
    Case("importmap.json: deleted", _unlink(str(DEPS / "importmap.json")), 0, ("importmap.json", "No such file")),
    Case("manifest.json: truncated", _truncate(str(DEPS / "manifest.json"), 0.3), 0,
         ("manifest.json", "differs from _metadata.json")),
    Case("a bundle emptied (react.js)", _write(str(DEPS / "react.js"), ""), 0, ("react.js", "size differs")),
    Case("the deps dir is a file", _all(lambda root: shutil.rmtree(root / DEPS), _write(str(DEPS), "x")), 0),
    Case("deps.lock is a folder", _folder("node_modules/.vite/deps.lock"), 1, ("deps.lock", "Is a directory")),
    Case("interop cache records of another shape", _damage_interop_cache, 0, own_cache=True),
    Case("scan cache replaced by garbage", _damage_scan_cache, 0),
    Case("a package with a syntax error", _package("bad-syntax", {"index.js": "export const = ;\n"}), 1,
         ("node_modules/bad-syntax/index.js:1:", "Expected identifier")),
    Case("a package whose package.json is not valid JSON", _package("bad-manifest", {"index.js": ""}, "{"), 1,
         ("node_modules/bad-manifest/package.json", "cannot read")),
    Case("a package whose package.json is nested 100,000 deep", _package("deep-manifest", {}, DEEP), 1,
         ("deep-manifest/package.json", "recursion")),
    Case("a package whose main file is missing", _package("no-main", {}), 1, ("src/main.js:4", "no-main", "no entry")),
    Case("an exports map pointing back at its folder", _package(
        "exports-loop", {"index.js": ""}, {"name": "exports-loop", "version": "1.0.0", "exports": {".": "./."}}), 1,
         ("src/main.js:4", "exports-loop", "invalid \"exports\" target")),
    Case("an imports map that loops (#a → #b → #a)", _package(
        "imports-loop", {"index.js": "import '#a'\nexport const x = 1\n"},
        {"name": "imports-loop", "version": "1.0.0", "exports": "./index.js", "imports": {"#a": "#b", "#b": "#a"}}),
         1, ("node_modules/imports-loop/index.js:1:", "Could not resolve \"#a\"")),
    Case("a package importing itself through its exports (a cycle)", _package(
        "self-cycle", {"index.js": "import { b } from 'self-cycle/b'\nexport const a = 1\nexport { b }\n",
                       "b.js": "import { a } from 'self-cycle'\nexport const b = () => a\n"},
        {"name": "self-cycle", "version": "1.0.0", "exports": {".": "./index.js", "./b": "./b.js"}}), 0),
    Case("a symlink loop in node_modules, imported", _all(_symlink("node_modules/loopy", "loopy"),
                                                          _append("src/main.js", "import 'loopy'\n")), 1,
         ("src/main.js:4", "loopy")),
    Case("a symlink loop in node_modules, not imported", _all(_symlink("node_modules/a-loop", "b-loop"),
                                                              _symlink("node_modules/b-loop", "a-loop")), 0),
    Case("a package entry that is a symlink to itself", _all(
        _write("node_modules/self-link/package.json", json.dumps({"name": "self-link", "version": "1.0.0",
                                                                  "main": "index.js"})),
        _symlink("node_modules/self-link/index.js", "index.js"), _append("src/main.js", "import 'self-link'\n")), 1,
         ("src/main.js:4", "self-link")),
    Case("a 50 MB minified package file", _big_wasm_package, 0, slow=True),
    Case("a 50 MB minified app source", _big_source, 0, ("big.min.js", "larger than"), slow=True),
    Case("non-UTF-8 app source (Latin-1)", _append("src/main.js", "// caf\xe9\n"), 0),
    Case("non-UTF-8 bytes in an app source", lambda root: (root / "src/main.js").write_bytes(
        (root / "src/main.js").read_bytes() + b"const s = '\xff\xfe\xe9'\n"), 0),
    Case("non-UTF-8 package source", _package("latin1", {"index.js": b"export const s = '\xe9\xff'\n"}), 0),
    Case("an app source with a syntax error", _append("src/main.js", "export const = ;\n"), 0,
         ("src/main.js", "syntax error")),
    Case("an entry HTML that is binary", _write("bin.html", b"\x00" + random.Random(4).randbytes(5000)), 0,
         ("bin.html:1", "binary data")),
    Case("an app source that is a FIFO", _all(_fifo("src/fifo.js"), _append("src/main.js", "import './fifo.js'\n")),
         0, ("src/fifo.js:1", "not a regular file")),
    Case("an import of a missing package", _append("src/main.js", "import 'not-installed'\n"), 1,
         ("src/main.js:4", "not-installed", "not installed")),
    Case("prebundle.config.py raises", _write("prebundle.config.py", "raise RuntimeError('boom')\n"), 1,
         ("prebundle.config.py:1", "RuntimeError: boom")),
    Case("prebundle.config.py has a syntax error", _write(
        "prebundle.config.py", "from prebundle import define_config\nconfig = define_config(include=[\n"), 1,
         ("prebundle.config.py:2", "syntax error")),
    Case("prebundle.config.py with an unknown key", _write(
        "prebundle.config.py", "from prebundle import define_config\nconfig = define_config(incloode=['x'])\n"), 1,
         ("prebundle.config.py", "incloode")),
    Case("pyproject.toml: invalid TOML", _write("pyproject.toml", "[tool.prebundle\nx = 1\n"), 1,
         ("pyproject.toml:1", "invalid TOML")),
    Case("pyproject.toml: a key of the wrong type", _write("pyproject.toml", "[tool.prebundle]\ninclude = 5\n"), 1,
         ("pyproject.toml:2", "include")),
    Case("--config names a missing file", lambda root: None, 1, ("nope.py", "not found"),
         args=lambda root: ["--config", str(root / "nope.py")]),
    Case("an unknown CLI flag", lambda root: None, 2, ("No such option", "--bogus"), args=lambda root: ["--bogus"]),
    Case("an unknown --mode", lambda root: None, 2, ("--mode", "bogus"), args=lambda root: ["--mode", "bogus"]),
    Case("ROOT is a file", lambda root: None, 2, ("index.html", "is a file"),
         args=lambda root: [str(root / "index.html")]),
    Case("ROOT does not exist", lambda root: None, 1, ("nowhere", "does not exist"),
         args=lambda root: [str(root / "nowhere")]),
]


# -- running one row -----------------------------------------------------------------------------


def run_case(case: Case, template: Path, work: Path, env: dict[str, str], *, timeout: float = 600) -> Row:
    """Copy ``template`` (an app with a good deps dir) to ``work``, break it, run, judge."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template, work, symlinks=True)
    deps = work / DEPS
    case.setup(work)
    before = deps_snapshot(deps)
    try:
        run_env = {**env, "PREBUNDLE_CACHE_DIR": "off"} if case.own_cache else env
        done = run_cli(case.args(work), cwd=work, env=run_env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Row(case.kind, -1, f"(no answer in {timeout:.0f} s)", ("hang",), timeout)
    first = done.first_line.replace(str(work), "<root>")
    problems = []
    if done.code != case.code:
        problems.append(f"exit {done.code}, expected {case.code}")
    if done.traceback:
        problems.append("traceback")
    if "internal error" in done.output:
        problems.append("an internal error")
    message = next((line for line in done.lines if line.startswith(("error:", "warning:", "Error:"))), "")
    if case.expect:
        missing = [word for word in case.expect if word not in message]
        if missing:
            problems.append(f"the message {message!r} does not say {missing}")
    elif any(line.startswith(("error:", "Error:")) for line in done.lines):
        problems.append(f"an error for a valid input: {message!r}")
    if done.code != 0 and deps_snapshot(deps) != before:
        problems.append("the failed run changed the previous deps dir")
    if done.code == 0:
        problems += served_problems(deps)
    return Row(case.kind, done.code, first, tuple(problems), round(done.seconds, 2))
