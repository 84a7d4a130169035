"""Every user flow on the real 55-package compatibility app, end to end: the installed
``prebundle`` command and ``prebundle daemon`` as subprocesses on a copy of fixtures/compat,
headless Chromium on its pages.

Each test makes its own copy of the app; they share one machine-wide cache
(``PREBUNDLE_CACHE_DIR``), empty before the first test, as a user's machine is before the first
run. What is asserted is what a user sees: exit codes, one-line errors without a traceback, pages
whose cases all pass with no page error or failed request, URLs kept or changed, packages built
or reused.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.apps import compat_page
from tests.support.browser import close_page, open_page
from tests.support.daemon import EventReader

from .conftest import (
    ALL_CASES, ALL_JS, ALL_PACKAGES, PREBUNDLE, assert_consistent, assert_ok, built_and_reused,
    check_app_pages, check_page, deps_dir_of, drop_from_lockfiles, files_of, flow_app, importmap,
    integrity_of, output_files, prebundle, real_errors, results, set_lock_record, state_problems,
)

pytestmark = pytest.mark.slow

DAEMON_RUN_TIMEOUT = 180
"""Seconds a daemon may take for one run (a cold build of the whole app on a busy 2-core box)."""


def _package_of(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def _ids_of(imports: dict[str, str], names) -> set[str]:
    names = set(names)
    return {spec for spec in imports if _package_of(spec) in names}


def _version(root: Path, name: str) -> str:
    return json.loads((root / "node_modules" / name / "package.json").read_text())["version"]


def _entry_file(root: Path, spec: str) -> Path:
    """The package file an id was bundled from (``_metadata.json``'s ``src``, relative to the
    deps dir), as a path inside the app's ``node_modules``."""
    meta = json.loads((deps_dir_of(root) / "_metadata.json").read_text())
    src = Path(os.path.realpath(deps_dir_of(root) / meta["optimized"][spec]["src"]))
    package = root / "node_modules" / _package_of(spec)
    return package / src.relative_to(os.path.realpath(package))


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {spec for spec in before.keys() & after.keys() if before[spec] != after[spec]}


# -- 1. the first run, with no esbuild installed -------------------------------------------------


def test_first_run_without_esbuild_fetches_it_and_the_app_works(tmp_path, env, package_cache, browser,
                                                               static_server):
    """No esbuild anywhere (not in node_modules, not in package.json, an empty machine-wide cache):
    ``prebundle`` fetches the pinned esbuild itself, bundles the whole app (Node builtins and all),
    prints no traceback, and the pages work. A second run reuses everything."""
    root = flow_app(tmp_path / "app", esbuild=False)
    for folder in (root, *root.parents):
        for name in ("esbuild", "@esbuild"):
            assert not (folder / "node_modules" / name).exists(), f"esbuild is installed at {folder}"
    assert not any(package_cache.iterdir()), "the machine-wide cache must start empty"

    first = assert_ok(prebundle(str(root), env=env))
    binaries = sorted(path for name in ("esbuild", "esbuild.exe")  # <cache>/esbuild/<version>/<platform>/
                      for path in (package_cache / "esbuild").glob(f"*/*/{name}"))
    assert len(binaries) == 1 and os.access(binaries[0], os.X_OK), (
        f"no esbuild binary in the machine-wide cache: {binaries}\n{first.describe()}")
    assert any("esbuild" in line for line in first.output.splitlines()), (
        f"the fetch of esbuild is not mentioned:\n{first.describe()}")
    assert_consistent(root, first.describe())

    which = assert_ok(prebundle("esbuild", env=env, cwd=root))
    assert str(binaries[0]) in which.output, which.describe()

    before = (deps_dir_of(root) / "importmap.json").read_bytes()
    second = assert_ok(prebundle(str(root), env=env))
    assert "up to date" in second.output, second.describe()
    assert (deps_dir_of(root) / "importmap.json").read_bytes() == before

    server = static_server(root)
    check_app_pages(browser, server.url)


# -- 2. the daemon: a new dependency, then its removal ---------------------------------------------

MITT_USE = """
import mitt from 'mitt'
run('mitt', ['mitt'], async () => {
  const bus = mitt()
  const seen = []
  bus.on('ping', (value) => seen.push(value))
  bus.emit('ping', 42)
  expect(seen, [42])
  return 'mitt works'
})
"""


def _wait_event(daemon, events, wanted: str, timeout: float = DAEMON_RUN_TIMEOUT):
    deadline = time.monotonic() + timeout
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        kind, data = events.next(left)
        if kind == "timeout":
            break
        seen.append((kind, data))
        if kind == wanted:
            return data
        if kind in ("error", "closed"):
            break
    raise AssertionError(f"no {wanted!r} event; got {seen}\nstatus {daemon.status()}\n{daemon.log()}")


def _wait_run(daemon, runs: int) -> dict:
    """The daemon's status once a run after the first ``runs`` has ended, ready."""
    status = daemon.wait_state("ready", runs=runs + 1, timeout=DAEMON_RUN_TIMEOUT)
    assert status["error"] is None, status
    return status


def test_daemon_adds_a_new_dependency_and_the_page_reloads_with_it(tmp_path, env, browser, daemons):
    """A source file gains ``import mitt from 'mitt'`` while the daemon runs and a page is open:
    only mitt is built, a ``reload`` event arrives, the page reloads by itself and mitt works in
    it, every other URL of the import map is kept. Then the import goes away and mitt is
    uninstalled: each run succeeds and the page keeps working."""
    root = flow_app(tmp_path / "app")
    daemon = daemons(root)
    status = daemon.wait_state("ready", timeout=DAEMON_RUN_TIMEOUT)
    assert "mitt" not in status["deps"], status["deps"]
    before = daemon.get("/@prebundle/importmap.json").json()["imports"]
    events = EventReader(daemon.url)
    visit = open_page(browser, f"{daemon.url}/all.html", ready=f"#results > li:nth-child({len(ALL_CASES)})")
    try:
        page = visit.page
        assert sorted(results(visit)) == sorted(ALL_PACKAGES), results(visit)
        page.wait_for_function("globalThis.__prebundle?.connected === true", timeout=15_000)
        page.evaluate("window.__e2eBeforeReload = true")
        runs = daemon.status()["runs"]

        with (root / "src" / "all.js").open("a") as source:
            source.write(MITT_USE)
        _wait_event(daemon, events, "reload")
        page.wait_for_selector("#results > li[data-pkg='mitt']", state="attached", timeout=30_000)
        page.wait_for_selector(f"#results > li:nth-child({len(ALL_CASES) + 1})", state="attached", timeout=30_000)
        assert page.evaluate("window.__e2eBeforeReload") is None, "the page did not reload"
        found = results(visit)
        assert {pkg: item["text"] for pkg, item in found.items() if not item["ok"]} == {}, found
        assert set(found) == {*ALL_PACKAGES, "mitt"}
        assert "default" in found["mitt"]["exports"]["mitt"], found["mitt"]
        assert real_errors(visit) == [], real_errors(visit)
    finally:
        close_page(visit)

    status = daemon.status()
    assert status["runs"] > runs and status["state"] == "ready", status
    assert status["last_run"]["built"] == [f"mitt@{_version(root, 'mitt')}"], status["last_run"]
    after = daemon.get("/@prebundle/importmap.json").json()["imports"]
    assert set(after) == set(before) | {"mitt"}, sorted(set(after) ^ set(before))
    assert _changed(before, after) == set(), "URLs changed by adding mitt"
    assert_consistent(root)

    # The import goes away: the run succeeds, the page works.
    runs = daemon.status()["runs"]
    (root / "src" / "all.js").write_text(ALL_JS)
    _wait_run(daemon, runs)
    check_page(browser, f"{daemon.url}/all.html", ALL_PACKAGES)

    # npm uninstall mitt: node_modules, the lockfiles, package.json.
    runs = daemon.status()["runs"]
    (root / "node_modules" / "mitt").unlink()
    drop_from_lockfiles(root, "mitt")
    manifest = json.loads((root / "package.json").read_text())
    del manifest["dependencies"]["mitt"]
    (root / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    _wait_run(daemon, runs)
    check_page(browser, f"{daemon.url}/all.html", ALL_PACKAGES)
    final = daemon.get("/@prebundle/importmap.json").json()["imports"]
    assert _changed(before, final) == set(), "URLs of unchanged packages changed on uninstall"
    assert daemon.wait_state("ready", timeout=DAEMON_RUN_TIMEOUT)["error"] is None
    assert_consistent(root)
    assert "Traceback" not in daemon.log(), daemon.log()
    events.close()


# -- 3. upgrading one package -----------------------------------------------------------------------

UPGRADE = "dayjs"
"""A package no other installed package depends on, imported by all.html."""


def test_upgrading_one_package_rebuilds_only_it(tmp_path, env, browser, static_server):
    """npm upgrades dayjs (new files, new version and integrity in the lockfile and in
    ``node_modules/.package-lock.json``): the next run builds dayjs alone, every other
    package's files stay byte for byte with the same URLs, and the page runs the new dayjs."""
    root = flow_app(tmp_path / "app")
    assert_ok(prebundle(str(root), env=env))
    before_map = importmap(root)
    before_files = output_files(root)
    upgraded_ids = _ids_of(before_map, [UPGRADE])
    upgraded_files = files_of(root, upgraded_ids)
    entry = _entry_file(root, UPGRADE)

    modules = root / "node_modules"
    real = (modules / UPGRADE).resolve()
    (modules / UPGRADE).unlink()  # npm writes a real folder where the link was
    shutil.copytree(real, modules / UPGRADE, symlinks=True)
    old = _version(root, UPGRADE)
    new = old.rsplit(".", 1)[0] + "." + str(int(old.rsplit(".", 1)[1]) + 1)
    manifest_path = modules / UPGRADE / "package.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = new
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    code = entry.read_bytes() + f'\n;globalThis.__e2eUpgrade = "{UPGRADE} {new}";\n'.encode()
    entry.write_bytes(code)
    set_lock_record(root, UPGRADE, version=new, integrity=integrity_of(code),
                    resolved=f"https://registry.npmjs.org/{UPGRADE}/-/{UPGRADE}-{new}.tgz")
    app_manifest = json.loads((root / "package.json").read_text())
    app_manifest["dependencies"][UPGRADE] = new
    (root / "package.json").write_text(json.dumps(app_manifest, indent=2) + "\n")

    run = assert_ok(prebundle(str(root), env=env))
    assert built_and_reused(run)[0] == 1, f"only {UPGRADE} should be built:\n{run.describe()}"
    assert_consistent(root, run.describe())
    after_map = importmap(root)
    assert set(after_map) == set(before_map)
    assert after_map[UPGRADE] != before_map[UPGRADE], "the upgraded package kept its URL"
    assert _changed(before_map, after_map) - upgraded_ids == set()
    after_files = output_files(root)
    differ = sorted(name for name in set(before_files) - upgraded_files
                    if after_files.get(name) != before_files[name])
    assert differ == [], f"files of packages that did not change were rewritten: {differ}"

    server = static_server(root)
    found = check_page(browser, f"{server.url}/all.html", ALL_PACKAGES, probe="globalThis.__e2eUpgrade")
    assert found["probe"] == f"{UPGRADE} {new}", "the page does not run the upgraded package"


# -- 4. removing a dependency -----------------------------------------------------------------------

REMOVE = "canvas-confetti"
"""A package no other installed package depends on, imported by its case page only."""


def test_removing_a_dependency(tmp_path, env, browser, static_server):
    """The import of canvas-confetti leaves the sources, then npm uninstalls it (node_modules,
    package.json, both lockfiles): each run succeeds, other packages keep their URLs, the pages
    work."""
    root = flow_app(tmp_path / "app")
    assert_ok(prebundle(str(root), env=env))
    before = importmap(root)
    assert REMOVE in before

    (root / "cases" / f"{REMOVE}.html").unlink()
    (root / "src" / "cases" / f"{REMOVE}.js").unlink()
    run = assert_ok(prebundle(str(root), env=env))
    assert_consistent(root, run.describe())
    assert _changed(before, importmap(root)) == set()

    (root / "node_modules" / REMOVE).unlink()
    drop_from_lockfiles(root, REMOVE)
    manifest = json.loads((root / "package.json").read_text())
    del manifest["dependencies"][REMOVE]
    (root / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    run = assert_ok(prebundle(str(root), env=env))
    assert_consistent(root, run.describe())
    assert _changed(before, importmap(root)) - _ids_of(before, [REMOVE]) == set()

    server = static_server(root)
    check_page(browser, f"{server.url}/all.html", ALL_PACKAGES)


# -- 5. switching mode -------------------------------------------------------------------------------


def test_switching_to_production_and_back(tmp_path, env, browser, static_server):
    """``--mode production`` gives content-hashed file names and a working app; back in
    development the names and URLs are those of the first development run."""
    root = flow_app(tmp_path / "app")
    assert_ok(prebundle(str(root), env=env))
    development = importmap(root)
    server = static_server(root)

    scanned = set(json.loads(assert_ok(prebundle("scan", str(root), "--json", env=env)).stdout)["deps"])
    assert scanned <= set(development), sorted(scanned - set(development))

    run = assert_ok(prebundle(str(root), "--mode", "production", env=env))
    assert_consistent(root, run.describe())
    production = importmap(root)
    # Transitive ids may differ (NODE_ENV branches import other packages); the app's own may not.
    assert scanned <= set(production), sorted(scanned - set(production))
    unhashed = []
    for spec, url in production.items():
        name = Path(url.split("?")[0]).name
        stem = re.escape(Path(development[spec].split("?")[0]).name[: -len(".js")]) if spec in development else ".+"
        if not re.fullmatch(stem + r"-[A-Za-z0-9_-]{6,}\.js", name):
            unhashed.append(f"{spec}: {name}")
    assert unhashed == [], f"production file names without a content hash: {unhashed[:20]}"
    check_page(browser, f"{server.url}/all.html", ALL_PACKAGES)

    run = assert_ok(prebundle(str(root), "--mode", "development", env=env))
    assert_consistent(root, run.describe())
    assert importmap(root) == development, "development URLs differ after a round trip through production"
    check_page(browser, f"{server.url}/all.html", ALL_PACKAGES)


# -- 6. --force -------------------------------------------------------------------------------------


def test_force_rebuilds_everything(tmp_path, env, browser, static_server):
    """``--force`` bundles every package again (none reused), with the same import-map ids,
    and the pages work."""
    root = flow_app(tmp_path / "app")
    first = assert_ok(prebundle(str(root), env=env))
    packages = sum(built_and_reused(first))
    before = importmap(root)

    run = assert_ok(prebundle(str(root), "--force", env=env))
    assert built_and_reused(run) == (packages, 0), run.describe()
    assert_consistent(root, run.describe())
    assert set(importmap(root)) == set(before)
    server = static_server(root)
    check_page(browser, f"{server.url}/all.html", ALL_PACKAGES)


# -- 7. the CLI beside a running daemon --------------------------------------------------------------


def _unservable(daemon) -> list[str]:
    """URLs of the daemon's current import map that it does not answer with 200."""
    import httpx

    with httpx.Client(base_url=daemon.url, timeout=10) as client:
        served = client.get("/@prebundle/importmap.json").json()["imports"]
        return [url for url in served.values() if client.get(url).status_code != 200]


def test_cli_beside_a_running_daemon_never_replaces_its_output(tmp_path, env, browser, daemons):
    """``prebundle``, ``prebundle --force`` and ``prebundle --mode production`` while the daemon
    serves the app: each either runs through the daemon or refuses in one line naming the
    daemon's pid and port; never a traceback; the daemon serves a working page throughout.

    "Through the daemon" is seen from outside as: when the CLI exits 0 after work (``--force``,
    ``--mode``), the daemon has already finished a run for it, and serves what the deps dir holds
    (for ``--mode production``: hashed file names). A CLI that did the work itself would exit
    before the daemon noticed anything."""
    root = flow_app(tmp_path / "app")
    daemon = daemons(root)
    daemon.wait_state("ready", timeout=DAEMON_RUN_TIMEOUT)
    port = daemon.url.rsplit(":", 1)[1]
    pid = str(daemon.proc.pid)
    deps_dir = deps_dir_of(root)
    check_page(browser, f"{daemon.url}/all.html", ALL_PACKAGES)

    for args in ([], ["--force"], ["--mode", "production"]):
        runs = daemon.status()["runs"]
        disk_map = (deps_dir / "importmap.json").read_bytes()
        inode = deps_dir.stat().st_ino
        what = f"prebundle {' '.join(args)} beside the daemon".replace("  ", " ")
        proc = subprocess.Popen([str(PREBUNDLE), str(root), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            check_page(browser, f"{daemon.url}/cases/react.html", ("react",))  # while the CLI runs
            stdout, stderr = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        at_exit = daemon.status()
        broken_at_exit = _unservable(daemon)
        output = stdout + stderr
        described = f"{what} → exit {proc.returncode}\n--- stdout\n{stdout}--- stderr\n{stderr}"
        print(described)
        assert "Traceback" not in output, described
        assert daemon.proc.poll() is None, f"the daemon died:\n{daemon.log()}"
        assert broken_at_exit == [], (
            f"as {what} ended, the daemon's import map named files it cannot serve (its output was "
            f"replaced under it): {broken_at_exit[:5]}\n{described}")
        if proc.returncode != 0:
            lines = [line for line in output.splitlines() if line.strip()]
            assert len(lines) == 1 and pid in lines[0] and port in lines[0], (
                f"a refusal must be one line naming pid {pid} and port {port}:\n{described}")
            assert (deps_dir / "importmap.json").read_bytes() == disk_map, f"{what} refused but wrote"
            assert deps_dir.stat().st_ino == inode, f"{what} refused but replaced the deps dir"
        elif args:  # it had work to do: the daemon must have done it before the CLI returned
            assert at_exit["runs"] > runs and at_exit["state"] != "optimizing", (
                f"{what} exited 0 but the daemon had not run for it (runs {runs} → {at_exit['runs']}, "
                f"{at_exit['state']}): the CLI did the work itself, under the daemon\n{described}")
        status = daemon.wait_state("ready", timeout=DAEMON_RUN_TIMEOUT)
        assert status["error"] is None, status
        on_disk = (deps_dir / "importmap.json").read_bytes()
        assert daemon.get("/@prebundle/importmap.json").content == on_disk, (
            f"after {what} the daemon serves another import map than the deps dir holds")
        if proc.returncode == 0 and "production" in args:
            names = [Path(url.split("?")[0]).name for url in json.loads(on_disk)["imports"].values()]
            assert all(re.search(r"-[A-Za-z0-9_-]{6,}\.js$", name) for name in names), (
                f"{what} exited 0, yet the deps dir holds development file names: {names[:5]}")
        assert_consistent(root, described)
        check_page(browser, f"{daemon.url}/cases/react.html", ("react",))
    check_page(browser, f"{daemon.url}/all.html", ALL_PACKAGES)
    assert "Traceback" not in daemon.log(), daemon.log()


# -- 8. SIGKILL during incremental runs ----------------------------------------------------------------

TOGGLED = ("dayjs", "classnames", "clsx", "js-cookie", "tiny-invariant", "qs")
"""Packages copied into the app so a run can be made to rebuild them: a new statement in their
entry file and a new integrity in ``node_modules/.package-lock.json`` (what an npm update of
that package does)."""
KILLS = 20


def test_sigkill_during_incremental_runs_keeps_the_last_good_state(tmp_path, env, browser, static_server):
    """20 incremental runs, each rebuilding one to three packages, each SIGKILLed after a random
    delay within a run's measured length: after each kill the served state is the last good one
    (every import-map URL names an existing, non-empty file whose content hash is its ``?v=``;
    nothing served from a temp dir) and the page works; the next run repairs (exit 0,
    consistent, no leftovers)."""
    seed = int(os.environ.get("PREBUNDLE_E2E_SEED") or random.SystemRandom().randrange(2**32))
    print(f"SIGKILL flow: seed {seed} (set PREBUNDLE_E2E_SEED={seed} to replay)")
    rng = random.Random(seed)
    root = flow_app(tmp_path / "app", real_packages=TOGGLED)
    (root / "src" / "toggled.js").write_text(
        "".join(f"import './cases/{name}.js'\n" for name in TOGGLED))
    (root / "toggled.html").write_text(compat_page("/src/toggled.js", []))
    assert_ok(prebundle(str(root), env=env))
    server = static_server(root)
    cache_dir = root / "node_modules" / ".vite"
    entries = {name: _entry_file(root, name) for name in TOGGLED}
    originals = {name: path.read_bytes() for name, path in entries.items()}
    lock_path = root / "node_modules" / ".package-lock.json"

    def toggle(names, step: int) -> None:
        lock = json.loads(lock_path.read_text())
        for name in names:
            code = originals[name] + f"\n;globalThis[{json.dumps('__e2e_' + name)}] = {step};\n".encode()
            entries[name].write_bytes(code)
            lock["packages"][f"node_modules/{name}"]["integrity"] = integrity_of(code)
        lock_path.write_text(json.dumps(lock, indent=2) + "\n")

    def check_after(names, previous, context: str) -> dict[str, str]:
        """The repaired state: consistent, the toggled packages' entries got new URLs, the others kept theirs."""
        assert_consistent(root, context)
        now = importmap(root)
        assert set(now) == set(previous), context
        assert {name for name in names if now[name] == previous[name]} == set(), f"not rebuilt: {context}"
        assert _changed(previous, now) - _ids_of(previous, names) == set(), f"others changed: {context}"
        leftovers = sorted(p.name for p in cache_dir.iterdir() if p.name.startswith(("deps_temp", "deps_old")))
        assert leftovers == [], f"leftovers after a good run: {leftovers}; {context}"
        return now

    # A run's length, measured on one uninterrupted incremental run.
    names = rng.sample(TOGGLED, 2)
    toggle(names, 0)
    previous = importmap(root)
    started = time.monotonic()
    run = assert_ok(prebundle(str(root), env=env))
    length = time.monotonic() - started
    previous = check_after(names, previous, run.describe())
    print(f"an incremental run takes {length * 1000:.0f} ms")

    log = []
    for step in range(1, KILLS + 1):
        names = rng.sample(TOGGLED, rng.randint(1, 3))
        delay = rng.uniform(0, length)
        toggle(names, step)
        context = f"seed {seed}, kill {step}: {names} after {delay * 1000:.0f} ms"
        out_path = tmp_path / f"kill-{step}.log"
        with out_path.open("wb") as out:
            proc = subprocess.Popen([str(PREBUNDLE), str(root)], stdout=out, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
            try:
                proc.wait(timeout=delay)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
                os.killpg(proc.pid, signal.SIGKILL)  # the CLI and the esbuild it started
                proc.wait()
        output = out_path.read_text(errors="replace")
        log.append(f"{context}: {'finished' if finished else 'killed'}")
        if finished:
            assert proc.returncode == 0 and "Traceback" not in output, f"{context}\n{output}"

        # What is served now: the last good state, or the new one if the run got to commit.
        problems = state_problems(root)
        assert problems == [], f"{context}: served state broken after the kill:\n" + "\n".join(problems[:40])
        now = importmap(root)
        if now != previous:
            assert set(now) == set(previous) and _changed(previous, now) - _ids_of(previous, names) == set() \
                and all(now[name] != previous[name] for name in names), (
                f"{context}: served state is neither the last good one nor the new one")
        if step % 5 == 0:  # the browser agrees (the files checked above are what it loads)
            check_page(browser, f"{server.url}/toggled.html", TOGGLED)

        run = assert_ok(prebundle(str(root), env=env))
        previous = check_after(names, previous, f"{context}; repair run:\n{run.describe()}")

    print("\n".join(log))
    check_page(browser, f"{server.url}/all.html", ALL_PACKAGES)
    check_page(browser, f"{server.url}/toggled.html", TOGGLED)
