"""The figures ``bench/run.py`` measures: what each runs, what it prepares, what it is held to.

A figure is one command run several times. Its *value* per run is the wall time of the whole
command, or for ``vite8-scan`` the milliseconds on Vite's own ``Scan completed in`` line. Goals
are ratios against another figure measured in the same run (rounds interleave every figure:
A B C … A B C …), or absolute limits.

The ``prebundle-*`` figures skip themselves with "not available yet" while the command they run
fails, so the harness picks them up as soon as the features land. If prebundle moves its cache,
update :func:`prebundle_cache_dirs`: it is what "cold" deletes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from measure import Run
from set_aside import set_aside

__all__ = ["Context", "Figure", "Goal", "figures", "prebundle_cache_dirs"]


@dataclass
class Context:
    """Paths and tools shared by every figure."""

    root: Path
    """The repository."""
    node: str
    prebundle: list[str]
    """How to start prebundle: ``.venv/bin/prebundle``, or ``python -m prebundle`` as a fallback."""
    specifiers: list[str]
    tree_files: int
    tree_specifiers: list[str] = field(default_factory=list)
    """The bare specifiers the generator put in the tree (what a scan must find)."""
    edit_target: str = ""
    """The tree's file edited by ``prebundle-scan-one-change`` (from the tree's manifest)."""
    edits: int = 0
    edit_original: bytes | None = None

    @property
    def bench(self) -> Path:
        return self.root / "bench"

    @property
    def work(self) -> Path:
        return self.bench / ".work"

    @property
    def app(self) -> Path:
        return self.bench / "app"

    @property
    def tree(self) -> Path:
        return self.work / "tree"

    @property
    def second(self) -> Path:
        return self.work / "second-app"

    def sized_tree(self, files: int) -> Path:
        """A generated tree of realistic module sizes (``gen_tree.py --kb 8``: ~7.7 KB on average)."""
        return self.work / f"tree-8k-{files}"

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    @property
    def edit_backup(self) -> Path:
        """The edit target's original bytes while a run edits it (survives a killed run)."""
        return self.work / "edit-original"

    def restore_edit(self) -> None:
        if self.edit_original is None and self.edit_backup.exists():
            self.edit_original = self.edit_backup.read_bytes()
        if self.edit_original is not None:
            (self.tree / self.edit_target).write_bytes(self.edit_original)
            self.edit_original = None
        self.edit_backup.unlink(missing_ok=True)


@dataclass(frozen=True)
class Goal:
    """``value <= limit * ref`` (a ratio), or ``value <= limit`` seconds/bytes when ``ref`` is None."""

    limit: float
    ref: str | None = None
    memory: bool = False
    """Compares peak memory rather than the figure's value."""

    def describe(self) -> str:
        what = "peak" if self.memory else "time"
        if self.ref:
            return f"{what} ≤ {self.limit:g} × {self.ref}"
        return f"{what} ≤ {self.limit / 1e6:g} MB" if self.memory else f"{what} ≤ {self.limit:g} s"


@dataclass
class Figure:
    name: str
    what: str
    """One sentence: what the figure measures, exactly."""
    argv: Callable[[Context], list[str]]
    cwd: Callable[[Context], Path] = lambda ctx: ctx.root
    env: Callable[[Context], dict[str, str]] = lambda ctx: {}
    prime: Callable[[Context], list[str]] | None = None
    """A command run once, untimed, before the warm-up (to make a cache valid)."""
    prepare: Callable[[Context], None] = lambda ctx: None
    """Runs before every timed run, untimed."""
    metric: str = "wall"
    """``wall`` or the name of a phase line (``scan``) whose milliseconds are the value."""
    ref: str | None = None
    """The figure the "ratio" column divides by (informational)."""
    goals: tuple[Goal, ...] = ()
    product: bool = False
    """A prebundle figure: a failing command means "not available yet", not an error."""
    quick: bool = True
    """Part of ``--quick``."""
    default: bool = True
    """Part of a plain run (otherwise only with ``--only``)."""
    check: Callable[[Context, Run], str | None] = lambda ctx, run: None
    """After the warm-up: a note if the output looks wrong (say, a dep missing)."""
    tags: tuple[str, ...] = field(default_factory=tuple)


def prebundle_cache_dirs(root: Path) -> list[Path]:
    """Every folder prebundle caches in for the project at ``root`` (deleted for "cold")."""
    return [root / "node_modules" / ".vite"]


def _rm(*paths: Path) -> None:
    """The last run's output out of the way (``set_aside``: moved, deleted after the rounds)."""
    set_aside(*paths)


# -- peers -------------------------------------------------------------------------------------

def _esbuild_argv(ctx: Context) -> list[str]:
    entries = []
    for spec in ctx.specifiers:
        name = "".join(c if c.isalnum() or c == "-" else "_" for c in spec)
        entries.append(f"{name}={spec}")
    return [
        str(ctx.bench / "peers/esbuild/node_modules/esbuild/bin/esbuild"),
        *entries,
        "--bundle", "--format=esm", "--splitting", "--platform=browser", "--sourcemap",
        "--define:process.env.NODE_ENV=\"development\"",
        f"--outdir={ctx.work / 'out' / 'esbuild-floor'}", "--log-level=warning",
    ]


def _vite(version: str, root: Callable[[Context], Path], cache: str, force: bool) -> Callable[[Context], list[str]]:
    def argv(ctx: Context) -> list[str]:
        peer = ctx.bench / "peers" / version
        return [ctx.node, ctx.rel(peer / "node_modules/vite/bin/vite.js"), "optimize",
                *(["--force"] if force else []),
                "--config", ctx.rel(peer / "vite.config.mjs"), ctx.rel(root(ctx))]
    return argv


def _vite_env(cache: str) -> Callable[[Context], dict[str, str]]:
    return lambda ctx: {"DEBUG": "vite:deps", "BENCH_VITE_CACHE_DIR": str(ctx.work / "cache" / cache)}


def _vite_check(cache: str) -> Callable[[Context, Run], str | None]:
    def check(ctx: Context, run: Run) -> str | None:
        import json

        try:
            meta = json.loads((ctx.work / "cache" / cache / "deps" / "_metadata.json").read_text())
        except (OSError, ValueError) as error:
            return f"no _metadata.json ({error})"
        found = len(meta.get("optimized", {}))
        expected = len(ctx.specifiers)
        return None if found == expected else f"optimized {found} deps, expected {expected}"
    return check


def _esbuild_check(ctx: Context, run: Run) -> str | None:
    out = ctx.work / "out" / "esbuild-floor"
    missing = [s for s in ctx.specifiers
               if not (out / ("".join(c if c.isalnum() or c == "-" else "_" for c in s) + ".js")).exists()]
    return f"no output for {', '.join(missing)}" if missing else None


def _app(ctx: Context) -> Path:
    return ctx.app


def _tree(ctx: Context) -> Path:
    return ctx.tree


def _sized(files: int) -> Callable[[Context], Path]:
    return lambda ctx: ctx.sized_tree(files)


def _make_sized_tree(files: int) -> Callable[[Context], list[str]]:
    """The untimed command that generates (or keeps) a realistic-size tree."""
    import sys

    return lambda ctx: [sys.executable, str(ctx.bench / "gen_tree.py"), str(ctx.sized_tree(files)),
                        "--files", str(files), "--kb", "8", "--ensure"]


def _compiled(ctx: Context) -> None:
    """Byte-compile prebundle, as ``pip install`` does: with ``PYTHONDONTWRITEBYTECODE`` set (it
    is, on the bench machine) an editable install would recompile every module it imports on
    every run, which no user's install does. Quick when nothing changed."""
    import compileall

    compileall.compile_dir(str(ctx.root / "prebundle"), quiet=2)


# -- prebundle ---------------------------------------------------------------------------------

def _prebundle(*args: str | Callable[[Context], str]) -> Callable[[Context], list[str]]:
    return lambda ctx: [*ctx.prebundle, *(a(ctx) if callable(a) else a for a in args)]


def _prebundle_env(ctx: Context) -> dict[str, str]:
    """The bench app does not depend on esbuild: prebundle uses the floor's binary (same version)."""
    return {"ESBUILD_BINARY_PATH": str(ctx.bench / "peers/esbuild/node_modules/esbuild/bin/esbuild")}


def _edit_one_file(ctx: Context) -> None:
    path = ctx.tree / ctx.edit_target
    if ctx.edit_original is None:
        ctx.edit_original = path.read_bytes()
        ctx.edit_backup.write_bytes(ctx.edit_original)
    ctx.edits += 1
    path.write_bytes(ctx.edit_original + f"\nexport const benchEdit = {ctx.edits};\n".encode())


def _scan_check(ctx: Context, run: Run) -> str | None:
    """The scan must find exactly the specifiers the generator put in, and no decoy."""
    import json

    try:
        report = json.loads(run.stdout)
        found = set(report["deps"])
        missing = set(report.get("missing", {}))
    except (ValueError, KeyError, TypeError) as error:
        return f"could not read the --json report ({error})"
    expected = set(ctx.tree_specifiers)
    problems = []
    if expected - found:
        problems.append(f"not found: {', '.join(sorted(expected - found))}")
    if found - expected:
        problems.append(f"extra: {', '.join(sorted(found - expected))}")
    if missing:
        problems.append(f"reported missing: {', '.join(sorted(missing))}")
    return "; ".join(problems) or None


def figures() -> list[Figure]:
    """Every figure, in the order a round runs them."""
    app = lambda ctx: ctx.rel(ctx.app)  # noqa: E731
    tree = lambda ctx: ctx.rel(ctx.tree)  # noqa: E731
    second = lambda ctx: ctx.rel(ctx.second)  # noqa: E731
    return [
        Figure(
            "esbuild-floor",
            "The esbuild CLI bundling the bench app's specifiers in one build (one entry point per "
            "specifier, --bundle --format=esm --splitting --platform=browser --sourcemap, NODE_ENV "
            "development; source maps as prebundle and Vite 8 write them for deps): the floor. Wall "
            "time of the CLI.",
            _esbuild_argv, cwd=_app, prepare=lambda ctx: _rm(ctx.work / "out" / "esbuild-floor"),
            check=_esbuild_check,
        ),
        Figure(
            "prebundle-force",
            "`prebundle bench/app --force`: cold optimize of the bench app. Wall time.",
            _prebundle(app, "--force"), product=True, env=_prebundle_env, ref="esbuild-floor",
            goals=(Goal(1.15, "esbuild-floor"), Goal(0.6, "vite8-optimize-force"),
                   Goal(1.0, "esbuild-floor", memory=True)),
        ),
        Figure(
            "vite7-optimize-force",
            "Vite 7 `vite optimize --force` on the bench app (scan + esbuild bundle). Wall time from "
            "the outside; phases from its DEBUG=vite:deps lines.",
            _vite("vite7", _app, "vite7-app-force", True), env=_vite_env("vite7-app-force"),
            ref="esbuild-floor", check=_vite_check("vite7-app-force"),
        ),
        Figure(
            "prebundle-second-project",
            "`prebundle bench/.work/second-app`: a second project (own node_modules, hard-linked copy, "
            "same package versions, no local cache) right after the bench app was optimized. Wall time.",
            _prebundle(second), product=True, env=_prebundle_env, ref="esbuild-floor",
            prepare=lambda ctx: _rm(*prebundle_cache_dirs(ctx.second)),
            prime=_prebundle(app, "--force"),
            goals=(Goal(0.15, "esbuild-floor"),),
        ),
        Figure(
            "vite7-optimize-warm",
            "Vite 7 `vite optimize` (no --force) on the bench app with a valid cache: it checks the "
            "hash and skips. Wall time.",
            _vite("vite7", _app, "vite7-app-warm", False), env=_vite_env("vite7-app-warm"),
            prime=_vite("vite7", _app, "vite7-app-warm", True),
        ),
        Figure(
            "vite8-optimize-warm",
            "Vite 8 `vite optimize` (no --force) on the bench app with a valid cache: it checks the "
            "hash and skips. Wall time.",
            _vite("vite8", _app, "vite8-app-warm", False), env=_vite_env("vite8-app-warm"),
            prime=_vite("vite8", _app, "vite8-app-warm", True),
        ),
        Figure(
            "prebundle-noop",
            "`prebundle bench/app` with a valid cache (nothing to do). Wall time.",
            _prebundle(app), product=True, env=_prebundle_env, prime=_prebundle(app, "--force"),
            prepare=_compiled, ref="vite8-optimize-warm",
            goals=(Goal(0.6, "vite8-optimize-warm"),),
        ),
        Figure(
            "vite8-optimize-force",
            "Vite 8 `vite optimize --force` on the bench app (Rolldown scan + bundle). Wall time; "
            "phases from DEBUG=vite:deps.",
            _vite("vite8", _app, "vite8-app-force", True), env=_vite_env("vite8-app-force"),
            ref="esbuild-floor", quick=False, check=_vite_check("vite8-app-force"),
        ),
        Figure(
            "vite8-scan",
            "Vite 8 `vite optimize --force` with the generated tree as root; the value is the "
            "milliseconds on its `Scan completed in` DEBUG line (the scan phase alone; the wall "
            "time and the peak also cover bundling the found deps).",
            _vite("vite8", _tree, "vite8-tree", True), env=_vite_env("vite8-tree"),
            metric="scan", check=_vite_check("vite8-tree"),
        ),
        Figure(
            "vite7-scan",
            "As vite8-scan, with Vite 7 (esbuild scanner). Only with --only: it takes ~20 s a run.",
            _vite("vite7", _tree, "vite7-tree", True), env=_vite_env("vite7-tree"),
            metric="scan", default=False, quick=False, check=_vite_check("vite7-tree"),
        ),
        Figure(
            "prebundle-scan-cold",
            "`prebundle scan bench/.work/tree --json` with prebundle's cache deleted first. Wall time "
            "(Python start-up included).",
            _prebundle("scan", tree, "--json"), product=True, env=_prebundle_env,
            prepare=lambda ctx: (_compiled(ctx), _rm(*prebundle_cache_dirs(ctx.tree))),
            ref="vite8-scan", check=_scan_check, goals=(Goal(1.0, "vite8-scan"), Goal(400e6, memory=True)),
        ),
        Figure(
            "prebundle-scan-warm",
            "`prebundle scan bench/.work/tree --json` again, nothing changed since the last scan. Wall time.",
            _prebundle("scan", tree, "--json"), product=True, env=_prebundle_env, prime=_prebundle("scan", tree, "--json"),
            prepare=_compiled, check=_scan_check, goals=(Goal(0.2),),
        ),
        Figure(
            "prebundle-scan-one-change",
            "`prebundle scan bench/.work/tree --json` after one file's content changed (a line "
            "appended to the tree's edit target). Wall time.",
            _prebundle("scan", tree, "--json"), product=True, env=_prebundle_env, prime=_prebundle("scan", tree, "--json"),
            prepare=lambda ctx: (_compiled(ctx), _edit_one_file(ctx)), check=_scan_check, goals=(Goal(0.25),),
        ),
        *_sized_scan_figures(2000),
        *_sized_scan_figures(5000, quick=False),
    ]


def _sized_scan_figures(files: int, *, quick: bool = True) -> list[Figure]:
    """Vite 8's scan phase and prebundle's cold scan on a tree of ``files`` realistic-size modules."""
    name = f"8k-{files}"
    return [
        Figure(
            f"vite8-scan-{name}",
            f"As vite8-scan, on bench/.work/tree-{name}: {files} modules of ~7.7 KB on average "
            f"(`gen_tree.py --files {files} --kb 8`).",
            _vite("vite8", _sized(files), f"vite8-tree-{name}", True), env=_vite_env(f"vite8-tree-{name}"),
            prime=_make_sized_tree(files), metric="scan", check=_vite_check(f"vite8-tree-{name}"), quick=quick,
        ),
        Figure(
            f"prebundle-scan-cold-{name}",
            f"`prebundle scan bench/.work/tree-{name} --json` with prebundle's cache deleted first. Wall "
            "time (Python start-up included).",
            _prebundle("scan", lambda ctx: ctx.rel(ctx.sized_tree(files)), "--json"), product=True,
            env=_prebundle_env, prime=_make_sized_tree(files),
            prepare=lambda ctx: (_compiled(ctx), _rm(*prebundle_cache_dirs(ctx.sized_tree(files)))),
            ref=f"vite8-scan-{name}", check=_scan_check, quick=quick,
            goals=(Goal(0.5, f"vite8-scan-{name}"), Goal(400e6, memory=True)),
        ),
    ]
