"""Shared test fixtures: paths to the committed fixtures and the real npm packages."""

from __future__ import annotations

import shutil
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
