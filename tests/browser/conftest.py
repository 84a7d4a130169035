"""Browser harness: Debian's Chromium driven by Playwright (one per package), and the
compatibility app (fixtures/compat) pre-bundled once per session and served over HTTP. The helpers
(``serve``, ``open_page``, ...) are in ``tests/support/browser.py``."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/page_load.py loads this file on its own, for CHROMIUM*
    sys.path.insert(0, str(REPO))

from tests.support.apps import make_app  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, Server, compat_cases, node_exports, serve  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "make_compat_root"]  # what bench/ takes from here


def make_compat_root(root: Path) -> Path:
    """The compat app at ``root`` (bench/reliability_load.py builds it through this name)."""
    return make_app(root, compat=True)


# -- Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests; fails (not skips) when it is missing. Closed after
    them: sync Playwright keeps an event loop running in this thread, and later tests use
    ``asyncio.run``."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `make test`, which installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# -- the compatibility app --------------------------------------------------------------------


@dataclass
class CompatApp:
    root: Path
    deps_dir: Path
    result: object
    server: Server
    cases: tuple[str, ...]
    node_exports: dict[str, dict]
    """Node's own ``Object.keys(await import(id))`` per optimized id (see node_exports.mjs)."""


@pytest.fixture(scope="package")
def compat_app(tmp_path_factory):
    from prebundle import load_config
    from prebundle.optimizer import optimize

    root = make_app(tmp_path_factory.mktemp("compat") / "app", compat=True)
    # A fresh build every session: the machine-wide package cache is keyed by prebundle's
    # version, not its code, so reusing it would hide bundler changes from the suite.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path_factory.mktemp("compat-shared-cache")))
        result = optimize(load_config(root))
    server = serve(root, result.deps_dir)
    imports = json.loads((result.deps_dir / "importmap.json").read_text())["imports"]
    try:
        yield CompatApp(root, result.deps_dir, result, server, tuple(compat_cases()),
                        node_exports(sorted(imports)))
    finally:
        server.close()


@pytest.fixture(scope="package")
def compat_report(request):
    """Rows of the compatibility table, written as JSON to $PREBUNDLE_COMPAT_JSON at the end of
    the browser tests (scripts/compat_report.py turns them into docs/compatibility.md)."""
    rows: dict[str, dict] = {}
    yield rows
    target = os.environ.get("PREBUNDLE_COMPAT_JSON")
    if target:
        Path(target).write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
