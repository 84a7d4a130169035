"""Shared test fixtures: the committed fixtures, real npm packages, apps built from them, and
running the optimizer's output in Node.js through its import map, as a browser would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
NPM_DIR = FIXTURES / "npm"
"""Real npm packages from a committed lockfile (``make test`` runs ``npm ci`` here)."""


@pytest.fixture(scope="session")
def npm_modules() -> Path:
    """``fixtures/npm/node_modules``; fails (not skips) when ``npm ci`` has not run."""
    modules = NPM_DIR / "node_modules"
    if not (modules / "react" / "package.json").is_file():
        pytest.fail("fixtures/npm is not installed: run `make test` (it runs `npm ci` there)")
    return modules


@pytest.fixture
def project(tmp_path: Path):
    """A factory for small project trees: ``project({"index.html": "...", "src/a.js": "..."})``.

    Returns the project root. Pass ``npm=True`` to link the real npm packages in as
    ``node_modules``.
    """

    def make(files: dict[str, str | bytes], *, npm: bool = False) -> Path:
        root = tmp_path / "app"
        root.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if npm:
            (root / "node_modules").symlink_to(NPM_DIR / "node_modules", target_is_directory=True)
        return root

    return make


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy ``fixtures/<name>`` to ``dest`` (symlinks kept as symlinks) and return it."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


# -- apps with real npm packages, and Node.js through the import map ----------------------------

NPM_MODULES = NPM_DIR / "node_modules"
HAND_MODULES = REPO / "fixtures" / "optimize" / "node_modules"
REGISTER = REPO / "tests" / "support" / "importmap_register.mjs"


def make_app(root: Path, source: str, *, extra: dict[str, str] | None = None) -> Path:
    """A project whose ``src/main.js`` holds ``source``; node_modules links every real package
    (so their realpath stays inside a node_modules) and copies the hand-written ones."""
    if not (NPM_MODULES / "react" / "package.json").is_file():
        pytest.fail("fixtures/npm is not installed: run `make test` (it runs `npm ci` there)")
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text('<script type="module" src="/src/main.js"></script>\n')
    (root / "src" / "main.js").write_text(source)
    modules = root / "node_modules"
    modules.mkdir(exist_ok=True)
    for entry in NPM_MODULES.iterdir():
        if entry.name.startswith(".") or (modules / entry.name).exists():
            continue
        (modules / entry.name).symlink_to(entry, target_is_directory=True)
    shutil.copytree(HAND_MODULES, modules, symlinks=True, dirs_exist_ok=True)
    lock = json.loads((REPO / "fixtures" / "npm" / "package-lock.json").read_text())
    (root / "package-lock.json").write_text(json.dumps(lock, indent=2))
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": lock["packages"][""]["dependencies"]}))
    for rel, content in (extra or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture
def app(tmp_path: Path):
    def make(source: str, **kwargs) -> Path:
        return make_app(tmp_path / "app", source, **kwargs)

    return make


def run_node(deps_dir: Path, code: str, *, cwd: Path | None = None) -> str:
    """Run an ES module in Node with bare imports resolved through ``deps_dir/importmap.json``;
    returns its stdout. A failure shows Node's stderr."""
    env = {**os.environ, "PREBUNDLE_DEPS_DIR": str(deps_dir)}
    # Exit once the code ran, even if a scheduler keeps the event loop alive; flush stdout first.
    code += "\nawait new Promise((done) => process.stdout.write('', done));\nprocess.exit(0);\n"
    done = subprocess.run(
        ["node", "--no-warnings", "--import", str(REGISTER), "--input-type=module", "-e", code],
        cwd=cwd or deps_dir, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def node_keys(specs: list[str]) -> dict[str, list[str]]:
    """Node's own ``Object.keys(await import(spec))`` for real packages, computed now."""
    code = (
        "const out = {};\n"
        f"for (const spec of {json.dumps(specs)}) out[spec] = Object.keys(await import(spec));\n"
        "console.log(JSON.stringify(out));\n"
    )
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", code],
                          cwd=NPM_MODULES.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def node():
    """``node(deps_dir, code)``: run code in Node through the deps dir's import map."""
    return run_node


@pytest.fixture(scope="session")
def keys_in_node():
    """``keys_in_node(specs)``: Node's own export names of real packages."""
    return node_keys


@pytest.fixture(scope="session")
def make_app_fn():
    """``make_app`` itself, for module-scoped fixtures."""
    return make_app


@pytest.fixture(autouse=True)
def _own_shared_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own machine-wide package cache, so no test reuses another's builds
    (subprocesses inherit it through the environment)."""
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path_factory.mktemp("shared-cache")))
