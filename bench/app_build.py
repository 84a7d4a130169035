"""``prebundle build`` against ``vite build`` on the same app, side by side.

    python bench/app_build.py [--runs N]

**The app** (``bench/app_build/``): React 19 in TSX, 30 components that import one another, ten
stylesheets, a 12 kB image, and a page loaded with ``React.lazy(() => import(...))``; ``index.html``
loads ``/src/main.tsx``. It is built as it is, from ``bench/.work/app-build/``, where this script
puts the outputs (``npm ci`` installs its ``node_modules`` first).

**What each figure includes** (wall time of the whole command, from the outside; CPU time and
peak memory of its process tree, from ``bench/measure.py``):

* ``vite-build``: ``vite build`` with Vite 8 (``bench/peers/vite8``) as a user runs it for a
  backend: ``build.manifest`` on, everything else default: the app and React bundled together
  by Rolldown, minified, CSS, the image, ``index.html`` and ``.vite/manifest.json``. Vite keeps
  no build cache, so every run does all of it.
* ``prebundle-build-cold``: ``prebundle build`` with no build cache (``node_modules/.vite/build``
  removed before each run, the machine-wide package cache off): the app's code through esbuild,
  the production deps (React) pre-bundled, their copy into ``dist/deps/``, the manifest.
* ``prebundle-build``: the same with the deps cache of the previous run, as on a second build
  of the same lockfile: the app's code is bundled again, the deps are checked and reused.

Each figure runs once untimed, then the figures run in interleaved rounds (A B C, A B C, ...);
a figure's value is the median of its runs, ratios divide two medians of this run. Raw runs go
to ``bench/.work/app_build.json``. The machine is shared and noisy: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
APP = BENCH / "app_build"
WORK = BENCH / ".work" / "app-build"
VITE = BENCH / "peers" / "vite8"


@dataclass(frozen=True)
class Figure:
    name: str
    argv: list[str]
    env: dict[str, str]
    prepare: Callable[[], None]
    """Untimed, before each run."""


def figures(node: str, prebundle: list[str]) -> list[Figure]:
    vite_config = WORK / "vite.config.mjs"
    vite_config.write_text(
        "// bench/app_build.py: `vite build` with a manifest, its output and cache outside the app.\n"
        "export default {\n"
        f"  cacheDir: {json.dumps(str(WORK / 'vite-cache'))},\n"
        "  logLevel: 'info',\n  clearScreen: false,\n"
        f"  build: {{ manifest: true, outDir: {json.dumps(str(WORK / 'vite-dist'))}, emptyOutDir: true }},\n"
        "};\n")
    build_cache = APP / "node_modules" / ".vite" / "build"
    no_machine_cache = {"PREBUNDLE_CACHE_DIR": "off"}
    out = os.path.relpath(WORK / "prebundle-dist", APP)
    return [
        Figure("vite-build", [node, str(VITE / "node_modules/vite/bin/vite.js"), "build", "--config", str(vite_config),
                              str(APP)], {}, lambda: None),
        Figure("prebundle-build-cold", [*prebundle, "build", str(APP), "--out-dir", out], no_machine_cache,
               lambda: shutil.rmtree(build_cache, ignore_errors=True)),
        Figure("prebundle-build", [*prebundle, "build", str(APP), "--out-dir", out], no_machine_cache, lambda: None),
    ]


def ensure_venv() -> None:
    """Run in the project's ``.venv`` (made, with prebundle installed, if missing)."""
    venv = ROOT / ".venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print("creating .venv (pip install -e .)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT)], check=True)
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each figure (default 5)")
    args = parser.parse_args(argv)

    ensure_venv()
    sys.path.insert(0, str(BENCH))
    import run  # bench/run.py: npm ci, the prebundle command, versions, load
    from measure import measure

    for folder in (APP, VITE):
        run.npm_ci(folder)
    WORK.mkdir(parents=True, exist_ok=True)
    node = os.environ.get("BENCH_NODE") or shutil.which("node") or "node"
    prebundle = run.prebundle_command()
    all_figures = figures(node, prebundle)
    runs: dict[str, list] = {figure.name: [] for figure in all_figures}

    print(f"load before: {run.load()}", flush=True)
    for round_ in range(args.runs + 1):  # round 0: the untimed warm-up
        for figure in all_figures:
            figure.prepare()
            result = measure(figure.argv, cwd=APP, env=figure.env)
            if not result.ok:
                print(result.output[-2000:], file=sys.stderr)
                raise SystemExit(f"{figure.name} failed (exit {result.returncode})")
            label = "warm-up" if round_ == 0 else f"run {round_}"
            print(f"{figure.name:22} {label:8} {result.wall_s * 1000:7.0f} ms  cpu {result.cpu_s * 1000:6.0f} ms  "
                  f"peak {result.peak_rss / 1e6:5.0f} MB", flush=True)
            if round_:
                runs[figure.name].append(result)
    print(f"load after: {run.load()}", flush=True)

    medians = {name: statistics.median(r.wall_s for r in results) for name, results in runs.items()}
    print(f"\nmedians of {args.runs} interleaved runs (wall; cpu; peak memory):")
    for name, results in runs.items():
        print(f"  {name:22} {medians[name] * 1000:7.0f} ms  (min {min(r.wall_s for r in results) * 1000:.0f}, "
              f"max {max(r.wall_s for r in results) * 1000:.0f}; cpu "
              f"{statistics.median(r.cpu_s for r in results) * 1000:.0f} ms; peak "
              f"{statistics.median(r.peak_rss for r in results) / 1e6:.0f} MB)")
    for name in ("prebundle-build-cold", "prebundle-build"):
        print(f"  {name} / vite-build: {medians[name] / medians['vite-build']:.2f}")
    versions = run.versions(node, prebundle)
    shown = ("vite 8", "prebundle")
    print("versions: " + ", ".join(f"{key} {value}" for key, value in versions.items() if key in shown))
    (WORK.parent / "app_build.json").write_text(json.dumps({
        "versions": versions, "machine": run.machine(),
        "runs": {name: [{"wall_s": r.wall_s, "cpu_s": r.cpu_s, "peak_rss": r.peak_rss} for r in results]
                 for name, results in runs.items()},
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
