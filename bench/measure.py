"""Run one command and measure it: wall time, CPU time, peak memory of its whole process tree.

The command runs in a new session, so every process it starts (Vite's esbuild service, a
Rolldown worker, prebundle's esbuild) shares its session id. A thread samples ``/proc`` every
``SAMPLE_S`` and sums the resident set of every process in that session: the peak of that sum
is the figure's peak memory (and the per-process CPU ticks, summed, its CPU time). Processes
that live less than one sampling period can be missed.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Run", "PHASES", "measure", "tree_rss"]

SAMPLE_S = 0.02
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")

PHASES = {
    "scan": re.compile(r"Scan completed in ([\d.]+)\s*ms"),
    "bundle": re.compile(r"Dependencies bundled in ([\d.]+)\s*ms"),
}
"""Phase lines printed with ``DEBUG=vite:deps``, as milliseconds."""


@dataclass
class Run:
    """One measured run."""

    returncode: int
    wall_s: float
    cpu_s: float
    """User + system time of the process tree (from ``wait4``, or the samples if they saw more)."""
    peak_rss: int
    """Bytes: the highest sampled sum of the resident sets in the process tree."""
    phases_ms: dict[str, float] = field(default_factory=dict)
    output: str = ""
    """stdout then stderr, for phase lines and error notes."""
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def tree_rss(session: int, cpu: dict[int, int] | None = None) -> int:
    """Resident bytes of every process whose session id is ``session``.

    If ``cpu`` is given, it is updated with each process's user + system clock ticks so far.
    """
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        # fields[0] is field 3 of proc(5): session is field 6, utime/stime 14/15, rss 24.
        if int(fields[3]) == session:
            total += int(fields[21]) * PAGE
            if cpu is not None:
                cpu[int(entry.name)] = int(fields[11]) + int(fields[12])
    return total


class _Sampler(threading.Thread):
    def __init__(self, session: int) -> None:
        super().__init__(daemon=True)
        self.session = session
        self.peak = 0
        self.cpu: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.session, self.cpu))
            if self.done.wait(SAMPLE_S):
                return

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values()) / TICKS


def measure(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
    """Run ``argv`` to completion and measure it."""
    full_env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True)
        sampler = _Sampler(proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, os.killpg, (proc.pid, 9))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        sampler.done.set()
        sampler.join()
        # Anything the command left behind in its session is ended here.
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        text = stdout + err.read().decode(errors="replace")
    phases = {}
    for name, pattern in PHASES.items():
        found = pattern.search(text)
        if found:
            phases[name] = float(found.group(1))
    return Run(
        returncode=proc.returncode,
        wall_s=wall,
        # Children that are never waited for (Vite's esbuild service) are only in the samples.
        cpu_s=max(usage.ru_utime + usage.ru_stime, sampler.cpu_s),
        peak_rss=sampler.peak,
        phases_ms=phases,
        output=text,
        stdout=stdout,
    )
