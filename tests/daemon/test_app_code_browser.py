"""The app's own TSX in Chromium through the daemon: a React app runs, changed stylesheets are
swapped without a reload, a change to a module the page loaded reloads it and a change to one it
did not load does not, a syntax error shows in the overlay until it is fixed, a plugin compiles
a file type of its own, and a page of 1,000 modules loads, then reloads with no transform."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.apps import make_app, write_tree
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.daemon import run_in_thread

pytestmark = pytest.mark.slow

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/src/page.css"></head>
<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>
"""
MAIN = """import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./style.css";
import "fancy-styles/css";
import logo from "./logo.svg";
import data from "./data.json";
createRoot(document.getElementById("root")!).render(<App logo={logo} n={data.n} />);
"""
APP = """import { useEffect } from "react";
type Props = { logo: string; n: number };
export function App({ logo, n }: Props) {
  useEffect(() => { document.body.dataset.done = "1"; }, []);
  return <div id="app" className="app"><img id="logo" src={logo} /><span id="text">{"%s"} {n}</span></div>;
}
"""
FILES = {
    "src/App.tsx": APP % "hello",
    "src/Unused.tsx": "export const unused = 1;\n",
    "src/style.css": ".app { color: rgb(255, 0, 0); }\n",
    "src/page.css": "body { background-color: rgb(1, 2, 3); }\n",
    "src/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>\n',
    "src/data.json": '{"n": 42}\n',
    "node_modules/fancy-styles/package.json": '{"name": "fancy-styles", "version": "1.0.0", "exports": {"./css": "./dist/fancy.css"}}',
    "node_modules/fancy-styles/dist/fancy.css": ".fancy { border-top: 7px solid; background-image: url(images/dot.svg); }\n",
    "node_modules/fancy-styles/dist/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>\n',
}


def _replace(path: Path, text: str) -> None:
    """Write ``path`` at once, as editors save (by rename)."""
    temporary = path.with_name("." + path.name + ".swp")
    temporary.write_text(text)
    os.replace(temporary, path)


MAIN_JS_PAGE = ('<!doctype html><html><head><link rel="icon" href="data:,"></head><body>'
                '<script type="module" src="/src/main.js"></script></body></html>')
"""A page whose one module script is ``/src/main.js``."""


def _browser(sync_api, playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))


@contextmanager
def _opened_page(sync_api, url: str, problems: list[str]):
    """A page of a new Chromium at ``url``, its errors and failed responses going to ``problems``."""
    with sync_api.sync_playwright() as playwright:
        browser = _browser(sync_api, playwright)
        try:
            page = browser.new_page()
            _watch(page, problems)
            page.goto(url)
            yield page
        finally:
            browser.close()


def _require_chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    return pytest.importorskip("playwright.sync_api")


def test_react_tsx_app_swaps_css_and_reloads_only_for_what_it_loaded(tmp_path: Path, start_daemon) -> None:
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", MAIN, entry="src/main.tsx", html=PAGE, hand_packages=False,
                    packages=["react", "react-dom", "scheduler", "esbuild", "@esbuild"], extra=FILES)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    problems = run_in_thread(_drive_react_app, sync_api, daemon.url, root, timeout=240)
    assert problems == [], problems


def _drive_react_app(sync_api, url: str, root: Path) -> list[str]:
    problems: list[str] = []
    src = root / "src"
    with _opened_page(sync_api, url + "/", problems) as page:
        page.wait_for_selector("body[data-done]", state="attached", timeout=15_000)
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
        assert page.text_content("#text") == "hello 42"
        assert page.evaluate("getComputedStyle(document.getElementById('app')).color") == "rgb(255, 0, 0)"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(1, 2, 3)"
        logo = page.evaluate("[document.getElementById('logo').src, document.getElementById('logo').naturalWidth]")
        assert logo == [url + "/src/logo.svg", 8], logo
        fancy = page.evaluate("""() => { const box = document.createElement('div'); box.className = 'fancy';
            document.body.append(box); const style = getComputedStyle(box);
            return [style.borderTopWidth, style.backgroundImage]; }""")  # ``import "fancy-styles/css"``
        assert fancy == ["7px", f'url("{url}/node_modules/fancy-styles/dist/images/dot.svg")'], fancy
        page.evaluate("window.__marker = 'same page'")

        # a stylesheet imported by a module, then one of a <link>: swapped, no reload
        _replace(src / "style.css", ".app { color: rgb(0, 0, 255); }\n")
        page.wait_for_function("getComputedStyle(document.getElementById('app')).color === 'rgb(0, 0, 255)'",
                               timeout=15_000)
        _replace(src / "page.css", "body { background-color: rgb(4, 5, 6); }\n")
        page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(4, 5, 6)'",
                               timeout=15_000)
        assert page.evaluate("window.__marker") == "same page"
        assert page.evaluate("document.querySelectorAll('style[data-prebundle-css]').length") == 2  # and the package's

        # a module the page did not load: no reload (the stylesheet swapped after it proves the
        # client handled that update first: events come in order)
        _replace(src / "Unused.tsx", "export const unused = 2;\n")
        _replace(src / "style.css", ".app { color: rgb(0, 128, 0); }\n")
        page.wait_for_function("getComputedStyle(document.getElementById('app')).color === 'rgb(0, 128, 0)'",
                               timeout=15_000)
        assert page.evaluate("window.__marker") == "same page"

        # a module the page loaded: reload, with the new code
        _replace(src / "App.tsx", APP % "changed")
        page.wait_for_function("document.getElementById('text')?.textContent === 'changed 42'", timeout=15_000)
        assert page.evaluate("window.__marker") is None

        # the page itself
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
        page.evaluate("window.__marker = 'same page'")
        _replace(root / "index.html", PAGE.replace("<title>app</title>", "<title>new title</title>"))
        page.wait_for_function("document.title === 'new title'", timeout=15_000)
        assert page.evaluate("window.__marker") is None
        assert problems == []

        # a syntax error: the overlay names the file, the line and the code; fixed, the page works
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
        _replace(src / "App.tsx", (APP % "broken").replace("return <div", "return <div <"))
        overlay = page.wait_for_selector("#prebundle-error-overlay[data-kind=app]", timeout=15_000)
        text = overlay.text_content()
        assert "the app's own code" in text and "src/App.tsx:5:" in text and "> 5 |" in text, text
        _replace(src / "App.tsx", APP % "fixed")
        page.wait_for_function("document.getElementById('text')?.textContent === 'fixed 42'", timeout=15_000)
        assert page.query_selector("#prebundle-error-overlay") is None
        problems.clear()  # the broken module's 500 and the page's error for it were expected
        page.reload()
        page.wait_for_selector("body[data-done]", state="attached", timeout=15_000)
        assert page.text_content("#text") == "fixed 42"
    return problems


PLUGIN_CONFIG = '''import json

from prebundle import Plugin, virtual_module


def greetings():
    """``.greet`` files: their text becomes a greeting built with classnames."""
    def transform(code, id):
        if not id.endswith(".greet"):
            return None
        return "import cx from 'classnames';\\nexport default cx('Hello,', " + json.dumps(code.strip()) + ");\\n"

    return Plugin("greetings", transform=transform, cache_key="greetings 1")


config = {"plugins": [greetings(), virtual_module("answer", "export default 42;")], "jsx_import_source": "preact"}
'''
PREACT_MAIN = """import { render } from "preact";
import greeting from "./hello.greet";
import answer from "virtual:answer";
render(<p id="out">{greeting} ({answer})</p>, document.getElementById("root"));
document.body.dataset.done = String(Date.now());
"""


def test_a_plugin_compiles_its_own_file_type_in_the_page(tmp_path: Path, start_daemon) -> None:
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", PREACT_MAIN, entry="src/main.jsx", hand_packages=False,
                    html='<!doctype html><html><head><link rel="icon" href="data:,"></head><body><div id="root">'
                         '</div><script type="module" src="/src/main.jsx"></script></body></html>',
                    packages=["preact", "classnames", "esbuild", "@esbuild"],
                    extra={"src/hello.greet": "World\n", "prebundle.config.py": PLUGIN_CONFIG})
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    assert {"classnames", "preact", "preact/jsx-dev-runtime"} <= set(daemon.status()["deps"])
    problems = run_in_thread(_drive_plugin_app, sync_api, daemon.url, root, timeout=120)
    assert problems == [], problems


def _drive_plugin_app(sync_api, url: str, root: Path) -> list[str]:
    problems: list[str] = []
    with _opened_page(sync_api, url + "/", problems) as page:
        page.wait_for_selector("body[data-done]", state="attached", timeout=15_000)
        assert page.text_content("#out") == "Hello, World (42)"
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
        _replace(root / "src" / "hello.greet", "Planet\n")
        page.wait_for_function("document.getElementById('out')?.textContent === 'Hello, Planet (42)'",
                               timeout=15_000)
    return problems


PLAIN_MAIN = ("import './style.css'\nimport 'fancy-styles/css'\nimport { n } from './counter'\n"
              "import '../node_modules/fancy-styles/dist/extra.css'\n"
              "document.body.dataset.done = String(n)\n")
"""A Vite vanilla app's ``main.js``: a stylesheet (which imports a package's), a package's by name
and by path, a module named without its extension."""
PLAIN_FILES = {
    "src/counter.js": "export const n = 7\n",
    "src/style.css": '@import "fancy-theme";\nbody { color: rgb(9, 8, 7); }\n',
    "node_modules/fancy-styles/dist/extra.css": "body { border-left: 3px solid; }\n",
    "node_modules/fancy-theme/package.json": json.dumps({  # as bootstrap's: a JS main, a "style" field
        "name": "fancy-theme", "version": "1.0.0", "main": "theme.js", "style": "dist/theme.css"}),
    "node_modules/fancy-theme/theme.js": "export {};\n",
    "node_modules/fancy-theme/dist/theme.css": "body { border-right: 5px solid; }\n",
    "node_modules/fancy-theme/dist/outline.css": "body { outline: 2px solid; }\n",
    "src/linked.css": '@import "fancy-theme/dist/outline.css";\n',
    **{name: text for name, text in FILES.items() if name.startswith("node_modules/fancy-styles/")},
}


def test_a_plain_js_app_imports_stylesheets_and_modules_without_extensions(tmp_path: Path, start_daemon) -> None:
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", PLAIN_MAIN, hand_packages=False, packages=["esbuild", "@esbuild"],
                    html='<!doctype html><html><head><link rel="icon" href="data:,">'
                         '<link rel="stylesheet" href="/src/linked.css"></head><body>'
                         '<script type="module" src="/src/main.js"></script></body></html>', extra=PLAIN_FILES)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    problems = run_in_thread(_drive_plain_app, sync_api, daemon.url, timeout=120)
    assert problems == [], problems


def _drive_plain_app(sync_api, url: str) -> list[str]:
    problems: list[str] = []
    with _opened_page(sync_api, url + "/", problems) as page:
        page.wait_for_selector("body[data-done='7']", state="attached", timeout=15_000)
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(9, 8, 7)"
        assert page.evaluate("getComputedStyle(document.body).borderLeftWidth") == "3px"
        assert page.evaluate("getComputedStyle(document.body).borderRightWidth") == "5px"  # ``@import "fancy-theme"``
        assert page.evaluate("getComputedStyle(document.body).outlineWidth") == "2px"  # the same in a <link>'s
        assert page.evaluate("document.querySelectorAll('style[data-prebundle-css]').length") == 3
    return problems


MODULES = 1000


def _many_modules(root: Path) -> None:
    files: dict[str, str] = {}
    imports = []
    for number in range(MODULES):
        name = f"m{number:04d}"
        if number % 2:
            files[f"src/many/{name}.tsx"] = (f"const n: number = {number};\nexport const node = <i>{{n}}</i>;\n"
                                             "(globalThis.ran ??= new Set()).add(n);\n")
        else:
            files[f"src/many/{name}.ts"] = (f"const n: number = {number};\nexport const value = n;\n"
                                            "(globalThis.ran ??= new Set()).add(n);\n")
        imports.append(f'import "./many/{name}";')
    files["src/main.tsx"] = "\n".join(imports) + (
        "\nimport { createRoot } from 'react-dom/client';\n"
        "createRoot(document.getElementById('root')!).render(<b id='count'>{globalThis.ran.size}</b>);\n"
        "document.body.dataset.ran = String(globalThis.ran.size);\n")
    write_tree(root, files)


def test_a_page_of_1000_modules_loads_and_reloads_with_no_transform(tmp_path: Path, start_daemon) -> None:
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", "", entry="src/main.tsx", hand_packages=False,
                    html='<!doctype html><html><head><link rel="icon" href="data:,"></head><body><div id="root">'
                         '</div><script type="module" src="/src/main.tsx"></script></body></html>',
                    packages=["react", "react-dom", "scheduler", "esbuild", "@esbuild"])
    _many_modules(root)
    daemon = start_daemon(root)
    daemon.wait_state("ready", timeout=120)
    loads = run_in_thread(_load_twice, sync_api, daemon, timeout=400)
    first, second = loads
    assert first["ran"] == second["ran"] == str(MODULES), loads
    assert first["problems"] == [] and second["problems"] == [], loads
    assert first["transforms"]["done"] == MODULES + 1, loads  # every module, and the entry
    assert second["transforms"]["done"] == first["transforms"]["done"], loads  # the reload transformed none
    assert second["transforms"]["cached"] >= first["transforms"]["cached"] + MODULES + 1, loads


def _load_twice(sync_api, daemon) -> list[dict]:
    loads = []
    with sync_api.sync_playwright() as playwright:
        browser = _browser(sync_api, playwright)
        try:
            page = browser.new_page()
            problems: list[str] = []
            _watch(page, problems)
            for load in range(2):
                if load == 0:
                    page.goto(daemon.url + "/")
                else:
                    page.reload()
                page.wait_for_selector("body[data-ran]", state="attached", timeout=180_000)
                loads.append({"ran": page.evaluate("document.body.dataset.ran"), "problems": list(problems),
                              "transforms": daemon.status()["transforms"]})
                problems.clear()
        finally:
            browser.close()
    return loads



WORKER_MAIN = ("import { work } from 'worker-lib'\n"
               "const worker = new Worker(new URL('./calc.worker.ts', import.meta.url), { type: 'module' })\n"
               "worker.onmessage = (event) => { document.body.dataset.done = event.data + ',' + work(1) }\n"
               "worker.onerror = (event) => { document.body.dataset.done = 'error: ' + event.message }\n"
               "worker.postMessage(20)\n")
WORKER_FILES = {
    "src/calc.worker.ts": ("import { work } from 'worker-lib'\nimport { quad } from './quad'\n"
                           "self.onmessage = async (event: MessageEvent<number>) => {\n"
                           "  const { late } = await import('./late')\n"
                           "  self.postMessage(`${work(event.data)}:${quad(event.data)}:${late(event.data)}`)\n}\n"),
    "src/late.ts": "import { twice } from 'worker-dep'\nexport const late = (n: number): number => twice(n) - 1\n",
    "src/quad.ts": "import { twice } from 'worker-only'\nexport const quad = (n: number): number => twice(twice(n))\n",
    "node_modules/worker-lib/package.json": '{"name": "worker-lib", "version": "1.0.0", "type": "module", "main": "index.js"}',
    "node_modules/worker-lib/index.js": "import { twice } from 'worker-dep'\nexport const work = (n) => twice(n) + 1\n",
    "node_modules/worker-dep/package.json": '{"name": "worker-dep", "version": "1.0.0", "type": "module", "main": "index.js"}',
    "node_modules/worker-dep/index.js": "export const twice = (n) => n * 2\n",
    "node_modules/worker-only/package.json": '{"name": "worker-only", "version": "1.0.0", "type": "module", "main": "i.js"}',
    "node_modules/worker-only/i.js": "export const twice = (n) => n * 2\n",
}
"""A module worker whose code, a module it imports and one it imports with ``import()`` (fetched
as a script) import packages: ``worker-lib`` imports ``worker-dep`` (a bare import inside a deps
file), ``worker-only`` is imported by the worker's code alone (found because the scan follows
``new Worker(new URL(...))``)."""


def test_a_module_workers_packages_load_without_an_import_map(tmp_path: Path, start_daemon) -> None:
    # Browsers give workers no import map: the daemon writes the worker's bare imports as URLs.
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", WORKER_MAIN, hand_packages=False, packages=["esbuild", "@esbuild"],
                    html=MAIN_JS_PAGE, extra=WORKER_FILES)
    daemon = start_daemon(root)
    assert {"worker-lib", "worker-dep", "worker-only"} <= set(daemon.wait_state("ready")["deps"])
    problems = run_in_thread(_drive_worker_app, sync_api, daemon.url, timeout=120)
    assert problems == [], problems


def _drive_worker_app(sync_api, url: str) -> list[str]:
    problems: list[str] = []
    with _opened_page(sync_api, url + "/", problems) as page:
        page.wait_for_selector("body[data-done]", state="attached", timeout=15_000)
        assert page.evaluate("document.body.dataset.done") == "41:80:39,3"
    return problems


def test_a_page_open_across_a_daemon_restart_reloads_and_then_follows_edits(tmp_path: Path, start_daemon) -> None:
    # The new daemon knows neither what the page loaded nor what it was served: the page reloads
    # when it reconnects to it, and an edit of a module it loaded reloads it again.
    sync_api = _require_chromium()
    root = make_app(tmp_path / "app", "import { n } from './counter'\ndocument.body.dataset.done = String(n)\n",
                    hand_packages=False, packages=["esbuild", "@esbuild"],
                    html=MAIN_JS_PAGE,
                    extra={"src/counter.js": "export const n = 1\n"})
    first = start_daemon(root)
    first.wait_state("ready")
    port = str(urlparse(first.url).port)

    def restart() -> None:
        first.stop()
        start_daemon(root, "--port", port).wait_state("ready")

    problems = run_in_thread(_drive_restart, sync_api, first.url, root, restart, timeout=120)
    assert [p for p in problems if "ERR_CONNECTION_REFUSED" not in p] == [], problems


def _drive_restart(sync_api, url: str, root: Path, restart) -> list[str]:
    problems: list[str] = []
    with _opened_page(sync_api, url + "/", problems) as page:
        page.wait_for_selector("body[data-done='1']", state="attached", timeout=15_000)
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=10_000)
        page.evaluate("window.__marker = 'before'")
        restart()
        page.wait_for_function("window.__marker === undefined && document.body.dataset.done === '1'",
                               timeout=30_000)  # reloaded on reconnecting
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=15_000)
        _replace(root / "src" / "counter.js", "export const n = 2\n")
        page.wait_for_selector("body[data-done='2']", state="attached", timeout=15_000)
    return problems
