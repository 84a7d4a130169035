"""What reaches the browser, from the command line: the table after a build, `prebundle ls`,
`prebundle why`, the run history and the progress bar, as a user runs them (the installed
console script in a subprocess, real esbuild and real npm packages)."""

from __future__ import annotations

import gzip
import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.apps import DOCUMENT, make_app
from tests.support.daemon import Daemon

pytestmark = pytest.mark.slow

PREBUNDLE = Path(sys.executable).parent / "prebundle"
REACT_APP = ("import React from 'react'\n"
             "import { createRoot } from 'react-dom/client'\n"
             "console.log(React.version, createRoot)\n")
PACKAGES = ["react", "react-dom", "scheduler", "dayjs", "classnames"]
TABLE_HEADER = ["package", "version", "files", "size", "gzip", "time"]


def prebundle(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PREBUNDLE), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def react_app(tmp_path: Path) -> Path:
    return make_app(tmp_path / "app", REACT_APP, packages=PACKAGES, hand_packages=False)


def built(root: Path) -> Path:
    done = prebundle(cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def runs(root: Path) -> list[dict]:
    return json.loads((root / "node_modules" / ".vite" / "runs.json").read_text())["runs"]


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The rows of the plain (non-terminal) table under its header, by first column."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["package"])
    rows = {}
    for line in lines[header + 1:]:
        cells = line.split()
        if not cells or cells[0] in ("optimized", "dependencies") or not cells[1][:1].isdigit():
            break
        rows[cells[0]] = cells
    return rows


def test_a_build_prints_the_packages_built_and_a_cached_run_does_not(tmp_path: Path, npm_modules: Path) -> None:
    root = react_app(tmp_path)
    done = prebundle(cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == TABLE_HEADER
    rows = table_rows(done.stdout)
    assert sorted(rows) == ["react", "react-dom", "scheduler"]
    assert rows["react"][1] == "19.3.1" and rows["react-dom"][1] == "19.3.1"
    for cells in rows.values():  # files, size kB, gzip kB, time
        assert cells[2] == "1" and cells[4] == "kB" and cells[6] == "kB" and cells[8] in ("ms", "s")
    assert done.stdout.splitlines()[-1].startswith("optimized 3 ids: 3 packages built, 0 reused")

    again = prebundle(cwd=root)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [again.stdout.strip()]
    assert again.stdout.startswith("dependencies up to date")

    quiet = prebundle("--force", "--log-level", "warning", cwd=root)
    assert quiet.returncode == 0, quiet.stderr
    assert len(quiet.stdout.splitlines()) == 1 and quiet.stdout.startswith("optimized 3 ids: 3 packages built")
    assert quiet.stderr == ""


def test_ls_json_matches_the_files_on_disk(tmp_path: Path, npm_modules: Path) -> None:
    root = built(react_app(tmp_path))
    deps = root / "node_modules" / ".vite" / "deps"
    done = prebundle("ls", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    inventory = json.loads(done.stdout)
    assert inventory["root"] == str(root) and inventory["mode"] == "development"
    metadata = json.loads((deps / "_metadata.json").read_text())
    assert inventory["browserHash"] == metadata["browserHash"]
    assert inventory["generatedAt"].endswith("Z")

    packages = {p["name"]: p for p in inventory["packages"]}
    assert sorted(packages) == ["react", "react-dom", "scheduler"]
    importmap = json.loads((deps / "importmap.json").read_text())["imports"]
    assert sorted(id_ for p in packages.values() for id_ in p["ids"]) == sorted(importmap)
    loaded = sorted(path.name for path in deps.iterdir()
                    if path.suffix == ".js" or path.suffix == ".css")
    assert sorted(name for p in packages.values() for name in p["files"]) == loaded
    for package in packages.values():
        data = [(deps / name).read_bytes() for name in package["files"]]
        assert package["size"] == sum(len(d) for d in data)
        assert package["gzip"] == sum(len(gzip.compress(d, 9, mtime=0)) for d in data)
        assert package["status"] == "built" and package["buildMs"] > 0
        assert package["format"] == "cjs" and package["interop"] is True
    assert packages["react-dom"]["ids"] == ["react-dom/client"]
    assert packages["react-dom"]["imports"] == ["react", "scheduler"]
    assert packages["react-dom"]["importers"]["app"] == ["src/main.js:2"]
    assert packages["react"]["importers"] == {"app": ["src/main.js:1"], "packages": ["react-dom"],
                                              "appById": {"react": ["src/main.js:1"]}}
    assert packages["scheduler"]["importers"]["app"] == [] and packages["scheduler"]["importers"]["packages"] == ["react-dom"]
    totals = inventory["totals"]
    assert totals == {"packages": 3, "ids": 3, "files": 3, "size": sum(p["size"] for p in packages.values()),
                      "gzip": sum(p["gzip"] for p in packages.values())}
    assert [run["trigger"] for run in inventory["runs"]] == ["cli"]

    table = prebundle("ls", cwd=root)
    assert table.returncode == 0, table.stderr
    rows = table_rows(table.stdout)
    assert rows["react-dom"][:3] == ["react-dom", "19.3.1", "react-dom/client"]
    assert table.stdout.splitlines()[-1].startswith("3 packages, 3 ids, 3 files: ")


def test_ls_without_output_or_with_stale_output_says_so_in_one_line(tmp_path: Path, npm_modules: Path) -> None:
    root = react_app(tmp_path)
    none = prebundle("ls", cwd=root)
    assert none.returncode == 1 and none.stdout == ""
    assert none.stderr.splitlines() == [
        "error: no optimized dependencies in node_modules/.vite/deps: run `prebundle` first"]

    built(root)
    (root / "src" / "main.js").write_text(REACT_APP + "import dayjs from 'dayjs'\nconsole.log(dayjs)\n")
    stale = prebundle("ls", "--json", cwd=root)
    assert stale.returncode == 1 and stale.stdout == ""
    assert stale.stderr.splitlines() == [
        "error: the optimized dependencies in node_modules/.vite/deps are out of date (new dependencies: "
        "dayjs): run `prebundle` to update them"]

    other_mode = prebundle("why", "react", "--mode", "production", cwd=root)
    assert other_mode.returncode == 1
    assert "(built in development mode): add --mode development" in other_mode.stderr


def test_why_gives_the_chains_through_the_packages(tmp_path: Path, npm_modules: Path) -> None:
    root = built(react_app(tmp_path))
    scheduler = prebundle("why", "scheduler", cwd=root)
    assert scheduler.returncode == 0, scheduler.stderr
    assert scheduler.stdout.splitlines() == [
        "scheduler 0.28.0 reaches the browser through 1 import chain:",
        "  src/main.js:2 → react-dom/client → scheduler",
        "imported by packages: react-dom",
    ]
    react = prebundle("why", "react", str(root), cwd=tmp_path)
    assert react.returncode == 0, react.stderr
    assert "  src/main.js:1 → react" in react.stdout.splitlines()

    as_json = json.loads(prebundle("why", "scheduler", "--json", cwd=root).stdout)
    assert as_json["reaches"] is True and as_json["count"] == 1
    assert as_json["chains"] == [["src/main.js:2", "react-dom/client", "scheduler"]]

    installed = prebundle("why", "dayjs", cwd=root)
    assert installed.returncode == 1
    assert installed.stdout.splitlines() == [
        "dayjs does not reach the browser: it is installed (dayjs 1.11.23) but nothing the app loads imports it"]
    missing = prebundle("why", "left-pad", cwd=root)
    assert missing.returncode == 1
    assert missing.stdout.splitlines() == ["left-pad does not reach the browser: it is not installed"]


def test_every_shortest_chain_from_every_app_file(tmp_path: Path, npm_modules: Path) -> None:
    root = make_app(tmp_path / "app", "import './a.js'\nimport './b.js'\n", packages=PACKAGES, hand_packages=False,
                    extra={"src/a.js": "\nimport { createRoot } from 'react-dom/client'\nconsole.log(createRoot)\n",
                           "src/b.js": "import { createRoot } from 'react-dom/client'\nconsole.log(createRoot)\n"})
    built(root)
    done = prebundle("why", "scheduler", cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "scheduler 0.28.0 reaches the browser through 2 import chains:",
        "  src/a.js:2 → react-dom/client → scheduler",
        "  src/b.js:1 → react-dom/client → scheduler",
    ]


def test_the_run_history_grows_keeps_20_and_records_failures(tmp_path: Path, npm_modules: Path) -> None:
    root = built(react_app(tmp_path))
    forced = prebundle("--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    history = runs(root)
    assert len(history) == 2
    assert [run["trigger"] for run in history] == ["cli", "cli"] and all(run["ok"] for run in history)
    assert sorted(history[1]["built"]) == ["react-dom@19.3.1", "react@19.3.1", "scheduler@0.28.0"]
    assert set(history[1]["buildMs"]) == set(history[1]["built"])

    path = root / "node_modules" / ".vite" / "runs.json"
    older = [{**history[0], "at": f"2026-01-01T00:00:{i:02d}Z"} for i in range(19)]
    path.write_text(json.dumps({"runs": older + history[1:]}))  # 20 runs: the oldest at :00
    (root / "src" / "main.js").write_text("import 'not-installed-anywhere'\n")
    failed = prebundle(cwd=root)
    assert failed.returncode == 1
    history = runs(root)
    assert len(history) == 20
    assert history[0]["at"] == "2026-01-01T00:00:01Z"
    last = history[-1]
    assert last["ok"] is False and last["trigger"] == "cli" and last["built"] == []
    assert last["error"].startswith("src/main.js:1: cannot resolve 'not-installed-anywhere'")


def test_daemon_runs_are_recorded_with_their_trigger(tmp_path: Path, npm_modules: Path) -> None:
    root = make_app(tmp_path / "app", REACT_APP, html=DOCUMENT, packages=PACKAGES, hand_packages=False)
    daemon = Daemon(root).wait_listening()
    try:
        status = daemon.wait_state("ready")
        assert [run["trigger"] for run in runs(root)] == ["startup"]
        (root / "src" / "main.js").write_text(REACT_APP + "import cx from 'classnames'\nconsole.log(cx)\n")
        daemon.wait_runs(status["runs"] + 1, timeout=60)
    finally:
        daemon.stop()
    history = runs(root)
    assert [run["trigger"] for run in history] == ["startup", "change"]
    assert history[1]["detail"] == "src/main.js" and history[1]["built"] == ["classnames@2.5.1"]
    assert history[1]["ok"] is True and history[1]["buildMs"]["classnames@2.5.1"] > 0
    assert "react@19.3.1" in history[1]["reused"]


def test_the_progress_bar_counts_packages_once_it_knows_the_total(tmp_path: Path) -> None:
    """On a terminal the bar shows after its delay even when no progress comes meanwhile (one
    long build), with done/total, and is gone once the work ends."""
    script = textwrap.dedent("""
        import time
        from prebundle.console import DelayedProgress
        with DelayedProgress("bundling packages", delay=0.2) as progress:
            progress(2, 7)  # before the delay: nothing shown yet
            time.sleep(1.0)  # no call meanwhile: the bar shows on its own
            progress(5, 7)
            time.sleep(0.5)
        print("done", flush=True)
    """)
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert proc.wait(30) == 0
    text = output.decode(errors="replace")
    assert "bundling packages" in text
    assert text.index("2/7") < text.index("5/7")
    assert text.rstrip().endswith("done")
