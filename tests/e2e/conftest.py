"""End-to-end harness: the 55-package compatibility app (fixtures/compat) copied into a temp
folder, the real ``prebundle`` CLI and ``prebundle daemon`` as subprocesses, and headless
Chromium on its pages (helpers of ``tests.support``: ``make_app``, ``serve``, ``open_page``,
``Daemon``, ``EventReader``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.apps import compat_page, drop_from_lockfile, make_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, DEPS_PREFIX, close_page, open_page, serve
from tests.support.daemon import Daemon

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

PREBUNDLE = REPO / ".venv" / "bin" / "prebundle"
"""The installed console command, run as a subprocess like a user runs it."""

ALL_CASES = ("react", "vue", "preact", "lit", "lodash-es", "date-fns", "dayjs", "rxjs", "axios",
             "zod", "reduxjs-toolkit", "uuid")
"""The cases ``all.html`` runs on one page (``src/all.js`` imports their modules)."""
ALL_PACKAGES = tuple("@reduxjs/toolkit" if case == "reduxjs-toolkit" else case for case in ALL_CASES)
"""The ``data-pkg`` each of those cases reports."""
NOT_CRAWLED = ("mitt",)
"""Compat packages installed but imported by no page of the copy at the start (no
``cases/<name>.html``): a flow adds one."""
SINGLE_PAGES = ("moment", "nprogress", "socket.io-client", "chart.js", "highlight.js")
"""Case pages opened on their own besides ``all.html`` (CSS, many transitive packages, CJS)."""


# -- the app ------------------------------------------------------------------------------------


ALL_JS = "\n".join([
    "// Runs a dozen compatibility cases on one page; each appends its <li> to #results.",
    "import { run, expect } from './run.js'",
    *(f"import './cases/{case}.js'" for case in ALL_CASES),
]) + "\n"
"""``src/all.js``; ``run`` and ``expect`` are imported for the code a flow appends."""


def flow_app(root: Path, *, esbuild: bool = True, real_packages: tuple[str, ...] = ()) -> Path:
    """A copy of the compatibility app as ``npm ci`` leaves it (``make_app(compat=True)``:
    ``node_modules`` a real folder, and each ``@scope`` in it, of per-package symlinks into
    fixtures/compat/node_modules, plus a copy of its install state). Pages: one per case except
    ``NOT_CRAWLED``, the budget pages and ``all.html``.

    ``esbuild=False`` leaves esbuild out entirely, as in an app that never installed it;
    ``real_packages`` are copied instead of linked, so a test may edit them.
    """
    make_app(root, compat=True, install_state=True, npm_layout=True, esbuild=esbuild, real_packages=real_packages)
    for name in NOT_CRAWLED:
        (root / "cases" / f"{name}.html").unlink()
    (root / "src" / "all.js").write_text(ALL_JS)
    (root / "all.html").write_text(compat_page("/src/all.js", []))
    return root


def drop_from_lockfiles(root: Path, *names: str) -> None:
    """``npm uninstall``'s change to both lockfiles."""
    for path in (root / "package-lock.json", root / "node_modules" / ".package-lock.json"):
        drop_from_lockfile(path, names)


def set_lock_record(root: Path, name: str, **fields: str) -> None:
    """Change ``node_modules/<name>``'s record in both lockfiles, as npm does on an install."""
    for path in (root / "package-lock.json", root / "node_modules" / ".package-lock.json"):
        data = json.loads(path.read_text())
        data["packages"][f"node_modules/{name}"].update(fields)
        path.write_text(json.dumps(data, indent=2) + "\n")


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


# -- the CLI ------------------------------------------------------------------------------------


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"prebundle {' '.join(self.args)} → exit {self.returncode}\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


def cli_env(package_cache: Path) -> dict[str, str]:
    """The user's environment, with this module's machine-wide cache and no esbuild override."""
    env = {**os.environ, "PREBUNDLE_CACHE_DIR": str(package_cache), "PYTHONUNBUFFERED": "1"}
    for name in ("ESBUILD_BINARY_PATH", "PREBUNDLE_ESBUILD_DOWNLOAD"):
        env.pop(name, None)
    return env


def prebundle(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 300) -> Run:
    """Run the ``prebundle`` console command to its end."""
    if not PREBUNDLE.is_file():
        pytest.fail(f"{PREBUNDLE} is missing: run `make install` (or `make test`)")
    done = subprocess.run([str(PREBUNDLE), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


def assert_ok(run: Run) -> Run:
    """Exit 0 and no traceback anywhere in the output."""
    assert "Traceback" not in run.output, run.describe()
    assert run.returncode == 0, run.describe()
    return run


SUMMARY = re.compile(r"(\d+) packages? built, (\d+) reused")


def built_and_reused(run: Run) -> tuple[int, int]:
    """The counts of the CLI's summary line (``... N packages built, M reused; ...``)."""
    match = SUMMARY.search(run.output)
    assert match, f"no build summary in the output:\n{run.describe()}"
    return int(match.group(1)), int(match.group(2))


# -- the output, as a web server serves it -----------------------------------------------------


def deps_dir_of(root: Path) -> Path:
    return root / "node_modules" / ".vite" / "deps"


def importmap(root: Path) -> dict[str, str]:
    return json.loads((deps_dir_of(root) / "importmap.json").read_text())["imports"]


def url_file(deps_dir: Path, url: str) -> Path:
    path = urlsplit(url).path
    assert path.startswith(DEPS_PREFIX), url
    return deps_dir / path[len(DEPS_PREFIX):]


def url_version(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("v", [""])[0]


def content_hash(data: bytes) -> str:
    from prebundle.metadata import file_hash

    return file_hash(data)


def state_problems(root: Path) -> list[str]:
    """What is wrong with the served deps dir (empty when it is consistent): every URL of
    ``importmap.json`` names an existing, non-empty file inside the deps dir (not a temp dir)
    whose content hash is its ``?v=``, agreeing with ``_metadata.json``; every chunk the
    manifest lists exists."""
    deps_dir = deps_dir_of(root)
    problems: list[str] = []
    try:
        imports = json.loads((deps_dir / "importmap.json").read_text())["imports"]
        meta = json.loads((deps_dir / "_metadata.json").read_text())
        manifest = json.loads((deps_dir / "manifest.json").read_text())
    except (OSError, ValueError, KeyError) as error:
        return [f"deps dir unreadable: {type(error).__name__}: {error}"]
    optimized = meta.get("optimized", {})
    if set(imports) != set(optimized):
        problems.append(f"import map ids ≠ _metadata ids: {sorted(set(imports) ^ set(optimized))}")
    for spec, url in sorted(imports.items()):
        if "deps_temp" in url or "deps_old" in url:
            problems.append(f"{spec}: URL into a temp dir: {url}")
            continue
        file = url_file(deps_dir, url)
        try:
            data = file.read_bytes()
        except OSError as error:
            problems.append(f"{spec}: {url}: {type(error).__name__}")
            continue
        if not data:
            problems.append(f"{spec}: {url}: empty file")
        version = url_version(url)
        if content_hash(data) != version:
            problems.append(f"{spec}: {url}: content hash {content_hash(data)} ≠ ?v={version}")
        record = optimized.get(spec, {})
        if record and (record.get("fileHash") != version or url_file(deps_dir, url) != deps_dir / record.get("file", "")):
            problems.append(f"{spec}: _metadata says {record.get('file')}?v={record.get('fileHash')}, the map {url}")
    for key, record in manifest.items():
        for name in [record.get("file", ""), *(i[1:] for i in record.get("imports", ()))]:
            if name and not (deps_dir / name).is_file():
                problems.append(f"manifest {key}: {name} is missing")
    return problems


def assert_consistent(root: Path, context: str = "") -> None:
    problems = state_problems(root)
    assert problems == [], f"{context}\n" + "\n".join(problems[:40])


def files_of(root: Path, specs) -> set[str]:
    """The deps-dir files of some ids: their entries and the chunks they import (manifest), the
    files those emit (``assets``), and each one's source map and licence file beside it."""
    manifest = json.loads((deps_dir_of(root) / "manifest.json").read_text())
    seen: set[str] = set()
    todo = [spec for spec in specs if spec in manifest]
    while todo:
        record = manifest[todo.pop()]
        name = record["file"]
        if name in seen:
            continue
        seen.add(name)
        seen.update(record.get("assets", ()))
        todo += [key for key in record.get("imports", ()) if key in manifest]
    return seen | {name + suffix for name in seen for suffix in (".map", ".LEGAL.txt")}


def output_files(root: Path) -> dict[str, bytes]:
    """Every file of the deps dir but the documents that describe it."""
    deps_dir = deps_dir_of(root)
    skip = {"_metadata.json", "importmap.json", "manifest.json", "package.json"}
    return {path.relative_to(deps_dir).as_posix(): path.read_bytes()
            for path in sorted(deps_dir.rglob("*")) if path.is_file() and path.name not in skip}


# -- pages ----------------------------------------------------------------------------------------


def results(visit) -> dict[str, dict]:
    """The cases a page ran: ``{package: {"ok", "text", "exports"}}``."""
    items = visit.page.eval_on_selector_all(
        "#results > li[data-pkg]",
        "els => els.map(e => ({pkg: e.dataset.pkg, ok: e.dataset.ok, text: e.textContent,"
        " exports: e.dataset.exports}))")
    return {item["pkg"]: {"ok": item["ok"] == "true", "text": item["text"],
                          "exports": json.loads(item["exports"] or "{}")} for item in items}


def real_errors(visit) -> list[str]:
    """The page's errors, minus the event stream the browser itself aborts when the page
    reloads (a harness artefact, not the app's failure)."""
    return [error for error in visit.errors
            if not (error.startswith("request failed:") and "/@prebundle/events" in error)]


def check_page(browser, url: str, packages: tuple[str, ...], *, probe: str | None = None) -> dict[str, dict]:
    """Open ``url``, wait for ``len(packages)`` results; no page error, no failed request, every
    case ok. Returns the results; with ``probe`` (a JS expression) also its value in the page,
    under the key ``"probe"``."""
    visit = open_page(browser, url, ready=f"#results > li:nth-child({len(packages)})")
    try:
        found = results(visit)
        errors = real_errors(visit)
        value = visit.page.evaluate(probe) if probe else None
    finally:
        close_page(visit)
    failed = {pkg: item["text"] for pkg, item in found.items() if not item["ok"]}
    failed |= {f"{pkg} exports of {spec}": names for pkg, item in found.items()
               for spec, names in item["exports"].items() if not (isinstance(names, list) and names)}
    assert errors == [] and failed == {} and set(found) == set(packages), (
        f"{url}:\nerrors: {errors}\nfailed cases: {failed}\nran: {sorted(found)}, wanted {sorted(packages)}")
    if probe:
        found["probe"] = value
    return found


def check_app_pages(browser, base_url: str, *, singles: tuple[str, ...] = SINGLE_PAGES) -> None:
    """``all.html`` and a few single case pages work."""
    check_page(browser, f"{base_url}/all.html", ALL_PACKAGES)
    for case in singles:
        check_page(browser, f"{base_url}/cases/{case}.html", (case,))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for this package (closed after it: sync Playwright keeps an event
    loop in this thread, and later suites use ``asyncio.run``)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `make test`, which installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def package_cache(tmp_path_factory) -> Path:
    """The machine-wide cache (``PREBUNDLE_CACHE_DIR``) of every flow here: empty before the first
    run (which fetches esbuild into it), then holding the built packages, so later flows start
    warm as on a user's machine."""
    return tmp_path_factory.mktemp("machine-cache")


@pytest.fixture
def env(package_cache, monkeypatch) -> dict[str, str]:
    """The CLI's environment; the same variables are set in this process for ``Daemon``."""
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(package_cache))
    for name in ("ESBUILD_BINARY_PATH", "PREBUNDLE_ESBUILD_DOWNLOAD"):
        monkeypatch.delenv(name, raising=False)
    return cli_env(package_cache)


@pytest.fixture
def static_server():
    """``static_server(root)``: an HTTP server of the app root that inlines the deps dir's
    import map into pages, as a backend integration renders it; closed after the test."""
    servers = []

    def start(root: Path):
        server = serve(root, deps_dir_of(root))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def daemons():
    """``daemons(root)``: a listening ``prebundle daemon`` subprocess; stopped after the test."""
    started: list = []

    def start(root: Path, *extra: str):
        daemon = Daemon(root, *extra)
        started.append(daemon)
        return daemon.wait_listening(timeout=60)

    yield start
    for daemon in started:
        daemon.stop()
