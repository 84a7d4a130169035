"""SIGKILL at random moments of ``prebundle`` runs on the compat app, and what is served after.

Four kinds of run, each killed after a delay drawn (seeded) over its own measured length:

* ``force``: ``prebundle --force`` (every package rebuilt);
* ``integrity``: a package's ``integrity`` changed in ``node_modules/.package-lock.json``, so
  that package rebuilds;
* ``add``: a new import (a subpath of lodash or validator not imported yet) in ``src/extra.js``;
* ``remove``: the last added import removed again.

After each kill the deps dir must pass :func:`served_problems`, and the next plain run
("repair") must exit 0, leave a consistent folder and contain the change.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._common import PREBUNDLE, cli_env, compat_root, run_cli, served_problems

__all__ = ["KINDS", "KillFigures", "KillScenario"]

KINDS = ("force", "integrity", "add", "remove")
EXTRA_PAGE = '<!doctype html>\n<script type="module" src="/src/extra.js"></script>\n'


@dataclass
class KillFigures:
    kills: int = 0
    """SIGKILLs that hit a running ``prebundle``."""
    missed: int = 0
    """Delays longer than that run: the process had exited (its state is checked too)."""
    states_checked: int = 0
    bad_states: list[str] = field(default_factory=list)
    repairs: int = 0
    failed_repairs: list[str] = field(default_factory=list)
    orphans: int = 0
    """esbuild services still running 2 s after their ``prebundle`` was killed."""
    measured: dict[str, float] = field(default_factory=dict)
    """Uninterrupted length of each kind of run, seconds (the delays are drawn over it)."""
    by_kind: dict[str, int] = field(default_factory=dict)
    """Kills per kind."""
    seconds: float = 0.0


class KillScenario:
    """A compat app at ``root`` and its runs; ``run(kills)`` does the killing and checking."""

    def __init__(self, root: Path, shared_cache: Path, *, seed: int = 1, log=None) -> None:
        self.root = compat_root(root)
        self.deps = self.root / "node_modules" / ".vite" / "deps"
        self.env = cli_env(shared_cache)
        self.rng = random.Random(seed)
        self.log = log or (lambda message: None)
        (self.root / "extra.html").write_text(EXTRA_PAGE)
        self.extra = self.root / "src" / "extra.js"
        self.extra.write_text("export {}\n")
        self.pool = self._subpaths()
        self.figures = KillFigures()

    def _subpaths(self) -> list[str]:
        """Subpath imports this app does not make yet: each one rebuilds its package."""
        modules = self.root / "node_modules"
        names = [f"lodash/{p.stem}" for p in sorted((modules / "lodash").glob("*.js"))
                 if not p.stem.startswith("_") and p.stem not in ("lodash", "debounce", "core", "fp")]
        names += [f"validator/lib/{p.stem}" for p in sorted((modules / "validator" / "lib").glob("is*.js"))
                  if p.stem != "isEmail"]
        self.rng.shuffle(names)
        return names

    # -- the changes each kind makes --------------------------------------------------------

    def _prepare(self, kind: str) -> tuple[list[str], str | None]:
        """Make the change of one kind of run; returns its arguments and the id it must add."""
        if kind == "force":
            return ["--force"], None
        if kind == "integrity":
            lock_path = self.root / "node_modules" / ".package-lock.json"
            lock = json.loads(lock_path.read_text())
            served = json.loads((self.deps / "_metadata.json").read_text())["prebundle"]["packages"]
            names = sorted(record["name"] for record in served.values())
            name = self.rng.choice(names)
            record = lock["packages"].get(f"node_modules/{name}")
            if record is not None:
                record["integrity"] = "sha512-" + secrets.token_hex(16)
                lock_path.write_text(json.dumps(lock, indent=2))
            return [], None
        lines = self.extra.read_text().splitlines()
        if kind == "add" or len(lines) <= 1:
            spec = self.pool.pop()
            self.extra.write_text("\n".join([*lines, f"import '{spec}'"]) + "\n")
            return [], spec
        self.extra.write_text("\n".join(lines[:-1]) + "\n")
        return [], None

    # -- running ----------------------------------------------------------------------------

    def build(self) -> float:
        """The first, complete build; its length stands for a ``--force`` run."""
        done = run_cli([], cwd=self.root, env=self.env, timeout=900)
        assert done.code == 0, done.output
        problems = served_problems(self.deps)
        assert problems == [], problems
        return done.seconds

    def measure(self, kind: str) -> float:
        """One uninterrupted run of ``kind``: its length (and a check that it works at all)."""
        args, spec = self._prepare(kind)
        done = run_cli(args, cwd=self.root, env=self.env, timeout=900)
        self._expect_ok(f"measuring {kind}", done, spec)
        self.figures.measured[kind] = round(done.seconds, 2)
        return done.seconds

    def run(self, rounds: int, *, until_kills: int | None = None, kinds: list[str] | None = None) -> KillFigures:
        """``rounds`` kill-check-repair rounds over ``kinds`` (all four by default, in turn), or
        as many as it takes (at most ``rounds``) to kill ``until_kills`` running processes."""
        started = time.perf_counter()
        kinds = kinds or list(KINDS)
        for kind in kinds:
            if kind not in self.figures.measured:
                self.measure(kind)
        for index in range(rounds):
            if until_kills is not None and self.figures.kills >= until_kills:
                break
            self._kill_once(index, kinds[index % len(kinds)])
        self.figures.seconds += time.perf_counter() - started
        return self.figures

    def _kill_once(self, index: int, kind: str) -> None:
        figures = self.figures
        args, spec = self._prepare(kind)
        delay = self.rng.uniform(0, figures.measured[kind])
        process = subprocess.Popen([str(PREBUNDLE), *args, "--log-level", "error"], cwd=self.root, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children: list[int] = []
        started = time.perf_counter()
        try:  # the scenario: a kill at a random moment of the run
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            children = _children(process.pid)
            process.send_signal(signal.SIGKILL)
            figures.kills += 1
            figures.by_kind[kind] = figures.by_kind.get(kind, 0) + 1
        else:
            # The run ended before the delay: runs of this kind are shorter than measured (the
            # machine-wide cache warmed up), so later delays are drawn over this run's length.
            figures.missed += 1
            figures.measured[kind] = round(min(figures.measured[kind], time.perf_counter() - started), 2)
        process.wait()
        figures.orphans += _reap(children)
        figures.states_checked += 1
        problems = served_problems(self.deps)
        if problems:
            figures.bad_states.append(f"kill {index} ({kind}, {delay:.2f} s): {'; '.join(problems[:3])}")
        self.log(f"kill {index + 1} {kind} after {delay:.2f} s: {'BAD ' + problems[0] if problems else 'ok'}")
        repair = run_cli([], cwd=self.root, env=self.env, timeout=900)
        if self._expect_ok(f"repair after kill {index} ({kind})", repair, spec, fatal=False):
            figures.repairs += 1

    def _expect_ok(self, what: str, done, spec: str | None, *, fatal: bool = True) -> bool:
        problems = [] if done.code == 0 else [f"exit {done.code}: {done.first_line}"]
        if done.traceback:
            problems.append("traceback")
        problems += served_problems(self.deps)
        leftovers = [p.name for p in self.deps.parent.iterdir() if p.name.startswith(("deps_temp_", "deps_old_"))]
        if leftovers:
            problems.append(f"leftovers beside the deps dir after a complete run: {leftovers}")
        if spec is not None and not problems:
            imports = json.loads((self.deps / "importmap.json").read_text())["imports"]
            if spec not in imports:
                problems.append(f"{spec} is not in the import map")
        if problems and fatal:
            raise AssertionError(f"{what}: {'; '.join(problems[:5])}\n{done.output[-2000:]}")
        if problems:
            self.figures.failed_repairs.append(f"{what}: {'; '.join(problems[:3])}")
        return not problems


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (the esbuild service, the scan workers)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return found


def _reap(children: list[int], grace: float = 2.0) -> int:
    """How many of ``children`` outlive their killed parent by ``grace`` seconds; those are
    killed then (they are ours: started by the run this scenario started)."""
    deadline = time.monotonic() + grace
    alive = list(children)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        if alive:
            time.sleep(0.05)  # a grace period to end in, then they are killed: not a wait for success
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(alive)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
