"""How prebundle's figures grow with the number of packages and of source files.

    python bench/scale.py [--quick] [--rounds N] [--no-write] [--relock]

Two axes, three points each:

* **packages**: apps importing the first 10, 50 and 200 packages of ``bench/scale/packages.txt``
  (one ``import * as`` of each package's root). Each point is its own project under
  ``bench/.work/scale/packages-N/``: ``index.html`` and ``src/main.js`` generated, ``package.json``,
  lockfile and ``.npmrc`` copied from ``bench/scale/`` (200 popular packages, ``npm ci`` there),
  ``node_modules`` hard-linked from it.
* **files**: synthetic trees of 500, 5,000 and 20,000 source files (``bench/gen_tree.py``, seed 1,
  importing the bench app's specifiers) under ``bench/.work/scale/files-N/``.

On the packages axis, first the **esbuild floor**: the esbuild CLI bundling the point's
specifiers in one build, with ``bench/run.py``'s flags, into a folder deleted first (how the
work itself grows). Then at
every point, in this order, as in ``bench/run.py``: **force** (``prebundle ROOT --force``:
every package bundled again; the deps dir was deleted by the previous cold scan, whose scan
cache it finds, so its scan is warm), **no-op** (``prebundle ROOT`` with a valid cache), **warm
scan** (``prebundle scan ROOT --json`` again, nothing changed) and **cold scan** (the same after
deleting ``figures.prebundle_cache_dirs``: no scan cache, no deps). Wall time, CPU and peak RSS of the process tree come from
``bench/measure.py``. One untimed warm-up round, then rounds that interleave every point and
figure; values are medians.

The growth of each figure is given as the exponent ``k`` of ``time ∝ size^k`` between neighbouring
points (1 = linear, below 1 = better than linear: fixed costs such as Python's start-up weigh less
as the work grows). Writes a plot, ``docs/scale.png`` (matplotlib, installed into ``.venv`` when
missing), and the section between ``<!-- bench/scale.py:start -->`` and
``<!-- bench/scale.py:end -->`` of ``docs/benchmarks.md`` (not with ``--no-write``). Raw runs:
``bench/.work/scale.json``.

``--relock`` re-resolves ``bench/scale/package.json`` from ``packages.txt`` to the registry's
latest versions (``npm install --package-lock-only``, then exact versions pinned) and exits.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import types
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from project_venv import ensure_venv

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SCALE = BENCH / "scale"
WORK = BENCH / ".work" / "scale"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "scale.png"
START = "<!-- bench/scale.py:start -->"
END = "<!-- bench/scale.py:end -->"
PACKAGE_POINTS = (10, 50, 200)
FILE_POINTS = (500, 5000, 20000)
FIGURES = ("force", "noop", "scan-warm", "scan-cold")
FLOOR = "floor"
"""The esbuild CLI, one build of the point's specifiers: measured on the packages axis only (on
the files axis the specifiers, and so the floor, stay the bench app's)."""
LABELS = {FLOOR: "esbuild floor (one build)", "force": "`prebundle --force`", "noop": "no-op `prebundle`",
          "scan-warm": "warm scan", "scan-cold": "cold scan"}


def load_packages() -> list[str]:
    return [line.strip() for line in (SCALE / "packages.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


# -- the projects ------------------------------------------------------------------------------

@dataclass
class Point:
    axis: str
    """``packages`` or ``files``."""
    size: int
    root: Path
    expected: list[str]
    """The bare specifiers a scan must find."""
    runs: dict[str, list] = field(default_factory=lambda: {name: [] for name in (FLOOR, *FIGURES)})
    built: str = ""
    """What the force run said it optimized (ids, packages), from its summary line."""

    @property
    def name(self) -> str:
        return f"{self.axis}-{self.size}"

    @property
    def figures(self) -> tuple[str, ...]:
        return (FLOOR, *FIGURES) if self.axis == "packages" else FIGURES


def _hard_link_tree(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    if subprocess.run(["cp", "-al", str(source), str(target)]).returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)


def package_point(size: int, packages: list[str]) -> Point:
    """``bench/.work/scale/packages-N``: the first ``size`` packages, ``node_modules`` hard-linked
    from ``bench/scale`` (again when its lockfile changed)."""
    root = WORK / f"packages-{size}"
    root.mkdir(parents=True, exist_ok=True)
    lock = (SCALE / "package-lock.json").read_bytes()
    stamp = root / ".scale-lock"
    if not stamp.exists() or stamp.read_bytes() != lock or not (root / "node_modules").is_dir():
        print(f"hard-linking bench/scale/node_modules into {root.relative_to(ROOT)}", flush=True)
        _hard_link_tree(SCALE / "node_modules", root / "node_modules")
        for name in (".vite", ".bench-lock-sha256"):
            path = root / "node_modules" / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        stamp.write_bytes(lock)
    for name in ("package.json", "package-lock.json", ".npmrc"):
        shutil.copyfile(SCALE / name, root / name)
    chosen = packages[:size]
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "main.js").write_text(
        f"// Generated by bench/scale.py: the first {size} packages of bench/scale/packages.txt.\n\n"
        + "".join(f"import * as dep{i} from '{name}';\n" for i, name in enumerate(chosen))
        + f"\nconsole.log([{', '.join(f'dep{i}' for i in range(size))}].length);\n")
    (root / "index.html").write_text('<!doctype html>\n<html><head><meta charset="utf-8"><title>scale</title></head>\n'
                                     '<body><script type="module" src="/src/main.js"></script></body></html>\n')
    return Point("packages", size, root, chosen)


def file_point(size: int) -> Point:
    import gen_tree

    root = WORK / f"files-{size}"
    manifest = gen_tree.ensure(root, size)
    return Point("files", size, root, list(manifest["specifiers"]))


# -- measuring ---------------------------------------------------------------------------------

def _cli(ctx, *args: str) -> list[str]:
    return [*ctx.prebundle, *args]


def _floor_out(point: Point) -> Path:
    return BENCH / ".work" / "out" / f"scale-floor-{point.name}"


def _floor_argv(ctx, point: Point) -> list[str]:
    """The esbuild CLI bundling ``point``'s specifiers in one build, as ``bench/run.py``'s floor."""
    entries = ["".join(c if c.isalnum() or c == "-" else "_" for c in spec) + "=" + spec for spec in point.expected]
    return [str(ctx.bench / "peers/esbuild/node_modules/esbuild/bin/esbuild"), *entries,
            "--bundle", "--format=esm", "--splitting", "--platform=browser", "--sourcemap",
            "--define:process.env.NODE_ENV=\"development\"", f"--outdir={_floor_out(point)}", "--log-level=error"]


def _check(point: Point, figure: str, run) -> str | None:
    """A problem with a run's output, or None."""
    if not run.ok:
        lines = [l for l in run.output.splitlines() if l.strip()]
        return f"exit {run.returncode}: {lines[-1] if lines else 'no output'}"
    if figure.startswith("scan"):
        try:
            report = json.loads(run.stdout)
        except ValueError as error:
            return f"no --json report ({error})"
        lost = set(point.expected) - set(report.get("deps", {}))
        if lost or report.get("missing"):
            return f"scan lost {sorted(lost)[:3]}, missing {sorted(report.get('missing', {}))[:3]}"
    return None


def run_figure(ctx, point: Point, figure: str):
    from figures import _prebundle_env, prebundle_cache_dirs
    from measure import measure

    env = _prebundle_env(ctx)
    root = str(point.root)
    if figure == FLOOR:
        # into a new folder, as the force run after a cold scan writes a new deps dir (on a disk
        # where creating files costs more than overwriting them, the same work for both)
        shutil.rmtree(_floor_out(point), ignore_errors=True)
        run = measure(_floor_argv(ctx, point), cwd=point.root, env=env)
        if not run.ok:
            raise SystemExit(f"{point.name} {figure}: exit {run.returncode}: {run.output.strip()[-300:]}")
        return run
    scan = _cli(ctx, "scan", root, "--json")
    if figure == "noop":
        measure(_cli(ctx, root), cwd=ROOT, env=env)  # untimed: makes the cache valid
    elif figure == "scan-warm":
        measure(scan, cwd=ROOT, env=env)
    elif figure == "scan-cold":
        for folder in prebundle_cache_dirs(point.root):
            shutil.rmtree(folder, ignore_errors=True)
    argv = {"force": _cli(ctx, root, "--force"), "noop": _cli(ctx, root)}.get(figure, scan)
    run = measure(argv, cwd=ROOT, env=env)
    problem = _check(point, figure, run)
    if problem:
        raise SystemExit(f"{point.name} {figure}: {problem}")
    if figure == "force":
        found = re.search(r"optimized ([\d,]+) ids?: ([\d,]+) packages? built", run.output)
        point.built = f"{found.group(1)} ids, {found.group(2)} packages" if found else point.built
    return run


def measure_rounds(ctx, points: list[Point], rounds: int) -> None:
    for index in range(-1, rounds):  # -1: the untimed warm-up
        for point in points:
            for figure in point.figures:
                run = run_figure(ctx, point, figure)
                if index >= 0:
                    point.runs[figure].append(run)
                what = "warm-up" if index < 0 else f"round {index + 1}/{rounds}"
                print(f"  {what} {point.name} {figure}: {run.wall_s:.2f} s, peak {run.peak_rss / 1e6:.0f} MB",
                      flush=True)


# -- results -----------------------------------------------------------------------------------

def median_wall(point: Point, figure: str) -> float:
    return statistics.median(r.wall_s for r in point.runs[figure])


def exponent(small: Point, large: Point, figure: str) -> float:
    """``k`` in ``time ∝ size^k`` between two points."""
    return math.log(median_wall(large, figure) / median_wall(small, figure)) / math.log(large.size / small.size)


def growth_words(points: list[Point], figure: str) -> str:
    ks = [exponent(a, b, figure) for a, b in zip(points, points[1:])]
    if max(ks) <= 1.1:
        return "linear or better" if max(ks) > 0.9 else "better than linear"
    return "worse than linear"


def _s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def axis_table(points: list[Point], unit: str) -> list[str]:
    sizes = [f"{p.size:,} {unit}" for p in points]
    lines = [f"| Figure | {' | '.join(sizes)} | growth: k per step | |",
             f"|---|{'---|' * len(points)}---|---|"]
    for figure in points[0].figures:
        cells = []
        for point in points:
            runs = point.runs[figure]
            peak = statistics.median(r.peak_rss for r in runs) / 1e6
            cells.append(f"{_s(median_wall(point, figure))} ({peak:.0f} MB)")
        ks = " → ".join(f"{exponent(a, b, figure):.2f}" for a, b in zip(points, points[1:]))
        lines.append(f"| {LABELS[figure]} | {' | '.join(cells)} | {ks} | {growth_words(points, figure)} |")
    if FLOOR in points[0].figures:
        ratios = " | ".join(f"{median_wall(p, 'force') / median_wall(p, FLOOR):.2f} ×" for p in points)
        lines.append(f"| `--force` ÷ floor | {ratios} | | |")
    return lines


def plot(points: dict[str, list[Point]], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        print("installing matplotlib into .venv", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=True)
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, (axis, unit) in zip(axes, (("packages", "packages imported"), ("files", "source files"))):
        row = points[axis]
        sizes = [p.size for p in row]
        for figure in row[0].figures:
            times = [median_wall(p, figure) for p in row]
            ax.plot(sizes, times, marker="o", label=LABELS[figure].replace("`", ""),
                    **({"linestyle": "--", "color": "black"} if figure == FLOOR else {}))
            ax.plot(sizes, [times[0] * s / sizes[0] for s in sizes], linestyle=":", color="grey", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
        ax.set_xlabel(unit)
        ax.set_ylabel("wall time, s (median)")
        ax.grid(True, which="both", linewidth=0.3)
    axes[0].set_title("prebundle vs number of packages")
    axes[1].set_title("prebundle vs number of source files")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.text(0.5, 0.005, "dotted: linear growth from the smallest point", ha="center", fontsize=8, color="grey")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(points: dict[str, list[Point]], header: list[str], rounds: int) -> str:
    built = ", ".join(f"{p.size}: {p.built}" for p in points["packages"] if p.built)
    lines = [START, "## Scale (`bench/scale.py`)", "",
             "_Written by `python bench/scale.py`; everything between the markers is replaced on each run._", "",
             *header, "", "![prebundle's figures against packages and source files](scale.png)", "",
             f"**Packages** (the first 10, 50 and 200 of `bench/scale/packages.txt`; what the force run "
             f"optimized: {built or 'not reported'}). Median wall time (peak RSS of the process tree):", "",
             *axis_table(points["packages"], "packages"), "",
             "**Source files** (`bench/gen_tree.py --files N`, the bench app's specifiers):", "",
             *axis_table(points["files"], "files"), "",
             f"{rounds} rounds after an untimed warm-up, every point and figure interleaved. k is the exponent of "
             "`time ∝ size^k` from one point to the next: 1 is linear, below 1 better (fixed costs such as "
             "Python's start-up weigh less as the work grows). Force = `prebundle ROOT --force` with the "
             "deps dir gone and a warm scan cache (so on the files axis it is mostly the bundling of the "
             "bench app's packages); cold scan = `prebundle scan ROOT --json` with the project's cache "
             "folder deleted; esbuild floor = the esbuild CLI bundling the point's specifiers in one build "
             "(`bench/run.py`'s flags): how the bundling work itself grows.", END]
    return "\n".join(lines) + "\n"


def summary_lines(points: dict[str, list[Point]]) -> list[str]:
    out = []
    for axis, row in points.items():
        for figure in row[0].figures:
            ks = ", ".join(f"{exponent(a, b, figure):.2f}" for a, b in zip(row, row[1:]))
            walls = ", ".join(f"{median_wall(p, figure):.2f}" for p in row)
            out.append(f"{axis:8} {figure:9} {walls} s; k {ks}: {growth_words(row, figure)}")
    return out


# -- relock and main ---------------------------------------------------------------------------

def relock() -> None:
    """``bench/scale/package.json`` at the registry's latest versions of ``packages.txt``."""
    packages = load_packages()
    manifest_path = SCALE / "package.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["dependencies"] = {name: "latest" for name in sorted(packages)}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    (SCALE / "package-lock.json").unlink(missing_ok=True)
    npm = ["npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(npm, cwd=SCALE, check=True)
    lock = json.loads((SCALE / "package-lock.json").read_text())["packages"]
    manifest["dependencies"] = {name: lock[f"node_modules/{name}"]["version"] for name in sorted(packages)}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    subprocess.run(npm, cwd=SCALE, check=True)
    print("bench/scale/package.json and package-lock.json updated; check that no peer dependency is missing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round (default 3)")
    parser.add_argument("--rounds", type=int, help="timed rounds after the warm-up")
    parser.add_argument("--no-write", action="store_true", help="don't write docs/benchmarks.md and docs/scale.png")
    parser.add_argument("--relock", action="store_true", help="re-resolve bench/scale/package.json, then exit")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)

    ensure_venv(__file__)
    sys.path.insert(0, str(BENCH))
    import run

    if args.relock:
        relock()
        return 0
    for folder in ("app", "peers/esbuild", "scale"):
        run.npm_ci(BENCH / folder)
    ctx = types.SimpleNamespace(prebundle=run.prebundle_command(), bench=BENCH)
    packages = load_packages()
    points = {"packages": [package_point(n, packages) for n in PACKAGE_POINTS],
              "files": [file_point(n) for n in FILE_POINTS]}
    load_before = run.load()
    started = datetime.now(timezone.utc)
    measure_rounds(ctx, points["packages"] + points["files"], rounds)
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    info = run.machine()
    vers = run.versions(shutil.which("node") or "node", ctx.prebundle)
    dirty = run._out(["git", "status", "--porcelain", "--untracked-files=all", "prebundle"])
    header = [
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; {rounds} round(s) per figure; {seconds:.0f} s in all.",
        f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"load average (1/5/15 min) before {load_before}, after {run.load()}.",
        f"- Versions: python {vers['python']}, esbuild {vers['esbuild (floor)']}, prebundle {vers['prebundle']}"
        f"{' with uncommitted changes in prebundle/' if dirty and dirty != '?' else ''}.",
    ]
    for line in header + summary_lines(points):
        print(line)
    raw = {"header": header, "points": {p.name: {"built": p.built, "runs": {
        figure: [{"wall_s": r.wall_s, "cpu_s": r.cpu_s, "peak_rss": r.peak_rss} for r in runs]
        for figure, runs in p.runs.items()}} for row in points.values() for p in row}}
    (BENCH / ".work" / "scale.json").write_text(json.dumps(raw, indent=2) + "\n")
    if not args.no_write:
        from report import write_section

        plot(points, PLOT)
        write_section(DOC, markdown(points, header, rounds), START, END)
        print(f"wrote {PLOT.relative_to(ROOT)} and docs/benchmarks.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
