"""Packages the page loads from their own files, through the real daemon in Chromium: an excluded
ESM package (which imports other, optimized packages), a linked ESM package whose folder is
outside the root, and an excluded package that gets its own nested copy of a dependency through
an import-map scope. Files beside the linked folder stay out of reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import close_page, open_page
from tests.support.daemon import Daemon, raw_get

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>unbundled</title></head>
<body><div id="out">loading</div><script type="module" src="/src/main.js"></script></body></html>
"""
MAIN = """import { render } from 'preact'
import { view } from 'excluded-esm'
import { label } from 'linked-esm'
import { host } from 'nested-host'
import { which } from 'nested-dep'
render(view([label, host, which].join(' | ')), document.querySelector('#out'))
document.body.dataset.done = '1'
"""
EXCLUDED_ESM = {
    "node_modules/excluded-esm/package.json": json.dumps(
        {"name": "excluded-esm", "version": "1.0.0", "type": "module", "exports": "./src/index.js"}),
    "node_modules/excluded-esm/src/index.js": ("import { h } from 'preact';\nimport { year } from './format.js';\n"
                                               "export const view = (text) => h('p', null, text + ' ' + year());\n"),
    "node_modules/excluded-esm/src/format.js": ("import dayjs from 'dayjs';\n"
                                                "export const year = () => dayjs('2024-05-01').year();\n"),
}
SECRETS = (b"TOP-SECRET-BESIDE", b"TOP-SECRET-DOTENV", b"TOP-SECRET-KEY")


def _linked_workspace(outside: Path) -> Path:
    """``linked-esm`` in a folder outside the app, with secrets beside it and inside it."""
    package = outside / "linked-esm"
    (package / "src").mkdir(parents=True)
    (package / "package.json").write_text(
        json.dumps({"name": "linked-esm", "version": "0.1.0", "type": "module", "module": "src/index.js"}))
    (package / "src" / "index.js").write_text(
        "import cx from 'classnames';\nimport { part } from './part.js';\n"
        "export const label = cx('linked', { [part]: true });\n")
    (package / "src" / "part.js").write_text("export const part = 'ok';\n")
    (outside / "secret.txt").write_bytes(SECRETS[0])
    (package / ".env").write_bytes(SECRETS[1])
    (package / "server.pem").write_bytes(SECRETS[2])
    (package / "leak.js").symlink_to(outside / "secret.txt")  # a link out of the allowed folder
    return package


@pytest.fixture(scope="module")
def daemon_app(tmp_path_factory):
    """The app, its linked workspace beside it, and a daemon serving it (its own package cache)."""
    tmp_path = tmp_path_factory.mktemp("unbundled")
    linked = _linked_workspace(tmp_path / "workspace")
    root = make_app(tmp_path / "app", MAIN, html=PAGE, extra=EXCLUDED_ESM)
    (root / "node_modules" / "linked-esm").symlink_to(linked, target_is_directory=True)
    (root / "node_modules" / "other-link").symlink_to(tmp_path / "workspace", target_is_directory=True)
    (root / "pyproject.toml").write_text('[tool.prebundle]\nexclude = ["excluded-esm", "nested-host"]\n'
                                         'include = ["nested-host > nested-dep"]\n')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path / "shared-cache"))
        daemon = Daemon(root).wait_listening()
    try:
        daemon.wait_state("ready")
        yield daemon
    finally:
        daemon.stop()


def test_excluded_linked_and_scoped_packages_render_through_the_daemon(browser, daemon_app):
    imports = daemon_app.get("/@prebundle/importmap.json").json()["imports"]
    assert imports["linked-esm"] == "/node_modules/linked-esm/src/index.js"
    visit = open_page(browser, daemon_app.url + "/")
    try:
        text = visit.page.inner_text("#out p")
        requested = list(visit.deps_requests)
    finally:
        close_page(visit)
    assert visit.errors == [], "\n".join(visit.errors)
    # linked from outside the root | nested-host's own nested-dep@2 through its scope | the
    # app's hoisted nested-dep@1 | dayjs imported by the excluded package's own file
    assert text == "linked ok | nested-host uses nested-dep@2 | nested-dep@1 2024"
    assert {"/node_modules/.vite/deps/dayjs.js", "/node_modules/.vite/deps/nested-host_n_nested-dep.js"} <= set(requested)


BESIDE = [
    "/node_modules/linked-esm/../secret.txt",
    "/node_modules/linked-esm/../../workspace/secret.txt",
    "/node_modules/linked-esm/%2e%2e/secret.txt",
    "/node_modules/linked-esm/%2E%2E%2fsecret.txt",
    "/node_modules/linked-esm/..%2fsecret.txt",
    "/node_modules/linked-esm/..%5csecret.txt",
    "/node_modules/linked-esm/%252e%252e/secret.txt",
    "/node_modules/linked-esm/%c0%ae%c0%ae/secret.txt",
    "/node_modules/linked-esm/src/../../secret.txt",
    "/node_modules/linked-esm/leak.js",
    "/node_modules/other-link/secret.txt",
    "/node_modules/other-link/linked-esm/src/../../secret.txt",
    "/node_modules/linked-esm/.env",
    "/node_modules/linked-esm/%2eenv",
    "/node_modules/linked-esm/server.pem",
    "/node_modules/linked-esm/SERVER.PEM",
]
"""Requests for files beside the linked folder, behind a link in it, or secret inside it."""


def test_nothing_beside_the_linked_folder_is_served(daemon_app):
    status, body = raw_get(daemon_app.url, "/node_modules/linked-esm/src/part.js")
    assert (status, body) == (200, b"export const part = 'ok';\n")  # the allowed folder itself
    answers = {path: raw_get(daemon_app.url, path) for path in BESIDE}
    served = {path: status for path, (status, body) in answers.items() if status not in (400, 403, 404)}
    leaked = [path for path, (_status, body) in answers.items() if any(secret in body for secret in SECRETS)]
    assert served == {} and leaked == []
