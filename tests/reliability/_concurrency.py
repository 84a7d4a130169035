"""Two CLI runs and a daemon started at the same moment on one project.

One of them takes the output lock first; the others wait for it (one line: ``waiting for
another prebundle run``) or, once the daemon serves the project, run through it (``serves this
project: running through it``). Whatever the order, every command exits 0, the daemon ends
``ready`` serving exactly the import map on disk, and the deps dir passes
:func:`served_problems`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.wait import wait_until

from ._common import PREBUNDLE, served_problems

__all__ = ["RaceFigures", "race"]

ALLOWED = ("waiting for another prebundle run", "serves this project: running through it", "optimized ",
           "dependencies up to date", "warning: ")
"""What a command may print here (each line contains one of these)."""


@dataclass
class RaceFigures:
    rounds: int = 0
    commands: int = 0
    outcomes: Counter = field(default_factory=Counter)
    """How each command ended: ``ran`` (took the lock), ``waited`` (then ran), ``through daemon``."""
    failures: list[str] = field(default_factory=list)
    """Any command that failed, printed something unexpected, or an inconsistent end state."""
    replaced_under_daemon: int = 0
    """Rounds where a command that ran itself committed while the daemon was serving (its log:
    "replaced by another process"): the daemon takes the new output up, but the contract wants
    such a command to run through the daemon."""


def race(root: Path, env: dict[str, str], *, rounds: int, timeout: float = 600, log=None) -> RaceFigures:
    """``rounds`` times: start ``prebundle``, ``prebundle --force`` and ``prebundle daemon`` at
    once, wait for the commands, check the end state, stop the daemon."""
    figures = RaceFigures()
    log = log or (lambda message: None)
    for index in range(rounds):
        figures.rounds += 1
        problems = _one_round(root, env, figures, timeout)
        figures.failures += [f"round {index + 1}: {p}" for p in problems]
        log(f"race {index + 1}: {'; '.join(problems) if problems else 'ok'}")
    return figures


def _one_round(root: Path, env: dict[str, str], figures: RaceFigures, timeout: float) -> list[str]:
    cache_dir = root / "node_modules" / ".vite"
    daemon_log = root.parent / f"race-daemon-{time.monotonic_ns()}.log"
    commands = [[str(PREBUNDLE)], [str(PREBUNDLE), "--force"]]
    with open(daemon_log, "wb") as log_file:
        started = [subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace") for argv in commands[:1]]
        daemon = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0"],
                                  cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        started += [subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace") for argv in commands[1:]]
        problems: list[str] = []
        try:
            for argv, process in zip(commands, started):
                output, _ = process.communicate(timeout=timeout)
                figures.commands += 1
                problems += _judge(" ".join(argv[1:]) or "prebundle", process.returncode, output, figures,
                                   daemon_pid=daemon.pid)
            url = _daemon_url(cache_dir, daemon, timeout)
            status = _wait_ready(url, timeout)
            served = _get(url + "/@prebundle/importmap.json")
            on_disk = json.loads((cache_dir / "deps" / "importmap.json").read_text())
            if status.get("state") != "ready":
                problems.append(f"daemon state {status.get('state')}: {status.get('error')}")
            if json.loads(served) != on_disk:
                problems.append("the daemon serves another import map than the one on disk")
            problems += served_problems(cache_dir / "deps")
        except Exception as error:  # noqa: BLE001 - a figure, reported with the daemon's log
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            for process in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
            if code != 0:
                problems.append(f"daemon exited {code}")
    text = daemon_log.read_text(errors="replace")
    if "replaced by another process" in text:
        figures.replaced_under_daemon += 1
        problems.append("a command replaced the output while the daemon served it")
    if "Traceback" in text or problems:
        problems.append("daemon log: " + " | ".join(text.splitlines()[-8:]))
    return problems


def _judge(name: str, code: int, output: str, figures: RaceFigures, *, daemon_pid: int) -> list[str]:
    lines = [line for line in output.splitlines() if line.strip()]
    waited = any("waiting for another prebundle run" in line for line in lines)
    through = any("running through it" in line for line in lines)
    outcome = ("waited, then through daemon" if waited and through else "through daemon" if through
               else "waited, then ran" if waited else "ran")
    figures.outcomes[outcome] += 1
    problems = []
    if any(f"run (pid {daemon_pid})" in line for line in lines) and not through:
        # it waited for the daemon's own run, then replaced the output the daemon serves
        problems.append(f"`{name}` waited for the daemon's run, then ran itself instead of through the daemon")
    if code != 0:
        problems.append(f"`{name}` exited {code}: {lines[:3]}")
    odd = [line for line in _without_built_table(lines) if not any(marker in line for marker in ALLOWED)]
    if odd or "Traceback" in output:
        problems.append(f"`{name}` printed {odd[:3]}")
    return problems


def _daemon_url(cache_dir: Path, daemon: subprocess.Popen, timeout: float) -> str:
    def written() -> str | None:
        if daemon.poll() is not None:
            raise AssertionError(f"the daemon exited {daemon.returncode}")
        try:
            info = json.loads((cache_dir / "daemon.json").read_text())
            if info["pid"] == daemon.pid and info["port"]:
                return info["url"]
        except (OSError, ValueError, KeyError):
            pass
        return None

    return wait_until(written, timeout, interval=0.05, message="the daemon never wrote its pid file")


def _wait_ready(url: str, timeout: float) -> dict:
    """The status once the first run ended, or the last status seen at ``timeout`` (the caller
    reports it as a problem)."""
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        try:
            status = json.loads(_get(url + "/@prebundle/status"))
            if status.get("state") != "optimizing" and status.get("runs", 0) >= 1:
                return status
        except OSError:
            pass
        time.sleep(0.1)  # a condition polled to a deadline: the status has no event to wait on
    return status


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _without_built_table(lines: list[str]) -> list[str]:
    """``lines`` without the table of the packages built that precedes the summary line."""
    kept, in_table = [], False
    for line in lines:
        if line.split()[:2] == ["package", "version"]:
            in_table = True
        elif line.startswith("optimized "):
            in_table = False
        if not in_table:
            kept.append(line)
    return kept
