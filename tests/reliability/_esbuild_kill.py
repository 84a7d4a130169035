"""The esbuild service killed in the middle of a daemon's re-optimization.

The app's config has a plugin whose ``resolve_id`` holds the build of ``react-dom`` (at its
import of ``scheduler``) while a marker file exists, so the kill lands while esbuild is
building, every time. Then the daemon must report the failure (state ``error``, an ``error``
event), keep serving the last good output (the same import map, every URL answering with the
bytes its ``?v=`` names), and the next change must work (the client starts a new service).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.daemon import EventReader
from tests.support.wait import wait_until

from ._common import served_problems, small_app

__all__ = ["EsbuildKillFigures", "esbuild_kill_rounds"]

CONFIG = '''\
import os, pathlib, time
from prebundle import Plugin, define_config

HERE = pathlib.Path(__file__).parent


def hold(source, importer, options):
    """Holds the build of react-dom while the file `hold` exists (at most 20 s)."""
    if source == "scheduler" and (HERE / "hold").exists():
        (HERE / "held").write_text(str(os.getpid()))
        deadline = time.monotonic() + 20
        while (HERE / "hold").exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the scenario: the build is held (no event crosses into the daemon)
    return None


config = define_config(plugins=[Plugin("hold-build", resolve_id=hold, cache_key="hold-build 1")])
'''
FIRST = "import React from 'react'\nimport cn from 'classnames'\n"


@dataclass
class EsbuildKillFigures:
    rounds: int = 0
    kills: int = 0
    """esbuild services killed while a build was in flight."""
    error_reported: int = 0
    """Runs that ended in state ``error`` with an ``error`` event."""
    kept_serving: int = 0
    """... while the import map and every file it names stayed what they were."""
    recovered: int = 0
    """... and the next change built (state ``ready``, a ``reload`` event, the new id served)."""
    failures: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    """The error each failed run reported (first line)."""


def esbuild_kill_rounds(base: Path, env: dict[str, str], *, rounds: int, log=None) -> EsbuildKillFigures:
    figures = EsbuildKillFigures()
    log = log or (lambda message: None)
    for index in range(rounds):
        root = small_app(base / f"esbuild-kill-{index}", FIRST)
        (root / "prebundle.config.py").write_text(CONFIG)
        figures.rounds += 1
        # A machine-wide cache of its own: react-dom must really be built in every round.
        round_env = {**env, "PREBUNDLE_CACHE_DIR": str(base / f"esbuild-kill-{index}-cache")}
        try:
            problems = _one_round(root, round_env, figures)
        except Exception as error:  # noqa: BLE001 - a figure
            problems = [f"{type(error).__name__}: {error}"]
        figures.failures += [f"round {index + 1}: {p}" for p in problems]
        log(f"esbuild kill {index + 1}: {'; '.join(problems) if problems else 'ok'}")
    return figures


def _one_round(root: Path, env: dict[str, str], figures: EsbuildKillFigures) -> list[str]:
    cache_dir = root / "node_modules" / ".vite"
    daemon_log = root.parent / f"{root.name}-daemon.log"
    with open(daemon_log, "wb") as out:
        daemon = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0"],
                                  cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    events = None
    try:
        url = _wait_url(cache_dir, daemon)
        status = _wait_state(url, lambda s: s["runs"] >= 1 and s["state"] != "optimizing")
        if status["state"] != "ready":
            return [f"startup ended {status['state']}: {status['error']}"]
        events = EventReader(url)
        before = _get(url, "/@prebundle/importmap.json").content

        (root / "hold").write_text("")
        _append(root, "import { createRoot } from 'react-dom/client'\n")
        _wait_for(lambda: (root / "held").exists(), "the build to reach the held import")
        services = [pid for pid in _children(daemon.pid) if b"esbuild" in _cmdline(pid)]
        if not services:
            return ["no esbuild service under the daemon"]
        for pid in services:
            os.kill(pid, signal.SIGKILL)
        figures.kills += 1
        (root / "hold").unlink()
        status = _wait_state(url, lambda s: s["state"] != "optimizing")
        problems = []
        event = events.next_of(("error", "reload", "ok"), timeout=30)
        if status["state"] == "error" and event[0] == "error":
            figures.error_reported += 1
            figures.messages.append((status["error"] or "").splitlines()[0] if status["error"] else "")
        else:
            problems.append(f"after the kill: state {status['state']}, event {event[0]}")
        served = _get(url, "/@prebundle/importmap.json").content
        kept = served == before and not _url_problems(url, served) and not served_problems(cache_dir / "deps")
        if kept:
            figures.kept_serving += 1
        else:
            problems.append("the last good output is not what is served after the kill: "
                            f"{(_url_problems(url, served) + served_problems(cache_dir / 'deps'))[:3]}")

        runs = status["runs"]
        _append(root, "import moment from 'moment'\n")
        status = _wait_state(url, lambda s: s["runs"] > runs and s["state"] != "optimizing")
        event = events.next_of(("reload", "error"), timeout=30)
        served = _get(url, "/@prebundle/importmap.json").content
        imports = json.loads(served)["imports"]
        if (status["state"] == "ready" and event[0] == "reload" and {"react-dom/client", "moment"} <= set(imports)
                and not _url_problems(url, served) and not served_problems(cache_dir / "deps")):
            figures.recovered += 1
        else:
            problems.append(f"the next change: state {status['state']} ({status['error']}), event {event[0]}, "
                            f"ids {sorted(imports)}")
        return problems
    finally:
        if events is not None:
            events.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        text = daemon_log.read_text(errors="replace")
        if "Traceback" in text:
            figures.failures.append(f"{root.name}: a traceback in the daemon's log: {text[-1500:]}")


def _append(root: Path, line: str) -> None:
    main = root / "src" / "main.js"
    main.write_text(main.read_text() + line)


def _url_problems(url: str, importmap: bytes) -> list[str]:
    """Every URL of the import map, fetched from the daemon: 200 and the bytes ``?v=`` names."""
    problems = []
    for id_, target in json.loads(importmap)["imports"].items():
        response = _get(url, target)
        version = target.split("?v=")[-1]
        if response.status_code != 200 or hashlib.sha256(response.content).hexdigest()[:8] != version:
            problems.append(f"{id_}: {target} answered {response.status_code}")
    return problems


def _get(url: str, path: str) -> httpx.Response:
    return httpx.get(url + path, timeout=30)


def _wait_url(cache_dir: Path, daemon: subprocess.Popen, timeout: float = 60) -> str:
    def listening() -> str | None:
        if daemon.poll() is not None:
            raise AssertionError(f"the daemon exited {daemon.returncode}")
        try:
            info = json.loads((cache_dir / "daemon.json").read_text())
            if info["pid"] == daemon.pid and info["port"]:
                _get(info["url"], "/@prebundle/status")
                return info["url"]
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        return None

    return wait_until(listening, timeout, interval=0.05, message="the daemon did not start")


def _wait_state(url: str, done, timeout: float = 120) -> dict:
    last: list[dict] = [{}]

    def reached() -> dict | None:
        last[0] = status = _get(url, "/@prebundle/status").json()
        return status if done(status) else None

    return wait_until(reached, timeout, interval=0.05, message=lambda: f"the daemon never got there: {last[0]}")


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    wait_until(condition, timeout, message=what)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
