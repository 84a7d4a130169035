"""A ``prebundle`` command beside a running daemon never replaces the output under it: it runs
through the daemon, or refuses in one line; and the daemon notices output it did not write."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from prebundle.commit import commit_dir, make_temp_dir

from tests.support.apps import DOCUMENT, make_app
from tests.support.daemon import Daemon, EventReader

pytestmark = pytest.mark.slow

PREBUNDLE = Path(sys.executable).parent / "prebundle"
REACT = 'import React from "react";\nconsole.log(React.version);\n'


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PREBUNDLE), str(root), *args], capture_output=True, text=True, timeout=300)


def served_files_exist(daemon: Daemon, root: Path) -> None:
    imports = daemon.get("/@prebundle/importmap.json").json()["imports"]
    for url in imports.values():
        assert daemon.get(url).status_code == 200, url


def test_a_command_beside_the_daemon_runs_through_it(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")

    done = cli(root)
    assert done.returncode == 0, done.stderr
    assert f"pid {daemon.proc.pid}" in done.stderr and "Traceback" not in done.stderr
    assert "dependencies up to date" in done.stdout
    assert daemon.status()["runs"] == status["runs"] + 1

    forced = cli(root, "--force")
    assert forced.returncode == 0, forced.stderr
    last = daemon.status()["last_run"]
    assert last["trigger"] == "prebundle --force" and any(b.startswith("react@") for b in last["built"])
    served_files_exist(daemon, root)


def test_a_run_in_another_mode_is_refused_in_one_line(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    before = (root / "node_modules" / ".vite" / "deps" / "importmap.json").read_bytes()

    done = cli(root, "--mode", "production")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert f"pid {daemon.proc.pid}" in lines[0] and daemon.url in lines[0] and "development mode" in lines[0]
    assert (root / "node_modules" / ".vite" / "deps" / "importmap.json").read_bytes() == before
    served_files_exist(daemon, root)


def test_the_control_route_needs_the_token(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    answer = httpx.post(daemon.url + "/@prebundle/optimize", json={"force": True}, timeout=10)
    assert answer.status_code == 403
    token_file = root / "node_modules" / ".vite" / "daemon.token"
    assert oct(token_file.stat().st_mode & 0o777) == oct(0o600)
    assert daemon.status()["runs"] == status["runs"]


def test_the_daemon_takes_up_output_another_process_committed(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    events = EventReader(daemon.url)
    try:
        deps = root / "node_modules" / ".vite" / "deps"
        staging = make_temp_dir(deps.parent, "deps_temp_")
        shutil.copytree(deps, staging, dirs_exist_ok=True)
        importmap = json.loads((staging / "importmap.json").read_text())
        importmap["imports"]["foreign-id"] = "/node_modules/.vite/deps/react.js?v=foreign"
        (staging / "importmap.json").write_text(json.dumps(importmap))
        commit_dir(staging, deps)  # as a run of another process would

        event, data = events.next(10)
        assert event == "reload", (event, data, daemon.log())
        # It serves what is on disk, then brings the output back to its own state.
        deadline_status = None
        for _ in range(200):
            deadline_status = daemon.status()
            served = daemon.get("/@prebundle/importmap.json").content
            if deadline_status["state"] == "ready" and served == (deps / "importmap.json").read_bytes() \
                    and "foreign-id" not in json.loads(served)["imports"]:
                break
            events.next(0.05)
        else:
            raise AssertionError(f"daemon did not settle: {deadline_status}\n{daemon.log()}")
        assert "replaced by another process" in daemon.log()
        served_files_exist(daemon, root)
    finally:
        events.close()


def test_the_python_api_beside_a_daemon_raises_daemon_serving(tmp_path: Path, start_daemon) -> None:
    from prebundle import load_config
    from prebundle.errors import DaemonServing
    from prebundle.optimizer import optimize

    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, tiny_dep=True, hand_packages=False)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    with pytest.raises(DaemonServing) as raised:
        optimize(load_config(root), force=True)
    assert raised.value.info.pid == daemon.proc.pid
    assert os.path.isdir(root / "node_modules" / ".vite" / "deps")
