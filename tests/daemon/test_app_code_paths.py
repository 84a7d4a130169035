"""tsconfig ``paths`` and ``baseUrl`` aliases through the daemon: an app module's
``@/components/Button`` is written as the file's URL, as a relative import is, the daemon's scan
crawls the aliased files (their packages join the import map), a tsconfig edit is seen by both,
an alias with no file behind it is an error naming the tsconfig, a TSX app of aliases renders in
Chromium, and ``prebundle build`` picks the same files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS
from tests.support.daemon import run_in_thread
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>app</title><link rel="icon" href="data:,"></head>
<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>
"""
MAIN = """import { createRoot } from "react-dom/client";
import { Button } from "@/components/Button";
import { Title } from "@/Title";
import { shout } from "~/lib/format.js";
import settings from "app-settings";
import "@/styles/app.css";

createRoot(document.getElementById("root")!).render(
  <main id="app"><Title /><Button label={shout(settings.greeting)} /></main>,
);
"""
BUTTON = """import cx from "classnames";
export function Button({ label }: { label: string }) {
  return <button id="button" className={cx("button", { wide: true })}>{label}</button>;
}
"""
FILES = {
    "src/components/Button.tsx": BUTTON,
    # several targets, tried in order: the override wins over src/Title.tsx
    "src/overrides/Title.tsx": 'export const Title = () => <h1 id="title">override title</h1>;\n',
    "src/Title.tsx": 'export const Title = () => <h1 id="title">plain title</h1>;\n',
    "src/lib/format.ts": "export const shout = (text: string): string => text.toUpperCase() + '!';\n",
    "src/settings/index.ts": "export default { greeting: 'hello' };\n",
    "src/styles/app.css": "#app h1 { color: rgb(1, 2, 3); }\n",
    "next/components/Button.tsx": 'export const Button = ({ label }: { label: string }) => '
                                  '<button id="button">next {label}</button>;\n',
    "tsconfig.json": '{\n  "extends": "./tsconfig.paths.json",\n  "compilerOptions": {"jsx": "react-jsx"},\n}\n',
    "tsconfig.paths.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {
        "@/*": ["src/overrides/*", "src/*"],
        "~/*": ["src/*"],
        "app-settings": ["src/settings"],
    }}}, indent=2),
}
NEXT_PATHS = json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {
    "@/*": ["next/*", "src/*"],
    "~/*": ["src/*"],
    "app-settings": ["src/settings"],
}}}, indent=2)
"""``@/components/Button`` is ``next/``'s now, and ``@/Title`` the one in ``src/``."""
PACKAGES = ["react", "react-dom", "scheduler", "classnames", "esbuild", "@esbuild"]


def _app(base: Path) -> Path:
    return make_app(base / "app", MAIN, entry="src/main.tsx", html=PAGE, hand_packages=False, packages=PACKAGES,
                    extra=FILES)


def _imports(code: str) -> list[str]:
    """The specifiers of the static imports of compiled code."""
    return re.findall(r'^import [^"\n]*"([^"]+)";?$', code, flags=re.M)


def _replace(path: Path, text: str) -> None:
    """Write ``path`` at once, as editors save (by rename)."""
    temporary = path.with_name("." + path.name + ".swp")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_aliases_become_file_urls_and_follow_tsconfig_edits(tmp_path: Path, start_daemon) -> None:
    root = _app(tmp_path)
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    assert status["error"] is None
    assert "classnames" in status["deps"]  # imported only by the aliased Button: the scan crawled it

    main = daemon.get("/src/main.tsx")
    assert main.status_code == 200, main.text
    imports = _imports(main.text)
    assert [spec for spec in imports if spec.startswith("/")] == [
        "/src/components/Button.tsx", "/src/overrides/Title.tsx", "/src/lib/format.ts", "/src/settings/index.ts",
        "/src/styles/app.css?import",
    ]
    assert "react-dom/client" in imports and not any(spec.startswith(("@/", "~/", "app-settings")) for spec in imports)
    for url in ("/src/components/Button.tsx", "/src/overrides/Title.tsx", "/src/lib/format.ts",
                "/src/styles/app.css?import"):
        assert daemon.get(url).status_code == 200, url

    # paths edited: the page's imports and the daemon's scan both follow
    _replace(root / "tsconfig.paths.json", NEXT_PATHS)
    wait_until(lambda: "/next/components/Button.tsx" in _imports(daemon.get("/src/main.tsx").text), 15,
               message=lambda: daemon.get("/src/main.tsx").text)
    imports = _imports(daemon.get("/src/main.tsx").text)
    assert "/src/Title.tsx" in imports and "/src/components/Button.tsx" not in imports
    # the rescan no longer finds the package only the src/ Button imported
    wait_until(lambda: daemon.status()["last_run"]["removed"] == ["classnames"], 15, message=daemon.status)


def test_an_alias_with_no_file_is_an_error_naming_the_tsconfig(tmp_path: Path, start_daemon) -> None:
    root = _app(tmp_path)
    (root / "src" / "Broken.tsx").write_text('import { Gone } from "@/components/Gone";\nexport default Gone;\n')
    (root / "src" / "main.tsx").write_text(MAIN + 'import "./Broken";\n')
    daemon = start_daemon(root)
    status = daemon.wait_state("error")
    assert ("src/Broken.tsx:1: cannot resolve '@/components/Gone': it matches '@/*' in the paths of tsconfig.json, "
            "but no file is there (tried src/overrides/components/Gone, src/components/Gone") in status["error"]
    assert "npm install" not in status["error"]
    broken = daemon.get("/src/Broken.tsx")
    assert broken.status_code == 500
    assert "cannot resolve the import '@/components/Gone'" in broken.text


def test_a_tsx_app_of_aliases_renders_and_builds_alike(tmp_path: Path, start_daemon) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `make test`, which installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    root = _app(tmp_path)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    seen = run_in_thread(_render, sync_api, daemon.url, timeout=120)
    assert seen["problems"] == [], seen["problems"]
    assert seen["title"] == "override title" and seen["button"] == "HELLO!"
    assert seen["color"] == "rgb(1, 2, 3)" and seen["class"] == "button wide"
    assert {"/src/components/Button.tsx", "/src/overrides/Title.tsx", "/src/lib/format.ts",
            "/src/settings/index.ts"} <= set(seen["modules"])
    assert "/src/Title.tsx" not in seen["modules"]
    daemon.stop()

    built = subprocess.run([sys.executable, "-m", "prebundle", "build", str(root)], capture_output=True, text=True,
                           timeout=240)
    assert built.returncode == 0, built.stderr
    assets = root / "dist" / "assets"
    code = "".join(path.read_text() for path in assets.glob("*.js"))
    css = "".join(path.read_text() for path in assets.glob("*.css"))
    assert "override title" in code and "plain title" not in code  # the same target as in development
    assert "toUpperCase" in code and "greeting" in code and "#app h1{color:#010203}" in css  # minified
    assert "classnames" in json.loads((root / "dist" / "deps" / "importmap.json").read_text())["imports"]


def _render(sync_api, url: str) -> dict:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
            page.goto(url + "/")
            page.wait_for_selector("#button", timeout=PAGE_TIMEOUT_MS)
            return {
                "problems": problems,
                "title": page.text_content("#title"),
                "button": page.text_content("#button"),
                "class": page.get_attribute("#button", "class"),
                "color": page.evaluate("getComputedStyle(document.getElementById('title')).color"),
                "modules": page.evaluate("[...(globalThis.__prebundle_loaded ?? [])]"),
            }
        finally:
            browser.close()
