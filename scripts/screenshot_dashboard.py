"""Take docs/img/dashboard.png: the daemon's dashboard on a small React app, in headless Chromium.

The app lives in a temporary folder over the real packages of ``fixtures/npm`` (``make test``
installs them); a real ``prebundle daemon`` optimizes and serves it, and the picture is taken
with ``react`` selected in the graph.

    .venv/bin/python scripts/screenshot_dashboard.py [OUTPUT.png]

Needs Debian's chromium (/usr/bin/chromium) and Playwright (the test extras).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
NPM = REPO / "fixtures" / "npm"
OUTPUT = REPO / "docs" / "img" / "dashboard.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]

FILES = {
    "index.html": ('<!doctype html>\n<html><head><meta charset="utf-8"><title>shop</title></head>\n'
                   '<body><div id="root"></div><script type="module" src="/src/main.jsx"></script></body></html>\n'),
    "src/main.jsx": ('import { createRoot } from "react-dom/client";\nimport { App } from "./App.jsx";\n'
                     'createRoot(document.getElementById("root")).render(<App />);\n'),
    "src/App.jsx": ('import { useState } from "react";\nimport cx from "classnames";\n'
                    'import { formatDate } from "./dates.js";\nimport { debounce } from "lodash-es";\n\n'
                    'export function App() {\n  const [on, setOn] = useState(false);\n'
                    '  return <button className={cx("toggle", { on })} onClick={debounce(() => setOn(!on), 50)}>'
                    '{formatDate(new Date())}</button>;\n}\n'),
    "src/dates.js": ('import dayjs from "dayjs";\nimport moment from "moment";\n\n'
                     'export const formatDate = (date) =>\n'
                     '  dayjs(date).format("D MMM") + " " + moment(date).fromNow();\n'),
    "src/widget.js": 'import { h, render } from "preact";\nrender(h("p", null, "widget"), document.body);\n',
    "widget.html": '<!doctype html>\n<script type="module" src="/src/widget.js"></script>\n',
}


def make_app(root: Path) -> Path:
    """The app: its sources, a lockfile and links to the installed packages."""
    if not (NPM / "node_modules" / "react").is_dir():
        raise SystemExit("fixtures/npm is not installed: run `make test` (it runs npm ci there)")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    shutil.copy2(NPM / "package-lock.json", root / "package-lock.json")
    lock = json.loads((NPM / "package-lock.json").read_text())
    dependencies = lock["packages"][""]["dependencies"]
    (root / "package.json").write_text(json.dumps({"name": "shop", "dependencies": dependencies}))
    modules = root / "node_modules"
    modules.mkdir()
    for entry in sorted((NPM / "node_modules").iterdir()):
        if not entry.name.startswith("."):
            (modules / entry.name).symlink_to(entry, target_is_directory=True)
    return root


def start_daemon(root: Path) -> tuple[subprocess.Popen, str]:
    """A daemon on a free port, once its first run is done; and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pidfile = root / "node_modules" / ".vite" / "daemon.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the daemon exited with {proc.returncode}")
        try:
            info = json.loads(pidfile.read_text())
            if info.get("port"):
                return proc, info["url"]
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the daemon did not start")


def screenshot(url: str, output: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1180}, device_scale_factor=1)
            page.goto(url + "/@prebundle/")
            page.wait_for_selector("#daemon-state.ready", timeout=60_000)
            page.wait_for_selector("#packages tbody tr[data-package=react]", timeout=60_000)
            page.click("#packages tbody tr[data-package=react]")
            page.wait_for_selector("#details:not([hidden])")
            page.evaluate("window.scrollTo(0, 0)")
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output), full_page=False)
        finally:
            browser.close()


def main(argv: list[str]) -> int:
    output = Path(argv[0]).resolve() if argv else OUTPUT
    with tempfile.TemporaryDirectory(prefix="prebundle-dashboard-") as folder:
        root = make_app(Path(folder) / "shop")
        proc, url = start_daemon(root)
        try:
            screenshot(url, output)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    print(f"{output.relative_to(REPO) if output.is_relative_to(REPO) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
