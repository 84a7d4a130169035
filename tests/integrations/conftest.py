"""A real app pre-bundled once per session in production mode (react, react-dom, dayjs with a
shared chunk, a package with CSS, one importing react), a hand-written deps dir with hostile ids,
a page source that renders a React component, and copies of the example app (examples/demo), one
of them built with `prebundle build`, so no test writes into the repository's examples."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apps import make_app

SOURCE = """\
import React from 'react'
import { createRoot } from 'react-dom/client'
import dayjs from 'dayjs'
import relativeTime from 'dayjs/plugin/relativeTime'
import { styled } from 'with-css'
import 'needs-react'
dayjs.extend(relativeTime)
const el = document.getElementById('root')
createRoot(el).render(React.createElement('p', { id: 'hello', className: styled ? 'with-css' : '' }, 'hello from React ' + React.version))
"""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = EXAMPLES / "demo"
HOSTILE = '"><script>alert(1)</script>'


def sri(path: Path) -> str:
    """The SRI hash of a file, computed here independently of the code under test."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def add_shims(root: Path) -> Path:
    """A stand-in es-module-shims package in the app's node_modules."""
    package = root / "node_modules" / "es-module-shims"
    (package / "dist").mkdir(parents=True, exist_ok=True)
    (package / "package.json").write_text(json.dumps({"name": "es-module-shims", "version": "2.8.4",
                                                      "main": "dist/es-module-shims.js"}))
    (package / "dist" / "es-module-shims.js").write_text("/* es-module-shims stand-in */\n" + "void 0;\n" * 300)
    return package / "dist" / "es-module-shims.js"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The project root of a production build (deps in node_modules/.vite/deps)."""
    from prebundle import load_config, optimize
    from prebundle.integrations.compress import precompress

    root = make_app(tmp_path_factory.mktemp("integrations") / "app", SOURCE,
                    extra={"src/style.css": "#hello { font-weight: bold }\n"})
    add_shims(root)
    result = optimize(load_config(root, overrides={"mode": "production", "log_level": "silent"}))
    precompress(result.deps_dir)
    return root


def copy_demo(dest: Path) -> Path:
    """A copy of examples/demo at ``dest`` (its build and caches left out): its own files copied,
    its installed packages linked one by one, so prebundle's output goes into the copy's own
    ``node_modules/.vite``."""
    modules = DEMO / "node_modules"
    if not (modules / "react" / "package.json").is_file():
        pytest.fail("examples/demo is not installed: run `make npm` (or `make test`)")
    shutil.copytree(DEMO, dest, ignore=lambda folder, names: [n for n in names if Path(folder) == DEMO
                                                              and n in ("node_modules", "dist")])
    (dest / "node_modules").mkdir()
    for entry in modules.iterdir():
        if entry.name in (".vite", ".stamp"):
            continue
        if entry.is_file():
            shutil.copy2(entry, dest / "node_modules" / entry.name)  # the install state
        else:
            (dest / "node_modules" / entry.name).symlink_to(entry, target_is_directory=True)
    return dest


def build(root: Path) -> Path:
    """``prebundle build`` run on ``root`` as a user runs it; its out dir."""
    done = subprocess.run([sys.executable, "-m", "prebundle", "build", str(root)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "dist"


@pytest.fixture(scope="session")
def demo_dev(tmp_path_factory) -> Path:
    """A copy of examples/demo with its packages pre-bundled for development (as the daemon does)."""
    from prebundle import load_config, optimize

    root = copy_demo(tmp_path_factory.mktemp("demo-dev") / "demo")
    optimize(load_config(root, overrides={"log_level": "silent"}))
    return root


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory) -> Path:
    """A copy of examples/demo after `prebundle build` (its out dir is ``dist``); no daemon runs for it."""
    root = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    build(root)
    return root


@pytest.fixture
def deps(built) -> Path:
    return built / "node_modules" / ".vite" / "deps"


@pytest.fixture
def hostile_dir(tmp_path) -> Path:
    """A deps dir whose id, file names and CSS carry markup."""
    deps = tmp_path / "node_modules" / ".vite" / "deps"
    deps.mkdir(parents=True)
    js = 'evil"><script>x.js'
    (deps / js).write_text("export default 1;\n")
    (deps / "evil.css").write_text("p{}\n")
    (deps / "package.json").write_text('{"type": "module"}')
    (deps / "importmap.json").write_text(json.dumps({"imports": {HOSTILE: f"/node_modules/.vite/deps/{js}?v=1"}}))
    (deps / "manifest.json").write_text(json.dumps({HOSTILE: {"file": js, "src": HOSTILE, "isEntry": True,
                                                              "imports": [], "css": ["evil.css"], "assets": [],
                                                              "externals": []}}))
    return deps


def django_settings():
    """Configure Django from the example project (examples/django), once per process."""
    import sys

    import django
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(EXAMPLES / "django"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "demo_site.settings"
        django.setup()
    return settings


def load_example(name: str):
    """``examples/<name>/app.py`` as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_{name}_app", EXAMPLES / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tag_attrs(html: str, tag: str, **match: str) -> list[dict[str, str]]:
    """Attributes of each ``<tag ...>`` in ``html`` whose attributes include ``match``."""
    found = []
    for m in re.finditer(rf"<{tag}\b([^>]*)>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        for bare in re.findall(r'\s([\w-]+)(?=\s|$)', m.group(1)):
            attrs.setdefault(bare, "")
        if all(attrs.get(k) == v for k, v in match.items()):
            found.append(attrs)
    return found


def importmap_of(html: str) -> dict:
    m = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    assert m, html
    return json.loads(m.group(1))


def expected_closure(deps: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """(JS files, CSS files) reachable from ``names`` through manifest imports and externals,
    walked here independently."""
    manifest = json.loads((deps / "manifest.json").read_text())
    js, css, todo, seen = [], [], list(names), set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        record = manifest[key]
        js.append(record["file"])
        css += [c for c in record.get("css", []) if c not in css]
        todo += record.get("imports", []) + record.get("externals", [])
    return sorted(set(js)), sorted(css)


def check_page(html: str, deps: Path, base: str, names: list[str], nonce: str | None = None) -> None:
    """The assertions every framework's page must pass: import map URLs and integrity from the
    files, the modulepreload closure, CSS links, and the nonce on every tag."""
    imap = importmap_of(html)
    metadata = json.loads((deps / "_metadata.json").read_text())
    assert set(imap["imports"]) == set(metadata["optimized"])
    for id_, url in imap["imports"].items():
        record = metadata["optimized"][id_]
        assert url == f"{base}{record['file']}?v={record['fileHash']}"
        assert imap["integrity"][url] == sri(deps / record["file"])
    js, css = expected_closure(deps, names)
    preloads = tag_attrs(html, "link", rel="modulepreload")
    hrefs = sorted(p["href"].split("?")[0].removeprefix(base) for p in preloads)
    assert hrefs == js
    for p in preloads:
        file = p["href"].split("?")[0].removeprefix(base)
        assert p["integrity"] == sri(deps / file)
        chunk_url = f"{base}{file}"
        assert imap["integrity"].get(p["href"]) or imap["integrity"].get(chunk_url)
    sheets = [s for s in tag_attrs(html, "link", rel="stylesheet") if s["href"].startswith(base)]
    assert sorted(s["href"].removeprefix(base) for s in sheets) == css
    for s in sheets:
        assert s["integrity"] == sri(deps / s["href"].removeprefix(base))
    if nonce is not None:
        tags = [t for t in re.findall(r"<(?:script|link)\b[^>]*>", html) if 'rel="icon"' not in t]
        assert tags and all(f'nonce="{nonce}"' in t for t in tags), tags


def check_built_page(html: str, dist: Path, base: str, nonce: str | None = None) -> None:
    """The assertions every framework's page of the demo's build must pass: the import map of its
    deps (``check_page``), the entry's stylesheet and hashed script with integrity from the files,
    the lazily imported module's integrity in the import map, and the nonce on every tag."""
    check_page(html, dist / "deps", base + "deps/", [], nonce=nonce)
    manifest = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    entry, lazy = manifest["src/main.tsx"], manifest["src/Details.tsx"]["file"]
    assert [(s["src"], s["integrity"]) for s in tag_attrs(html, "script", type="module")] == \
           [(base + entry["file"], sri(dist / entry["file"]))]
    assert [(s["href"], s["integrity"]) for s in tag_attrs(html, "link", rel="stylesheet")] == \
           [(base + file, sri(dist / file)) for file in entry["css"]]
    assert importmap_of(html)["integrity"][base + lazy] == sri(dist / lazy)
    assert "/@prebundle/client.js" not in html  # no daemon runs

