"""Fixtures of the whole suite: the installed npm packages as a precondition, and a machine-wide
package cache of each test's own. The helpers (apps, Node.js through the import map, waiting) are
in the ``tests.support`` package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.apps import NPM_MODULES, require_installed


@pytest.fixture(scope="session")
def npm_modules() -> Path:
    """``fixtures/npm/node_modules``; fails (not skips) when ``npm ci`` has not run."""
    return require_installed(NPM_MODULES)


@pytest.fixture(autouse=True)
def _own_shared_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own machine-wide package cache, so no test reuses another's builds
    (subprocesses inherit it through the environment)."""
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path_factory.mktemp("shared-cache")))
