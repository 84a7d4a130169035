"""Benchmark prebundle against the esbuild CLI, Vite 7 and Vite 8, side by side.

    python bench/run.py [--quick] [--only NAME[,NAME…]] [--runs N] [--files N] [--no-write]

Installs what is missing (the project's ``.venv`` with ``pip install -e .``, ``npm ci`` in
``bench/app`` and ``bench/peers/*``), generates the synthetic tree (``bench/gen_tree.py``), then
runs every figure once untimed (warm-up; a failing ``prebundle-*`` command marks its figure "not
available yet") and then in interleaved rounds, A B C … A B C …, at least 5 runs each (3 with
``--quick``, which also drops a few figures). Prints medians, min–max, peak memory of the whole
process tree and the ratios/goals, and writes the table into ``docs/benchmarks.md`` between
``<!-- bench/run.py:start -->`` and ``<!-- bench/run.py:end -->`` (not with ``--only``, unless
``--write``). Raw runs go to ``bench/.work/results.json``. Figures: ``bench/figures.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from project_venv import ensure_venv

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = ROOT / ".venv"
NPM_DIRS = ("app", "peers/esbuild", "peers/vite7", "peers/vite8")


# -- installation ------------------------------------------------------------------------------

def prebundle_command() -> list[str]:
    script = VENV / "bin" / "prebundle"
    if not script.exists():
        print("installing prebundle into .venv (pip install -e .)", flush=True)
        subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", str(ROOT)])
    if script.exists():
        return [str(script)]
    return [str(VENV / "bin" / "python"), "-m", "prebundle"]  # run from ROOT: imports the checkout


def npm_ci(folder: Path) -> None:
    """``npm ci`` unless ``node_modules`` was installed from this very lockfile."""
    digest = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / ".bench-lock-sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"npm ci in {folder.relative_to(ROOT)}", flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True)
    stamp.write_text(digest)


def ensure_second_app(ctx) -> None:
    """A second project with the same package versions: the bench app with its own node_modules."""
    second = ctx.second
    lock = (ctx.app / "package-lock.json").read_bytes()
    if (second / "package-lock.json").exists() and (second / "package-lock.json").read_bytes() == lock \
            and (second / "node_modules").is_dir():
        return
    shutil.rmtree(second, ignore_errors=True)
    second.mkdir(parents=True)
    for name in ("index.html", "package.json", "package-lock.json"):
        shutil.copyfile(ctx.app / name, second / name)
    shutil.copytree(ctx.app / "src", second / "src")
    # Hard links: other paths, same bytes, seconds instead of a second npm install.
    done = subprocess.run(["cp", "-al", str(ctx.app / "node_modules"), str(second / "node_modules")])
    if done.returncode != 0:
        shutil.rmtree(second / "node_modules", ignore_errors=True)
        shutil.copytree(ctx.app / "node_modules", second / "node_modules", symlinks=True)
    for name in (".vite", ".bench-lock-sha256"):
        path = second / "node_modules" / name
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


# -- machine and versions ----------------------------------------------------------------------

def _out(argv: list[str], cwd: Path = ROOT) -> str:
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def _pkg_version(path: Path) -> str:
    try:
        return json.loads(path.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def versions(node: str, prebundle: list[str]) -> dict[str, str]:
    peers = BENCH / "peers"
    pre = _out([*prebundle, "--version"]).replace("prebundle, version ", "") or "?"
    sha = _out(["git", "rev-parse", "--short", "HEAD"])
    return {
        "python": platform.python_version(),
        "node": _out([node, "--version"]),
        "esbuild (floor)": _pkg_version(peers / "esbuild/node_modules/esbuild/package.json"),
        "vite 7": _pkg_version(peers / "vite7/node_modules/vite/package.json")
        + f" (esbuild {_pkg_version(peers / 'vite7/node_modules/esbuild/package.json')})",
        "vite 8": _pkg_version(peers / "vite8/node_modules/vite/package.json")
        + f" (rolldown {_pkg_version(peers / 'vite8/node_modules/rolldown/package.json')})",
        "prebundle": f"{pre} (git {sha})",
    }


def machine() -> dict[str, str]:
    model, mem = "?", "?"
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cores": str(os.cpu_count()), "cpu": model, "memory": mem,
            "os": f"{platform.system()} {platform.release()}"}


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# -- running -----------------------------------------------------------------------------------

def _note(output: str, width: int = 110) -> str:
    """The line of ``output`` that best says what went wrong, shortened."""
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    line = next((l for l in lines if "rror" in l or "No such" in l or "not found" in l.lower()),
                lines[-1] if lines else "no output")
    line = re.sub(r"^(\w+\.)+(?=\w+(Error|NotFound|Exception)\b)", "", line)  # a.b.FooError -> FooError
    return line if len(line) <= width else line[: width - 1] + "…"


def run_once(fig, ctx):
    from measure import measure

    fig.prepare(ctx)
    return measure(fig.argv(ctx), cwd=fig.cwd(ctx), env=fig.env(ctx))


def warm_up(results, ctx) -> None:
    from measure import measure

    for name, res in results.items():
        fig = res.figure
        if fig.prime:
            measure(fig.prime(ctx), cwd=ctx.root, env=fig.env(ctx))
        run = run_once(fig, ctx)
        ok = run.ok and (fig.metric == "wall" or fig.metric in run.phases_ms)
        if not ok:
            res.status = "not available yet" if fig.product else "failed"
            res.note = _note(run.output) if not run.ok else f"no '{fig.metric}' phase line"
        else:
            res.note = fig.check(ctx, run) or ""
        print(f"  warm-up {name}: {res.status}{' — ' + res.note if res.note else ''} ({run.wall_s:.2f} s)",
              flush=True)


def rounds(results, ctx, runs: int) -> None:
    for i in range(runs):
        for name, res in results.items():
            if res.status != "ok":
                continue
            run = run_once(res.figure, ctx)
            if not run.ok:
                res.status, res.note = "failed", _note(run.output)
                print(f"  round {i + 1}/{runs} {name}: FAILED {res.note}", flush=True)
                continue
            res.runs.append(run)
            shown = run.wall_s if res.figure.metric == "wall" else run.phases_ms.get(res.figure.metric, 0) / 1000
            print(f"  round {i + 1}/{runs} {name}: {shown:.3f} s, peak {run.peak_rss / 1e6:.0f} MB", flush=True)


def select(all_figures, only: list[str], quick: bool):
    by_name = {f.name: f for f in all_figures}
    if only:
        unknown = [n for n in only if n not in by_name]
        if unknown:
            sys.exit(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
        wanted = set(only)
        for n in only:  # the references of a goal are measured alongside it
            fig = by_name[n]
            wanted |= {g.ref for g in fig.goals if g.ref} | ({fig.ref} if fig.ref else set())
        return [f for f in all_figures if f.name in wanted]
    return [f for f in all_figures if f.default and (f.quick or not quick)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per figure and fewer figures")
    parser.add_argument("--only", action="append", default=[], help="figure name(s), comma-separated")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, --quick 3)")
    parser.add_argument("--files", type=int, default=5000, help="files in the synthetic tree (default 5000)")
    parser.add_argument("--no-write", action="store_true", help="don't write docs/benchmarks.md")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md even with --only")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]

    ensure_venv(__file__)
    sys.path.insert(0, str(BENCH))
    import gen_tree
    from figures import Context, figures
    from report import Result, console_table, markdown, write_section
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 200)
    for folder in NPM_DIRS:
        npm_ci(BENCH / folder)
    node = os.environ.get("BENCH_NODE") or shutil.which("node") or "node"
    ctx = Context(root=ROOT, node=node, prebundle=prebundle_command(),
                  specifiers=gen_tree.load_specifiers(), tree_files=args.files)
    print(f"synthetic tree: {ctx.rel(ctx.tree)} ({args.files} files)", flush=True)
    try:  # a killed run may have left the tree edited
        ctx.edit_target = json.loads((ctx.tree / gen_tree.MANIFEST).read_text())["edit_target"]
        ctx.restore_edit()
    except (OSError, ValueError, KeyError):
        ctx.edit_backup.unlink(missing_ok=True)
    manifest = gen_tree.ensure(ctx.tree, args.files)
    ctx.edit_target = manifest["edit_target"]
    ctx.tree_specifiers = manifest["specifiers"]
    ensure_second_app(ctx)

    results = {f.name: Result(f) for f in select(figures(), only, args.quick)}
    load_before = load()
    started = datetime.now(timezone.utc)
    try:
        print("warm-up (untimed):", flush=True)
        warm_up(results, ctx)
        print(f"{runs} interleaved rounds:", flush=True)
        rounds(results, ctx, runs)
    finally:
        ctx.restore_edit()
        from set_aside import empty_trash

        empty_trash()
    load_after = load()
    seconds_total = (datetime.now(timezone.utc) - started).total_seconds()

    console.print(console_table(results))
    info = machine()
    vers = versions(node, ctx.prebundle)
    mode = "quick" if args.quick else "full"
    header = [
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; mode: {mode}, {runs} runs per figure"
        + (f" (only {', '.join(only)})" if only else "") + f"; {seconds_total:.0f} s in all.",
        f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"load average (1/5/15 min) before {load_before}, after {load_after}.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()) + ".",
        f"- Bench app: {len(ctx.specifiers)} bare specifiers (`bench/app/specifiers.txt`) from "
        f"{len(json.loads((ctx.app / 'package.json').read_text())['dependencies'])} packages; synthetic tree: "
        f"{manifest['files']} files, {manifest['lines']} lines, {manifest['bytes'] / 1e6:.1f} MB "
        f"(`bench/gen_tree.py`, seed {manifest['seed']}).",
    ]
    for line in header:
        console.print(line, markup=False)
    raw = {"header": header, "results": {n: {"status": r.status, "note": r.note, "runs": [
        {"wall_s": x.wall_s, "cpu_s": x.cpu_s, "peak_rss": x.peak_rss, "phases_ms": x.phases_ms} for x in r.runs]}
        for n, r in results.items()}}
    (ctx.work / "results.json").write_text(json.dumps(raw, indent=2) + "\n")
    if not args.no_write and (not only or args.write):
        write_section(ROOT / "docs" / "benchmarks.md", markdown(results, header))
        print("wrote docs/benchmarks.md", flush=True)
    return 0 if all(r.status != "failed" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
