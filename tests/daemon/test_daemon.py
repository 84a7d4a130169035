"""The real daemon in a subprocess: discovery and reload, lockfile re-hash, errors and recovery,
HTTP caching and path safety, clean exit, one daemon per cache dir."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.apps import DOCUMENT, make_app
from tests.support.daemon import EventReader, esbuild_processes, raw_get

pytestmark = pytest.mark.slow

REACT = 'import React from "react";\nconsole.log(React.version);\n'


def _names(built: list[str]) -> list[str]:
    """Package names of a run's ``built`` list (``name@version``)."""
    return [b.rsplit("@", 1)[0] for b in built]


def test_new_import_builds_only_that_package_and_reloads(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    assert "react" in status["deps"] and status["browserHash"]
    events = EventReader(daemon.url)
    try:
        (root / "src" / "main.js").write_text(REACT + 'import cx from "classnames";\nconsole.log(cx("a"));\n')
        event, data = events.next(5)
        assert event == "reload", (event, data, daemon.log())
        status = daemon.status()
        assert status["state"] == "ready"
        assert [b.split("@")[0] for b in status["last_run"]["built"]] == ["classnames"]
        assert any(r.startswith("react@") for r in status["last_run"]["reused"])
        importmap = daemon.get("/@prebundle/importmap.json").json()
        assert "classnames" in importmap["imports"] and "react" in importmap["imports"]
        assert daemon.get(importmap["imports"]["classnames"]).status_code == 200

        # Same imports, different code: a run happens, nothing is sent.
        runs = status["runs"]
        (root / "src" / "main.js").write_text(REACT + 'import cx from "classnames";\nconsole.log(cx("b"));\n')
        status = daemon.wait_runs(runs + 1)
        assert status["last_run"]["reload"] is False and status["last_run"]["built"] == []
        # An import dropped: still nothing to reload, the deps stay served.
        (root / "src" / "main.js").write_text(REACT)
        status = daemon.wait_runs(runs + 2)
        assert "classnames" in status["deps"]
        # Whether those two runs sent nothing is checked at the burst's reload below: events
        # come in order, so one they sent would arrive before it.

        # A burst (a branch switch): 300 new files, then the entry importing them: one build, one reload.
        gen = root / "src" / "gen"
        gen.mkdir()
        for i in range(300):
            (gen / f"f{i}.js").write_text(f'import dayjs from "dayjs";\nexport const x{i} = dayjs;\n')
        (gen / "index.js").write_text("".join(f'export * from "./f{i}.js";\n' for i in range(300)))
        (root / "src" / "main.js").write_text(REACT + 'import "./gen/index.js";\n')
        seen = events.until(lambda event, data: event == "reload" and "dayjs" in _names(data["built"]), 10)
        assert [e for e in seen if e[0] not in ("ping", "update")] == seen[-1:], (seen, daemon.log())
        status = daemon.status()
        assert [b.split("@")[0] for b in status["last_run"]["built"]] == ["dayjs"]
        # The burst's stragglers (a change seen by the old and the new watches) run after it:
        # a marker change written after every file of the burst (a missing package: an error
        # event, nothing built) comes after them, so what they sent arrives before its event.
        (root / "src" / "main.js").write_text(REACT + 'import "./gen/index.js";\nimport "not-installed-pkg";\n')
        seen = events.until(lambda event, data: event == "error" and "not-installed-pkg" in data["message"], 10)
        assert [e for e in seen if e[0] not in ("ping", "update")] == seen[-1:], (seen, daemon.log())
        status = daemon.status()
        # The marker's own run, unless it shared one with a straggler of the burst.
        marker_runs = 1 if status["last_run"]["trigger"] == "src/main.js" else 0
        assert status["runs"] - marker_runs - runs <= 2 + 3, daemon.log()
        assert daemon.log().count("built dayjs") == 1
    finally:
        events.close()
    assert "classnames" in daemon.log()


def test_lockfile_change_rebuilds_what_changed(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT + 'import { tiny } from "tiny-dep";\nconsole.log(tiny);\n',
                    html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    old_url = daemon.get("/@prebundle/importmap.json").json()["imports"]["tiny-dep"]
    events = EventReader(daemon.url)
    try:
        # What `npm install tiny-dep@1.0.1` does: new files, new package.json, new lockfile.
        package = root / "node_modules" / "tiny-dep"
        (package / "index.js").write_text("export const tiny = 'tiny 1.0.1';\nexport default 2;\n")
        manifest = json.loads((package / "package.json").read_text())
        (package / "package.json").write_text(json.dumps({**manifest, "version": "1.0.1"}))
        lock = json.loads((root / "package-lock.json").read_text())
        lock["packages"]["node_modules/tiny-dep"] = {"version": "1.0.1"}
        (root / "package-lock.json").write_text(json.dumps(lock, indent=2))
        event, _ = events.next(5)
        assert event == "reload", daemon.log()
        status = daemon.status()
        assert status["last_run"]["built"] == ["tiny-dep@1.0.1"]
        assert any(r.startswith("react@") for r in status["last_run"]["reused"])
        new_url = daemon.get("/@prebundle/importmap.json").json()["imports"]["tiny-dep"]
        assert new_url != old_url and b"1.0.1" in daemon.get(new_url).content
    finally:
        events.close()


def test_broken_dependency_keeps_old_files_and_recovers(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    react_url = daemon.get("/@prebundle/importmap.json").json()["imports"]["react"]
    events = EventReader(daemon.url)
    try:
        index = root / "node_modules" / "tiny-dep" / "index.js"
        good = index.read_text()
        index.write_text("export const tiny = ;\n")
        (root / "src" / "main.js").write_text(REACT + 'import { tiny } from "tiny-dep";\nconsole.log(tiny);\n')
        event, data = events.next(10)
        assert event == "error", (event, data)
        assert "index.js:1" in data["message"], data
        assert "> 1 | export const tiny = ;" in data["frame"], data  # the overlay shows the line
        status = daemon.status()
        assert status["state"] == "error" and "index.js" in status["error"]
        assert daemon.get(react_url).status_code == 200
        assert "tiny-dep" not in daemon.get("/@prebundle/importmap.json").json()["imports"]

        index.write_text(good)
        (root / "src" / "main.js").write_text(REACT + 'import { tiny } from "tiny-dep";\nconsole.log(tiny, 1);\n')
        event, _ = events.next(10)
        assert event == "reload", daemon.log()
        assert daemon.status()["state"] == "ready"

        # A package that is not installed: an error naming it and the importer, then `ok` once removed.
        (root / "src" / "main.js").write_text(REACT + 'import "not-installed-pkg";\n')
        event, data = events.next(10)
        assert event == "error" and "not-installed-pkg" in data["message"] and "src/main.js:3" in data["message"]
        assert '> 3 | import "not-installed-pkg";' in data["frame"], data
        (root / "src" / "main.js").write_text(REACT)
        event, _ = events.next(10)
        assert event == "ok"
        assert daemon.status()["state"] == "ready"
    finally:
        events.close()


def test_http_caching_and_path_safety(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    (tmp_path / "secret.txt").write_text("CONTENT-OUTSIDE-ROOT")
    (root / "src" / "escape.js").symlink_to(tmp_path / "secret.txt")
    (root / ".env").write_text("TOKEN=1")
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    url = daemon.get("/@prebundle/importmap.json").json()["imports"]["react"]
    current = daemon.get(url)
    assert current.status_code == 200
    assert current.headers["cache-control"] == "max-age=31536000,immutable"
    assert current.headers["content-type"] == "text/javascript; charset=utf-8"
    bare = url.split("?")[0]
    assert daemon.get(bare).headers["cache-control"] == "no-cache"
    assert daemon.get(bare + "?v=00000000").headers["cache-control"] == "no-cache"
    assert daemon.get(bare, headers={"if-none-match": current.headers["etag"]}).status_code == 304
    missing = daemon.get("/node_modules/.vite/deps/nope.js")
    assert missing.status_code == 404 and "nope.js" in missing.text

    page = daemon.get("/")
    assert page.status_code == 200 and '<script type="importmap">' in page.text
    assert "/@prebundle/client.js" in page.text and page.text.index("importmap") < page.text.index("/src/main.js")
    assert daemon.get("/", headers={"if-none-match": page.headers["etag"]}).status_code == 304
    source = daemon.get("/src/main.js")
    assert source.headers["content-type"] == "text/javascript; charset=utf-8" and source.text == REACT
    assert daemon.get("/@prebundle/client.js").text.count("EventSource") == 1

    for path in ("/node_modules/.vite/deps/../../../package.json", "/node_modules/.vite/deps/..%2F..%2Fpackage.json",
                 "/node_modules/.vite/deps/%2e%2e/%2e%2e/package.json", "/node_modules/.vite/deps/react.js%00",
                 "/node_modules/.vite/deps/..%5C..%5Cpackage.json", "/../secret.txt", "/%2e%2e/secret.txt",
                 "/src/escape.js", "/.env", "/src/..%2F..%2Fsecret.txt", "/node_modules/.vite/daemon.json"):
        status, body = raw_get(daemon.url, path)
        assert status in (400, 404), (path, status)
        assert b"CONTENT-OUTSIDE-ROOT" not in body and b"TOKEN" not in body and b'"pid"' not in body


def test_sigterm_exits_cleanly_and_second_daemon_refuses(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    pidfile = json.loads((daemon.cache_dir / "daemon.json").read_text())
    assert pidfile["pid"] == daemon.proc.pid and pidfile["root"] == str(root)

    second = subprocess.run([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert f"already serves {daemon.cache_dir}" in second.stderr and str(daemon.proc.pid) in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr

    events = EventReader(daemon.url)  # an open stream must not hold the exit
    assert esbuild_processes(root)
    started = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    code = daemon.proc.wait(10)
    elapsed = time.monotonic() - started
    events.close()
    assert code == 0, daemon.log()
    assert elapsed < 2, elapsed  # the contract's bound, not a benchmark
    assert esbuild_processes(root) == []
    assert not (daemon.cache_dir / "daemon.json").exists()
    assert [p.name for p in daemon.cache_dir.iterdir() if p.name.startswith("deps_")] == []
    assert "stopped" in daemon.log()
