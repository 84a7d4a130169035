"""Benchmark of prebundle.esbuild: the client against the esbuild CLI, and the cost of a callback.

Run: ``.venv/bin/python bench/esbuild_client.py``. Runs are interleaved (A B A B ...) so that
load on a shared machine hits both sides alike; each figure is the median of 5 (min-max).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prebundle.esbuild import Plugin, Service  # noqa: E402

MODULES = REPO / "fixtures" / "npm" / "node_modules"
BINARY = MODULES / "@esbuild" / "linux-x64" / "bin" / "esbuild"
RUNS = 5
CALLBACKS = 2000
REACT_FLAGS = ["--bundle", "--format=esm", "--splitting", "--platform=browser", "--metafile=meta.json",
               '--define:process.env.NODE_ENV="development"', "--log-level=warning"]
REACT_OPTIONS = dict(bundle=True, format="esm", splitting=True, platform="browser", metafile=True,
                     define={"process.env.NODE_ENV": '"development"'})
ENTRIES = ["src/react-entry.js", "src/dom-entry.js"]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def react_project(tmp: Path) -> Path:
    root = tmp / "react"
    _write(root, {
        "src/react-entry.js": "import * as React from 'react';\nexport const v = React.version;\n",
        "src/dom-entry.js": "import { createElement } from 'react';\n"
                            "import { createRoot } from 'react-dom/client';\n"
                            "export const mount = (el) => createRoot(el).render(createElement('p'));\n",
    })
    (root / "node_modules").symlink_to(MODULES, target_is_directory=True)
    return root


def flat_project(tmp: Path) -> Path:
    """One file importing 2,000 tiny files: the resolves arrive one after another."""
    root = tmp / "flat"
    files = {f"src/m{i}.js": f"export default {i};\n" for i in range(CALLBACKS)}
    files["src/index.js"] = "".join(f"import m{i} from './m{i}.js';\n" for i in range(CALLBACKS))
    files["src/index.js"] += "export default [" + ",".join(f"m{i}" for i in range(CALLBACKS)) + "];\n"
    _write(root, files)
    return root


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleave(a, b, runs: int = RUNS) -> tuple[list[float], list[float]]:
    a(), b()  # warm caches and the service
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return times_a, times_b


def fmt(times: list[float], scale: float = 1e3, unit: str = "ms") -> str:
    return (f"{statistics.median(times) * scale:7.1f} {unit} "
            f"({min(times) * scale:.1f}-{max(times) * scale:.1f})")


def decline_plugin() -> Plugin:
    def setup(build):
        build.on_resolve(lambda args: None, filter=r"\.js$")
    return Plugin("decline", setup)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Service(BINARY, stderr=False) as service:
        react = react_project(Path(tmp))
        flat = flat_project(Path(tmp))

        def client():
            service.build(entry_points=ENTRIES, outdir="py", abs_working_dir=str(react),
                          **REACT_OPTIONS)

        def cli():
            subprocess.run([str(BINARY), *ENTRIES, *REACT_FLAGS, "--outdir=cli"], cwd=react,
                           check=True)

        client_times, cli_times = interleave(client, cli)

        def plain():
            service.build(entry_points=["src/index.js"], bundle=True, write=False, outdir="o",
                          abs_working_dir=str(flat))

        def with_plugin():
            service.build(entry_points=["src/index.js"], bundle=True, write=False, outdir="o",
                          abs_working_dir=str(flat), plugins=[decline_plugin()])

        plugin_times, plain_times = interleave(with_plugin, plain)
        per_callback = [(p - q) / CALLBACKS for p, q in zip(sorted(plugin_times), sorted(plain_times))]
        over = statistics.median(client_times) / statistics.median(cli_times) - 1

        print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; cores: {os.cpu_count()}; "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"python {platform.python_version()}; esbuild {service.version}; {platform.machine()}")
        print(f"react + react-dom split build, median of {RUNS} (min-max), interleaved:")
        print(f"  client (warm service, write=True) {fmt(client_times)}")
        print(f"  esbuild CLI                       {fmt(cli_times)}")
        print(f"  client vs CLI: {over * 100:+.1f}% (goal: <= +5%)")
        print(f"{CALLBACKS}-file flat fixture, plugin declining every resolve:")
        print(f"  with plugin    {fmt(plugin_times)}")
        print(f"  without plugin {fmt(plain_times)}")
        print(f"  per callback: {fmt(per_callback, 1e6, 'us')} (goal: <= 300 us)")


if __name__ == "__main__":
    main()
