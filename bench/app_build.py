"""``prebundle build`` against ``vite build`` on the same app, side by side.

    python bench/app_build.py [--app demo|bench] [--runs N]

**The apps.** ``demo`` (the default): the example app, ``examples/demo`` (React 19 in TSX with
dayjs, lodash-es and classnames, a stylesheet, an SVG and a dynamic import). ``bench``:
``bench/app_build/``, React 19 in TSX, 30 components that import one another, ten stylesheets, a
12 kB image and a page loaded with ``React.lazy(() => import(...))``. Each has ``index.html``
loading ``/src/main.tsx`` and is built as it is, from a copy in ``bench/.work/app-build/<app>/``
(its ``node_modules`` hard-linked from the app's, installed with ``npm ci`` when missing), so the
repository's apps are never written to; the outputs go there too.

**What each figure includes** (wall time of the whole command, from the outside; CPU time and
peak memory of its process tree, from ``bench/measure.py``):

* ``vite-build``: ``vite build`` with Vite 8 (``bench/peers/vite8``) as a user runs it for a
  backend: ``build.manifest`` on, everything else default: the app and its packages bundled
  together by Rolldown, minified, CSS, the images, ``index.html`` and ``.vite/manifest.json``.
  Vite keeps no build cache, so every run does all of it.
* ``prebundle-build-cold``: ``prebundle build`` with no cache at all (the project's
  ``node_modules/.vite`` removed before each run, the machine-wide cache off): the app's code
  through esbuild, the production deps pre-bundled (and precompressed), their copy into
  ``dist/deps/``, the manifest.
* ``prebundle-build-first``: the first build of a checkout on a machine that built the same
  package versions before: no project cache, the machine-wide cache (``PREBUNDLE_CACHE_DIR``,
  filled by the warm-up) on.
* ``prebundle-build-edit``: a rebuild after an edit of the app (a line appended to
  ``src/App.tsx`` before each run) with the deps unchanged, as in CI with a cached
  ``node_modules/.vite`` or locally.
* ``prebundle-build``: the same with nothing edited.

prebundle runs byte-compiled (as ``pip install`` leaves it; the machine sets
``PYTHONDONTWRITEBYTECODE``) with the floor's esbuild binary (``bench/peers/esbuild``, the pinned
version) when the app has none. Each figure runs once untimed, then the figures run in
interleaved rounds (A B C, A B C, ...); a figure's value is the median of its runs, ratios divide
two medians of this run. Raw runs go to ``bench/.work/app_build.json``. The machine is shared
and noisy: compare the ratios, and the CPU times.
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

from project_venv import ensure_venv

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
APPS = {"demo": ROOT / "examples" / "demo", "bench": BENCH / "app_build"}
WORK = BENCH / ".work" / "app-build"
VITE = BENCH / "peers" / "vite8"
FLOOR_ESBUILD = BENCH / "peers" / "esbuild" / "node_modules" / "esbuild" / "bin" / "esbuild"
EDITED = "src/App.tsx"
"""The app's file that ``prebundle-build-edit`` appends a line to before each run."""


@dataclass(frozen=True)
class Figure:
    name: str
    argv: list[str]
    env: dict[str, str]
    prepare: Callable[[], None]
    """Untimed, before each run."""


def copy_app(source: Path, target: Path, npm_ci: Callable[[Path], None]) -> None:
    """``source`` at ``target``, its ``node_modules`` hard-linked (prebundle writes only its own
    ``node_modules/.vite`` there, which is left out), or installed there when it has none."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules", "dist"))
    modules = source / "node_modules"
    if not modules.is_dir():
        npm_ci(target)
        return
    done = subprocess.run(["cp", "-al", str(modules), str(target / "node_modules")])
    if done.returncode != 0:
        shutil.rmtree(target / "node_modules", ignore_errors=True)
        shutil.copytree(modules, target / "node_modules", symlinks=True)
    for name in (".vite", ".bench-lock-sha256"):
        path = target / "node_modules" / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def figures(node: str, prebundle: list[str], app: Path) -> list[Figure]:
    vite_config = WORK / "vite.config.mjs"
    vite_config.write_text(
        "// bench/app_build.py: `vite build` with a manifest, its output and cache outside the app.\n"
        "export default {\n"
        f"  cacheDir: {json.dumps(str(WORK / 'vite-cache'))},\n"
        "  logLevel: 'info',\n  clearScreen: false,\n"
        f"  build: {{ manifest: true, outDir: {json.dumps(str(WORK / 'vite-dist'))}, emptyOutDir: true }},\n"
        "};\n")
    project_cache = app / "node_modules" / ".vite"
    env = {} if (app / "node_modules" / "esbuild").is_dir() else {"ESBUILD_BINARY_PATH": str(FLOOR_ESBUILD)}
    no_machine_cache = {**env, "PREBUNDLE_CACHE_DIR": "off"}
    machine_cache = {**env, "PREBUNDLE_CACHE_DIR": str(WORK / "machine-cache")}
    build = [*prebundle, "build", str(app), "--out-dir", os.path.relpath(WORK / "prebundle-dist", app)]
    edits = iter(range(1, 1_000_000))

    def edit() -> None:
        with open(app / EDITED, "a", encoding="utf-8") as handle:
            handle.write(f"// bench edit {next(edits)}\n")

    return [
        Figure("vite-build", [node, str(VITE / "node_modules/vite/bin/vite.js"), "build", "--config", str(vite_config),
                              str(app)], {}, lambda: None),
        Figure("prebundle-build-cold", build, no_machine_cache,
               lambda: (compiled(), shutil.rmtree(project_cache, ignore_errors=True))),
        Figure("prebundle-build-first", build, machine_cache,
               lambda: (compiled(), shutil.rmtree(project_cache, ignore_errors=True))),
        Figure("prebundle-build-edit", build, machine_cache, lambda: (compiled(), edit())),
        Figure("prebundle-build", build, machine_cache, compiled),
    ]


def compiled() -> None:
    """Byte-compile prebundle, as ``pip install`` does (``bench/figures.py``'s ``_compiled``)."""
    import compileall

    compileall.compile_dir(str(ROOT / "prebundle"), quiet=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=sorted(APPS), default="demo", help="the app to build (default demo)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each figure (default 5)")
    args = parser.parse_args(argv)

    ensure_venv(__file__)
    sys.path.insert(0, str(BENCH))
    import run  # bench/run.py: npm ci, the prebundle command, versions, load
    from measure import measure

    source = APPS[args.app]
    run.npm_ci(VITE)
    WORK.mkdir(parents=True, exist_ok=True)
    app = WORK / args.app
    copy_app(source, app, run.npm_ci)
    shutil.rmtree(WORK / "machine-cache", ignore_errors=True)
    node = os.environ.get("BENCH_NODE") or shutil.which("node") or "node"
    prebundle = run.prebundle_command()
    all_figures = figures(node, prebundle, app)
    runs: dict[str, list] = {figure.name: [] for figure in all_figures}

    print(f"app: {source.relative_to(ROOT)} (built from {app.relative_to(ROOT)})")
    print(f"load before: {run.load()}", flush=True)
    for round_ in range(args.runs + 1):  # round 0: the untimed warm-up
        for figure in all_figures:
            figure.prepare()
            result = measure(figure.argv, cwd=app, env=figure.env)
            if not result.ok:
                print(result.output[-2000:], file=sys.stderr)
                raise SystemExit(f"{figure.name} failed (exit {result.returncode})")
            label = "warm-up" if round_ == 0 else f"run {round_}"
            print(f"{figure.name:22} {label:8} {result.wall_s * 1000:7.0f} ms  cpu {result.cpu_s * 1000:6.0f} ms  "
                  f"peak {result.peak_rss / 1e6:5.0f} MB  load {run.load().split(' / ')[0]}", flush=True)
            if round_:
                runs[figure.name].append(result)
    print(f"load after: {run.load()}", flush=True)

    medians = {name: statistics.median(r.wall_s for r in results) for name, results in runs.items()}
    cpus = {name: statistics.median(r.cpu_s for r in results) for name, results in runs.items()}
    print(f"\nmedians of {args.runs} interleaved runs (wall; cpu; peak memory):")
    for name, results in runs.items():
        print(f"  {name:22} {medians[name] * 1000:7.0f} ms  (min {min(r.wall_s for r in results) * 1000:.0f}, "
              f"max {max(r.wall_s for r in results) * 1000:.0f}; cpu {cpus[name] * 1000:.0f} ms; peak "
              f"{statistics.median(r.peak_rss for r in results) / 1e6:.0f} MB)")
    for name in runs:
        if name != "vite-build":
            print(f"  {name} / vite-build: wall {medians[name] / medians['vite-build']:.2f}, "
                  f"cpu {cpus[name] / cpus['vite-build']:.2f}")
    versions = run.versions(node, prebundle)
    shown = ("vite 8", "prebundle")
    print("versions: " + ", ".join(f"{key} {value}" for key, value in versions.items() if key in shown))
    (WORK.parent / "app_build.json").write_text(json.dumps({
        "app": args.app, "versions": versions, "machine": run.machine(),
        "runs": {name: [{"wall_s": r.wall_s, "cpu_s": r.cpu_s, "peak_rss": r.peak_rss} for r in results]
                 for name, results in runs.items()},
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
