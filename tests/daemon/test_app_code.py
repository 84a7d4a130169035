"""The daemon serves the app's own TS/TSX/JSX as browser ESM (over HTTP; the browser side is in
``test_app_code_browser.py``): imports rewritten, the JSX runtime in the import map, tsconfig
honoured, ``import.meta.env`` defined, a true inline source map, CSS/JSON/asset modules, errors
with a code frame, ``update`` events, the transform cache (also across a restart), and the deny
list whatever the query."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from prebundle import load_config, scan
from prebundle.scanner.result import missing_error

from tests.support.apps import make_app, write_tree
from tests.support.daemon import Daemon, EventReader
from tests.support.wait import wait_until

from ._traversal import find_leaks, generated_attempts, vite_advisory_attempts
from .test_security import probe_daemon, send

pytestmark = pytest.mark.slow

MAIN = """import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./style.css";
import logo from "./logo.svg";
import data, { n } from "./data.json";
export const later = () => import("./App").then((m) => m.App);
createRoot(document.getElementById("root")!).render(<App logo={logo} n={n + data.n} />);
console.log(import.meta.env.MODE, import.meta.env.DEV, import.meta.env.PROD, import.meta.env.BASE_URL, process.env.NODE_ENV);
"""
APP = """type Props = { logo: string; n: number };
function sealed(target: unknown) { return target; }
@sealed
export class Box {}
export function App({ logo, n }: Props) {
  return <div className="app"><img src={logo} /> {n}</div>;
}
"""
FILES = {
    "src/App.tsx": APP,
    "src/style.css": ".app { color: rgb(255, 0, 0); background: url(./logo.svg); }\n",
    "src/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "src/data.json": '{"n": 20}\n',
    "src/odd#name.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "src/Awaits.ts": "const n: number = await Promise.resolve(1);\nexport default n;\n",
    "src/Widget.vue": "<template><p>hi</p></template>\n",
    "src/plain.js": ("import x from './App'\nimport y from './App.tsx'\nimport './style.css'\nimport 'fancy-styles/css'\n"
                     "import React from 'react'\n// import './not-this.css'\nexport default [x, y, React]\n"),
    "src/Styled.tsx": ('import "fancy-styles/css";\nimport "fancy-styles/dist/fancy.css";\n'
                       'import theme from "fancy-styles/theme.json";\nimport { createRoot } from "react-dom/client";\n'
                       'export default [theme, createRoot];\n'),
    "node_modules/fancy-styles/package.json": json.dumps({
        "name": "fancy-styles", "version": "1.0.0",
        "exports": {"./css": "./dist/fancy.css", "./dist/*": "./dist/*", "./theme.json": "./theme.json"}}),
    "node_modules/fancy-styles/dist/fancy.css": ".fancy { background: url(images/dot.svg); }\n",
    "node_modules/fancy-styles/dist/images/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "node_modules/fancy-styles/theme.json": '{"accent": "teal"}\n',
    "src/Bad.tsx": "export const ok = 1;\nexport const broken = 1 +;\n",
    "src/Missing.tsx": "import { gone } from './gone';\nexport default gone;\n",
    "tsconfig.json": ('{\n  // comments and trailing commas, as TypeScript allows\n'
                      '  "extends": "./tsconfig.base.json",\n}\n'),
    "tsconfig.base.json": '{"compilerOptions": {"experimentalDecorators": true, "strict": true}}\n',
    ".env": "LEAK-MARKER-dotenv\n",
    "server.pem": "LEAK-MARKER-pem\n",
    "private/Secret.tsx": "export const secret = 'LEAK-MARKER-private';\n",
    "src/Import.tsx": "import { secret } from '../private/Secret';\nexport default secret;\n",
    "../outside/Leak.tsx": "export const leak = 'LEAK-MARKER-outside';\n",
    "prebundle.config.py": 'config = {"server": {"fs_deny": ["private/"]}}  # LEAK-MARKER-config\n',
}
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>app</title></head>
<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>
"""


def _app(base: Path) -> Path:
    root = make_app(base / "app", MAIN, entry="src/main.tsx", html=PAGE, hand_packages=False,
                    packages=["react", "react-dom", "scheduler", "esbuild", "@esbuild"])
    write_tree(root, {name: text for name, text in FILES.items() if not name.startswith("../")})
    write_tree(base, {name[3:]: text for name, text in FILES.items() if name.startswith("../")})
    (root / "src" / "env-link.tsx").symlink_to(root / ".env")
    (root / "src" / "outside-link.tsx").symlink_to(base / "outside" / "Leak.tsx")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory, npm_modules):
    base = tmp_path_factory.mktemp("app-code")
    root = _app(base)
    previous = os.environ.get("PREBUNDLE_CACHE_DIR")
    os.environ["PREBUNDLE_CACHE_DIR"] = str(base / "machine-cache")
    try:
        daemon = Daemon(root)
    finally:
        if previous is None:
            os.environ.pop("PREBUNDLE_CACHE_DIR", None)
        else:
            os.environ["PREBUNDLE_CACHE_DIR"] = previous
    try:
        daemon.wait_listening()
        daemon.wait_state("ready")
        yield daemon
    finally:
        daemon.stop()


MODULE_SCRIPT = {"sec-fetch-dest": "script", "sec-fetch-mode": "cors"}


def _inline_map(code: str) -> dict:
    comment = "//# sourceMappingURL=data:application/json;base64,"
    return json.loads(base64.b64decode(code[code.rindex(comment) + len(comment):].strip()))


def _decode_mappings(mappings: str) -> list[list[tuple[int, ...]]]:
    """Each generated line's segments with absolute values: (column, source, line, column)."""
    values = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
    state = [0, 0, 0, 0]
    lines = []
    for line in mappings.split(";"):
        state[0] = 0
        segments = []
        for segment in filter(None, line.split(",")):
            fields, value, shift = [], 0, 0
            for char in segment:
                digit = values[char]
                value += (digit & 31) << shift
                shift += 5
                if not digit & 32:
                    fields.append(-(value >> 1) if value & 1 else value >> 1)
                    value = shift = 0
            for i, field in enumerate(fields[:4]):
                state[i] += field
            segments.append(tuple(state[:len(fields[:4])]))
        lines.append(segments)
    return lines


def test_a_tsx_module_is_served_as_browser_esm(site: Daemon) -> None:
    response = site.get("/src/main.tsx", headers=MODULE_SCRIPT)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache" and response.headers["etag"]
    code = response.text
    for line in ('from "react-dom/client"', 'from "react/jsx-dev-runtime"', 'from "/src/App.tsx"',
                 'import "/src/style.css?import"', 'from "/src/logo.svg?import"', 'from "/src/data.json?import"',
                 'import("/src/App.tsx")'):
        assert line in code, (line, code)
    assert 'console.log("development", true, false, "/", "development")' in code
    assert "!" not in code.split("getElementById")[1].split(")")[0]  # TypeScript is gone
    assert site.get("/src/main.tsx", headers={**MODULE_SCRIPT, "if-none-match": response.headers["etag"]}
                    ).status_code == 304
    importmap = site.get("/@prebundle/importmap.json").json()["imports"]
    assert {"react-dom/client", "react/jsx-dev-runtime", "react/jsx-runtime"} <= set(importmap)
    head = httpx.head(site.url + "/src/main.tsx", headers=MODULE_SCRIPT, timeout=10)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == response.headers["etag"]

    source_map = _inline_map(code)
    assert source_map["sources"] == ["src/main.tsx"] and source_map["sourceRoot"] == "/"
    assert source_map["sourcesContent"] == [MAIN]
    generated = code.splitlines()
    (row,) = [i for i, line in enumerate(generated) if "import(" in line]
    column = generated[row].index("then(")  # after the rewritten specifier, on its line
    segments = _decode_mappings(source_map["mappings"])[row]
    segment = max((s for s in segments if s[0] <= column), key=lambda s: s[0])
    original = MAIN.splitlines()[segment[2]]
    assert segment[0] == column and original[segment[3]:].startswith("then("), (segment, original)


def test_tsconfig_extends_is_followed_and_plain_js_stays_as_written_but_for_what_cannot_load(site: Daemon) -> None:
    app = site.get("/src/App.tsx").text
    assert "__decorateClass" in app  # experimentalDecorators, from the file tsconfig.json extends
    assert "jsxDEV(" in app and "fileName: \"src/App.tsx\"" in app
    # only the imports a browser could not load as written change: no extension, a stylesheet
    plain = site.get("/src/plain.js", headers=MODULE_SCRIPT)
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.text == (FILES["src/plain.js"].replace("'./App'\n", '"/src/App.tsx"\n')
                          .replace("'./style.css'", '"/src/style.css?import"')
                          .replace("'fancy-styles/css'", '"/node_modules/fancy-styles/dist/fancy.css?import"'))
    assert site.get("/src/plain.js").text == plain.text  # a classic script's request too


def test_css_json_and_assets_imported_by_code_are_modules(site: Daemon) -> None:
    css = site.get("/src/style.css?import")
    assert css.headers["content-type"] == "text/javascript; charset=utf-8"
    assert 'const id = "/src/style.css"' in css.text and "prebundle-css" in css.text
    assert '"./logo.svg"' in css.text  # resolved against the stylesheet's URL in the page
    assert site.get("/src/style.css").text == FILES["src/style.css"]  # a <link> gets the stylesheet
    data = site.get("/src/data.json?import").text
    assert 'JSON.parse("{\\"n\\": 20}\\n")' in data and "export const { n } = data;" in data  # the file's text
    assert site.get("/src/logo.svg?import").text.startswith('export default new URL("/src/logo.svg"')
    assert site.get("/src/odd%23name.svg?import").text.startswith('export default new URL("/src/odd%23name.svg"')
    assert site.get("/src/logo.svg").headers["content-type"].startswith("image/svg+xml")
    polyfill = site.get("/@prebundle/modulepreload-polyfill.js")
    assert polyfill.status_code == 200 and polyfill.text.strip() == "export {};"
    assert polyfill.headers["content-type"].startswith("text/javascript")


def test_a_packages_stylesheet_and_json_imported_by_name_are_modules(site: Daemon) -> None:
    # ``import "swiper/css"``, ``import "leaflet/dist/leaflet.css"``: no import map can hold a
    # stylesheet, so the import names the package's file, answered as the app's own CSS is.
    code = site.get("/src/Styled.tsx", headers=MODULE_SCRIPT).text
    for line in ('import "/node_modules/fancy-styles/dist/fancy.css?import"',
                 'from "/node_modules/fancy-styles/theme.json?import"', 'from "react-dom/client"'):
        assert line in code, (line, code)
    assert code.count("fancy.css?import") == 2  # through ``exports`` and by its path
    css = site.get("/node_modules/fancy-styles/dist/fancy.css?import", headers=MODULE_SCRIPT)
    assert css.headers["content-type"] == "text/javascript; charset=utf-8"
    assert 'const id = "/node_modules/fancy-styles/dist/fancy.css"' in css.text and '"images/dot.svg"' in css.text
    assert site.get("/node_modules/fancy-styles/dist/images/dot.svg").status_code == 200  # what url() loads
    assert '"{\\"accent\\": \\"teal\\"}\\n"' in site.get("/node_modules/fancy-styles/theme.json?import").text
    assert site.get("/node_modules/fancy-styles/dist/fancy.css").text == FILES["node_modules/fancy-styles/dist/fancy.css"]


def test_errors_name_the_file_and_show_the_code(site: Daemon) -> None:
    events = EventReader(site.url)
    try:
        bad = site.get("/src/Bad.tsx")
        assert bad.status_code == 500
        assert bad.text.startswith("src/Bad.tsx:2:26: ") and len(bad.text.strip().splitlines()) == 1
        kind, data = events.next_of(("error",), 10)
        assert kind == "error" and data["kind"] == "app" and data["url"] == "/src/Bad.tsx"
        assert (data["file"], data["line"], data["column"]) == ("src/Bad.tsx", 2, 26)
        assert "> 2 | export const broken = 1 +;" in data["frame"] and data["frame"].rstrip().endswith("^")
        missing = site.get("/src/Missing.tsx")
        assert missing.status_code == 500 and "src/Missing.tsx:1:23: cannot resolve the import './gone'" in missing.text
        status = site.status()
        assert status["transforms"]["errors"] >= 2 and any("src/Bad.tsx" in e for e in status["app_errors"])
    finally:
        events.close()
    hello = _hello(site)
    assert {error["url"] for error in hello["appErrors"]} >= {"/src/Bad.tsx", "/src/Missing.tsx"}


def _hello(site: Daemon) -> dict:
    """The ``hello`` a page's client gets when it connects."""
    with httpx.Client(timeout=httpx.Timeout(5, read=5)) as client, \
            client.stream("GET", site.url + "/@prebundle/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                return json.loads(line[5:])
    raise AssertionError("no hello")


def test_changes_are_announced_with_their_url_paths(site: Daemon) -> None:
    events = EventReader(site.url)
    try:
        root = site.root
        _replace(root / "src" / "style.css", ".app { color: rgb(0, 0, 255); }\n")
        seen = events.until(lambda kind, data: kind in ("update", "reload") and "/src/style.css" in data["paths"], 15)
        assert seen[-1][0] == "update" and not any(kind == "reload" for kind, _ in seen)
        _replace(root / "src" / "Bad.tsx", "export const ok = 2;\n")
        seen = events.until(lambda kind, data: kind in ("update", "reload") and "/src/Bad.tsx" in data["paths"], 15)
        assert seen[-1][0] == "update" and not any(kind == "reload" for kind, _ in seen)
        assert site.get("/src/Bad.tsx").status_code == 200
        assert not any("src/Bad.tsx" in e for e in site.status()["app_errors"])
    finally:
        events.close()


def test_deny_list_holds_for_every_query(site: Daemon) -> None:
    port = int(site.url.rsplit(":", 1)[1])
    for target in ("/private/Secret.tsx", "/private/Secret.tsx?import", "/server.pem?import", "/server.pem?import&raw",
                   "/prebundle.config.py?import", "/PRIVATE/Secret.tsx?t=1&import"):
        reply = send(port, target)
        assert reply.status == 403 and b"LEAK-MARKER" not in reply.body, (target, reply.status)
    for target in ("/.env?import", "/src/env-link.tsx", "/src/env-link.tsx?import", "/src/outside-link.tsx",
                   "/../outside/Leak.tsx?import", "/@id/__x00__/etc/passwd", "/@id/%2e%2e/.env"):
        reply = send(port, target)
        assert reply.status in (400, 403, 404) and b"LEAK-MARKER" not in reply.body, (target, reply.status)
    importer = send(port, "/src/Import.tsx")  # an app module may name a denied file: the page gets a 403 for it
    assert importer.status == 200 and b'"/private/Secret.tsx"' in importer.body and b"LEAK-MARKER" not in importer.body

    targets = (".env", "server.pem", "private/Secret.tsx", "prebundle.config.py", "src/env-link.tsx",
               "src/outside-link.tsx", "../outside/Leak.tsx")
    attempts = generated_attempts([("/", 0), ("/src/", 1), ("/@id/", 1)], targets, count=400, seed=11)
    attempts += vite_advisory_attempts(mount="/", site_abs=str(site.root), secret="server.pem", dotenv=".env",
                                       git=".git/config", outside_rel="../outside/Leak.tsx",
                                       outside_abs=str(site.root.parent / "outside" / "Leak.tsx"))
    probes = probe_daemon(port, attempts)
    assert find_leaks(probes, [b"LEAK-MARKER"]) == []
    odd = [(p.status, p.attempt.target) for p in probes if p.status not in (400, 403, 404) and p.attempt.path != "/"]
    assert odd == []  # ("/?/../x" is the index page)


def test_transforms_are_cached_in_memory_and_across_a_restart(tmp_path: Path, start_daemon, monkeypatch) -> None:
    root = _app(tmp_path)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    log = wait_until(lambda: "dashboard:" in daemon.log() and daemon.log(), 10)
    assert f"  app:        {daemon.url}/\n" in log and f"  dashboard:  {daemon.url}/@prebundle/\n" in log
    modules = ("/src/main.tsx", "/src/App.tsx")
    for path in modules:
        assert daemon.get(path).status_code == 200
    assert daemon.status()["transforms"] == {"done": 2, "cached": 0, "errors": 0}
    for path in modules:
        assert daemon.get(path).status_code == 200
    assert daemon.status()["transforms"] == {"done": 2, "cached": 2, "errors": 0}
    daemon.stop()
    opened = tmp_path / "opened.txt"  # what --open asked the browser ($BROWSER) to open
    monkeypatch.setenv("BROWSER", f"{sys.executable} -c \"import sys; open('{opened}', 'w').write(sys.argv[1])\" %s")
    again = start_daemon(root, "--open")
    again.wait_state("ready")
    assert wait_until(lambda: opened.is_file() and opened.read_text(), 10) == again.url + "/"
    bodies = [again.get(path).text for path in modules]
    assert again.status()["transforms"] == {"done": 0, "cached": 2, "errors": 0}
    assert 'from "/src/App.tsx"' in bodies[0]
    _replace(root / "src" / "App.tsx", APP.replace("{n}", "{n + 1}"))
    wait_until(lambda: "n + 1" in again.get("/src/App.tsx").text, 10)
    assert again.status()["transforms"]["done"] == 1


def _replace(path: Path, text: str) -> None:
    """Write ``path`` at once (by rename), as editors save: no request reads half of it."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_the_scan_adds_the_jsx_runtime_and_its_caches_follow_the_jsx_keys(tmp_path: Path, npm_modules) -> None:
    root = make_app(tmp_path / "app", "export const x = <b/>;\n", entry="src/main.jsx", hand_packages=False,
                    packages=["react", "preact"])
    (root / "src" / "main.jsx").write_text("import './other';\nexport const x = <b/>;\n")
    (root / "src" / "other.js").write_text("export const y = 1;\n")

    def deps() -> set[str]:
        done = subprocess.run([sys.executable, "-m", "prebundle", "scan", str(root), "--json"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 1), done.stderr
        data = json.loads(done.stdout)
        return set(data["deps"]) | {f"missing:{spec}" for spec in data["missing"]}

    assert deps() == {"react/jsx-dev-runtime", "react/jsx-runtime"}
    assert deps() == {"react/jsx-dev-runtime", "react/jsx-runtime"}  # answered by the fast path
    (root / "pyproject.toml").write_text('[tool.prebundle]\njsx_import_source = "preact"\n')
    assert deps() == {"preact/jsx-dev-runtime", "preact/jsx-runtime"}
    (root / "pyproject.toml").write_text('[tool.prebundle]\njsx = "transform"\n')
    assert deps() == set()
    (root / "pyproject.toml").write_text('[tool.prebundle]\njsx_in_js = true\nmode = "production"\n')
    assert deps() == {"react/jsx-runtime"}
    (root / "pyproject.toml").write_text('[tool.prebundle]\njsx_import_source = "not-installed"\n')
    assert deps() == {"missing:not-installed/jsx-dev-runtime", "missing:not-installed/jsx-runtime"}

    result = scan(load_config(root))
    text = str(missing_error(result))
    assert "src/main.jsx:1: cannot resolve 'not-installed/jsx-dev-runtime'" in text
    assert "jsx_import_source = 'not-installed'" in text


def test_imports_of_the_daemons_own_routes_are_not_missing_files(tmp_path: Path, npm_modules) -> None:
    root = make_app(tmp_path / "app", 'import "/@prebundle/modulepreload-polyfill.js";\nimport { on } from '
                    '"/@prebundle/client.js";\nexport const x = <b onClick={on}/>;\n', entry="src/main.tsx",
                    hand_packages=False, packages=["react"])
    result = scan(load_config(root))
    assert not result.missing and not result.warnings
    assert set(result.deps) == {"react/jsx-dev-runtime", "react/jsx-runtime"}


def test_another_sites_navigation_to_app_code_gets_the_file_as_it_is(site: Daemon) -> None:
    # An <iframe> or link of another site: let through (links to the app's pages work), but it
    # makes the daemon compile, read whole or report nothing.
    navigation = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "iframe"}
    errors = len(site.status()["app_errors"])
    for path in ("src/App.tsx", "src/Missing.tsx", "src/data.json"):
        on_disk = (site.root / path).read_text()
        assert site.get("/" + path + "?import", headers=navigation).text == on_disk
    assert len(site.status()["app_errors"]) == errors
    assert site.get("/src/App.tsx").text != (site.root / "src/App.tsx").read_text()  # the page's own request


def test_top_level_await_is_served_as_written(site: Daemon) -> None:
    # As Vite's dev server: the target is esnext, whatever the deps' target
    reply = site.get("/src/Awaits.ts")
    assert reply.status_code == 200 and "await Promise.resolve(1)" in reply.text, reply.text


def test_a_vue_file_no_plugin_compiles_is_an_error_naming_it(site: Daemon) -> None:
    reply = site.get("/src/Widget.vue?import")
    assert reply.status_code == 500 and "src/Widget.vue" in reply.text and "needs a plugin" in reply.text
    assert site.get("/src/Widget.vue").status_code == 200  # the file itself, as any file


def test_a_client_side_route_gets_the_apps_page(site: Daemon) -> None:
    # Reloading on a router's /settings/profile: the page, as Vite's dev server answers it
    page = site.get("/settings/profile", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and '<script type="importmap">' in page.text
    assert site.get("/settings/profile", headers={"accept": "*/*"}).status_code == 404  # a fetch: no page
    assert site.get("/src/gone.js", headers={"accept": "text/html"}).status_code == 404  # a file's name
