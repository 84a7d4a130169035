"""An app whose node_modules has no esbuild: `prebundle` fetches the pinned esbuild with the real
npm and registry into an empty machine-wide cache, optimizes, and the page works in Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from prebundle.esbuild import PINNED_VERSION
from prebundle.esbuild._binary import platform_package

from tests.support.apps import REPO
from tests.support.browser import close_page, open_page, serve

PREBUNDLE_CLI = REPO / ".venv" / "bin" / "prebundle"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body><p id="out"></p><script type="module" src="/src/main.js"></script></body></html>
"""

MAIN = """import ms from 'ms'
document.querySelector('#out').textContent = `${ms('2 days')} ${ms(90000)}`
document.body.dataset.done = '1'
"""


def _app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text(PAGE)
    (root / "src" / "main.js").write_text(MAIN)
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"ms": "^2.1.3"}}))
    shutil.copytree(REPO / "fixtures" / "compat" / "node_modules" / "ms", root / "node_modules" / "ms")
    return root


def test_app_without_esbuild_optimizes_and_loads(browser, tmp_path, monkeypatch):
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    monkeypatch.delenv("PREBUNDLE_ESBUILD_DOWNLOAD", raising=False)
    cache = tmp_path / "empty-machine-cache"
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(cache))
    root = _app(tmp_path / "app")

    done = subprocess.run([str(PREBUNDLE_CLI), str(root)], capture_output=True, text=True, timeout=600,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    binary = cache / "esbuild" / PINNED_VERSION / platform_package() / "esbuild"
    assert f"fetched esbuild {PINNED_VERSION} ({platform_package()}) with npm into {binary}" \
        in done.stderr.splitlines()
    assert binary.is_file()
    assert not (root / "node_modules" / "esbuild").exists()
    assert not (root / "node_modules" / "@esbuild").exists()

    deps_dir = root / "node_modules" / ".vite" / "deps"
    server = serve(root, deps_dir)
    try:
        visit = open_page(browser, f"{server.url}/index.html")
        try:
            assert visit.page.inner_text("#out") == "172800000 2m"
        finally:
            close_page(visit)
    finally:
        server.close()
    assert visit.errors == [], "\n".join(visit.errors)
    assert visit.deps_requests == ["/node_modules/.vite/deps/ms.js"]
