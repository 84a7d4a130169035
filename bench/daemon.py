"""Daemon figures, recorded in docs/benchmarks.md (section ``## daemon``).

* save → reload: the time from writing a source file that adds an import of a package not yet
  optimized to the ``reload`` event on ``/@prebundle/events`` (median of N rounds, each on a
  fresh cache so the package is really built), against that package's own esbuild build through
  ``prebundle.esbuild`` with the optimizer's flags (median of N, warm service). Goal: ≤ that
  package's build + 100 ms.
* idle: CPU time of the daemon's process tree over ~10 s of idling on the example app, and its RSS.
  Goal: ~0 CPU, ≤ 150 MB.

    .venv/bin/python bench/daemon.py [--rounds 5] [--package lodash-es] [--idle 10] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
NPM = REPO / "fixtures" / "npm"
DEMO = REPO / "examples" / "demo"
DOCS = REPO / "docs" / "benchmarks.md"
BASE_SOURCE = 'import React from "react";\nconsole.log(React.version);\n'
GOAL_OVER_BUILD_S = 0.100
"""Save → reload may exceed the package's own esbuild build by this much."""
SETTLE_SECONDS = 0.3
"""Pause before each timed save, and before each timed build of the package alone: both
start from the same idle machine (on this VM a build right after another one is ~40 ms
faster than one after a pause, so timing the builds back to back flattered the baseline)."""


def link_app(root: Path, npm_dir: Path, files: dict[str, str] | None = None, copy_from: Path | None = None) -> Path:
    if copy_from is not None:
        shutil.copytree(copy_from, root, ignore=shutil.ignore_patterns("node_modules"))
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if not (root / "package-lock.json").exists():
        shutil.copy(npm_dir / "package-lock.json", root / "package-lock.json")
        shutil.copy(npm_dir / "package.json", root / "package.json")
    modules = root / "node_modules"
    modules.mkdir(exist_ok=True)
    for entry in (npm_dir / "node_modules").iterdir():
        if not entry.name.startswith("."):
            (modules / entry.name).symlink_to(entry, target_is_directory=True)
    return root


class Daemon:
    def __init__(self, root: Path) -> None:
        self.root = root
        # The machine-wide package cache off: each new dependency is really bundled.
        env = {**os.environ, "PREBUNDLE_CACHE_DIR": "off"}
        self.proc = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0",
                                      "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env)
        pidfile = root / "node_modules" / ".vite" / "daemon.json"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"daemon failed: {self.proc.stderr.read().decode()}")
            try:
                info = json.loads(pidfile.read_text())
                if info["pid"] == self.proc.pid:
                    self.url = info["url"]
                    if httpx.get(self.url + "/@prebundle/status", timeout=2).json()["state"] == "ready":
                        break
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("daemon did not become ready")
            time.sleep(0.05)

    def events(self) -> queue.Queue:
        out: queue.Queue = queue.Queue()
        connected = threading.Event()

        def read() -> None:
            with httpx.stream("GET", self.url + "/@prebundle/events", timeout=httpx.Timeout(5, read=None)) as r:
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                        if name == "hello":
                            connected.set()
                        else:
                            out.put((name, time.perf_counter()))

        threading.Thread(target=read, daemon=True).start()
        connected.wait(10)
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def save_to_reload(work: Path, package: str, index: int) -> tuple[float, float]:
    """One save → reload time on a fresh app and daemon, and the optimize part of it (from
    ``last_run`` in the status)."""
    root = link_app(work / f"latency-{index}", NPM, {"index.html": '<script type="module" src="/src/main.js"></script>',
                                                    "src/main.js": BASE_SOURCE})
    daemon = Daemon(root)
    try:
        events = daemon.events()
        time.sleep(SETTLE_SECONDS)  # let the watcher settle
        started = time.perf_counter()
        (root / "src" / "main.js").write_text(BASE_SOURCE + f'import * as m from "{package}";\nconsole.log(m);\n')
        name, at = events.get(timeout=30)
        if name != "reload":
            raise SystemExit(f"expected reload, got {name}")
        last = httpx.get(daemon.url + "/@prebundle/status", timeout=5).json()["last_run"]
        return at - started, last["optimize_seconds"]
    finally:
        daemon.stop()


class AloneBuilds:
    """The package's build through prebundle.esbuild with the optimizer's flags (no plugins),
    on a warm service of its own, timed one at a time between the daemon's rounds."""

    def __init__(self, work: Path, package: str) -> None:
        from prebundle import esbuild
        from prebundle.bundle import PackageBundler
        from prebundle.config import load_config
        from prebundle.resolve import Resolver

        root = link_app(work / "esbuild-alone", NPM, {"index.html": "", "src/main.js": BASE_SOURCE})
        config = load_config(root)
        resolver = Resolver(config.root)
        entry = resolver.resolve(package, root / "index.html").entry
        self.service = esbuild.get_service(root)
        bundler = PackageBundler(config, resolver, self.service, staging=root / "out")
        self.options = bundler._options({package.replace("/", "_"): str(entry)}, root / "out")
        self.service.build(**self.options)  # warm-up

    def time_one(self) -> float:
        time.sleep(SETTLE_SECONDS)
        started = time.perf_counter()
        self.service.build(**self.options)
        return time.perf_counter() - started

    def close(self) -> None:
        self.service.close()


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def idle_figures(work: Path, seconds: float) -> dict[str, float]:
    root = work / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("node_modules"))
    modules = root / "node_modules"
    modules.mkdir()
    for entry in (DEMO / "node_modules").iterdir():
        if not entry.name.startswith("."):
            (modules / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
    daemon = Daemon(root)
    try:
        time.sleep(1.0)
        pids = tree(daemon.proc.pid)
        before = cpu_seconds(pids)
        time.sleep(seconds)
        used = cpu_seconds(tree(daemon.proc.pid)) - before
        daemon_rss = rss_mb(daemon.proc.pid)
        tree_rss = sum(rss_mb(pid) for pid in tree(daemon.proc.pid))
    finally:
        daemon.stop()
    return {"seconds": seconds, "cpu": used, "rss": daemon_rss, "tree_rss": tree_rss}


def write_section(text: str) -> None:
    doc = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## daemon\n.*?(?=^## |\Z)", re.S | re.M)
    doc = pattern.sub(text, doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + text
    DOCS.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--package", default="lodash-es")
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from prebundle.daemon.watch import STEP_MS
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="prebundle-bench-daemon-") as tmp:
        work = Path(tmp)
        latency, optimizing, alone = [], [], []
        builds = AloneBuilds(work, args.package)
        try:
            for index in range(args.rounds):  # interleaved: both medians come from the same minutes
                took, optimize_took = save_to_reload(work, args.package, index)
                latency.append(took)
                optimizing.append(optimize_took)
                alone.append(builds.time_one())
        finally:
            builds.close()
        idle_result = idle_figures(work, args.idle)
    load_after = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lat, esb, opt = statistics.median(latency), statistics.median(alone), statistics.median(optimizing)
    goal = esb + GOAL_OVER_BUILD_S
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    lines = [
        "## daemon",
        "",
        f"`bench/daemon.py` (`--rounds {args.rounds}`), {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"shared machine; load average (1/5/15 min) before {load_before}, after {load_after}.",
        "",
        "| figure | value | goal | |",
        "|---|---|---|---|",
        f"| save → `reload` event, new import of `{args.package}` (median of {len(latency)}; runs: "
        f"{', '.join(ms(t) for t in latency)}) | {ms(lat)} | ≤ that package's build + {ms(GOAL_OVER_BUILD_S)} = {ms(goal)} | "
        f"{'met' if lat <= goal else 'missed'} |",
        f"| `{args.package}` alone through `prebundle.esbuild`, optimizer flags, warm service, each build after "
        f"the same {SETTLE_SECONDS:g} s pause as each save, interleaved with them (median of {len(alone)}) "
        f"| {ms(esb)} | | |",
        f"| of which the optimize run (scan excluded; median of `last_run.optimize_seconds`) | {ms(opt)} | | |",
        f"| daemon overhead over esbuild | {ms(lat - esb)} | ≤ {ms(GOAL_OVER_BUILD_S)} | "
        f"{'met' if lat - esb <= GOAL_OVER_BUILD_S else 'missed'} |",
        f"| daemon overhead over its optimize run (watch, rescan, commit, event) | {ms(lat - opt)} | | |",
        f"| idle CPU, process tree, {idle_result['seconds']:.0f} s on examples/demo | "
        f"{idle_result['cpu']:.2f} s ({100 * idle_result['cpu'] / idle_result['seconds']:.1f} %) | ~0 | "
        f"{'met' if idle_result['cpu'] <= 0.05 * idle_result['seconds'] else 'missed'} |",
        f"| RSS of the daemon (Python) | {idle_result['rss']:.0f} MB | ≤ 150 MB | "
        f"{'met' if idle_result['rss'] <= 150 else 'missed'} |",
        f"| RSS of its process tree (with the esbuild service) | {idle_result['tree_rss']:.0f} MB | | |",
        "",
        f"The save → reload time includes the watcher's quiet window (watchfiles checks every {STEP_MS} ms",
        f"and reports a burst after one quiet check: {STEP_MS}–{2 * STEP_MS} ms), the warm rescan, the optimize run",
        "(interop analysis, the build with the optimizer's esbuild plugin, publish, atomic commit)",
        "and the event's delivery. Runs on a busy shared machine vary by ±50 %.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
