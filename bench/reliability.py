"""Reliability figures for docs/reliability.md: kills, concurrent runs, a dead esbuild, a full
disk, bad inputs, fuzzing, and (bench/reliability_load.py, when present) load.

    .venv/bin/python bench/reliability.py [--quick] [--only kills,race,...] [--seed 1] [--no-write]

Sections (``--only`` takes their names): ``kills`` (SIGKILL at random moments of ``prebundle``
runs on the compat app, 100+ kills), ``race`` (two CLI runs and a daemon started at once),
``esbuild`` (the esbuild service killed during a daemon re-optimize), ``disk`` (a full tmpfs
and ``RLIMIT_FSIZE``), ``inputs`` (the bad-input table through the real CLI), ``fuzz-scan``
(``bench/fuzz_scan.py``), ``fuzz-cjs`` (the CommonJS export analysis against Node.js) and
``load`` (``bench/reliability_load.py``). The scenarios themselves live in
``tests/reliability/_*.py``, which the tests run small. Writes everything between
``<!-- bench/reliability.py:start -->`` and ``<!-- bench/reliability.py:end -->`` in
docs/reliability.md (not with ``--only`` or ``--no-write``); work files go to
``bench/.work/reliability/``. Rerun before each release.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "reliability"
DOC = ROOT / "docs" / "reliability.md"
START = "<!-- bench/reliability.py:start -->"
END = "<!-- bench/reliability.py:end -->"
SECTIONS = ("kills", "race", "esbuild", "disk", "inputs", "fuzz-scan", "fuzz-cjs", "load")

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _fresh(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _status(count: int) -> str:
    return "✓" if count == 0 else "✗"


def _list(items: list[str], limit: int = 10) -> str:
    if not items:
        return ""
    shown = "".join(f"\n  - `{item[:300]}`" for item in items[:limit])
    return shown + (f"\n  - … and {len(items) - limit} more" if len(items) > limit else "")


# -- the sections ----------------------------------------------------------------------------------


def kills(args) -> str:
    from tests.reliability._kills import KINDS, KillScenario

    wanted = 20 if args.quick else 100
    work = _fresh("kills")
    before = load()
    scenario = KillScenario(work / "app", work / "machine-cache", seed=args.seed, log=log)
    scenario.figures.measured["force"] = round(scenario.build(), 2)
    metadata = json.loads((scenario.deps / "_metadata.json").read_text())
    size = (f"{len(metadata['optimized'])} optimized ids, {len(metadata['prebundle']['packages'])} packages, "
            f"{len(list(scenario.deps.iterdir()))} files")
    figures = scenario.run(wanted * 3, until_kills=wanted)
    after = load()
    f = figures
    rows = "\n".join(f"| `{kind}` | {f.measured.get(kind, 0):.2f} s | {f.by_kind.get(kind, 0)} |" for kind in KINDS)
    return f"""## SIGKILL at random moments

A copy of the 55-package compat app (fixtures/compat: {size};
`node_modules` a folder of per-package links plus a copy of `.package-lock.json`). Four kinds of
run, in turn: `prebundle --force`; a package's `integrity` changed in
`node_modules/.package-lock.json` (that package rebuilds); a new import of a lodash or validator
subpath not imported yet (its package rebuilds); the last added import removed again. Each run
is killed (SIGKILL, the `prebundle` process only, as `kill -9` would) after a delay drawn from a
seeded RNG (seed {args.seed}) uniformly over that kind's measured length, Python start-up
included; a delay past the end of the run kills nothing (a miss, its state is checked too). After
each kill, what a server would serve is checked (`tests/reliability/_common.served_problems`):
every URL in `deps/importmap.json` names an existing, non-empty file whose first 8 hex of SHA-256
equal its `?v=` and its `fileHash` in `_metadata.json`; import map, `_metadata.json` and
`manifest.json` describe the same ids, files and chunks; every relative import inside a served
file exists; the sizes and hashes `_metadata.json` records hold; nothing else is in the folder (no
staging leftover, no temp file). Then a plain `prebundle` must repair: exit 0, the same checks,
the new import in the import map, no `deps_temp_*`/`deps_old_*` beside the folder.

| kind | measured length | kills |
|---|---|---|
{rows}

| figure | value | goal |
|---|---|---|
| kills (SIGKILL of a running `prebundle`) | {f.kills} | ≥ {wanted} |
| delays past the end of the run (no kill; state checked too) | {f.missed} | |
| states checked | {f.states_checked} | |
| bad states served | {len(f.bad_states)} | 0 {_status(len(f.bad_states))} |
| repairs (next run exit 0 and consistent) | {f.repairs} of {f.states_checked} | all {_status(len(f.failed_repairs))} |
| esbuild services alive 2 s after their `prebundle` was killed | {f.orphans} | 0 |

{f.seconds / 60:.1f} min; load average (1/5/15 min) before {before}, after {after}.{_list(f.bad_states + f.failed_repairs)}
"""


def race(args) -> str:
    from tests.reliability._common import cli_env, compat_root
    from tests.reliability._concurrency import race as run_race

    rounds = 2 if args.quick else 5
    work = _fresh("race")
    before = load()
    started = time.perf_counter()
    root = compat_root(work / "app")
    figures = run_race(root, cli_env(work / "machine-cache"), rounds=rounds, log=log)
    after = load()
    outcomes = ", ".join(f"{name}: {count}" for name, count in sorted(figures.outcomes.items()))
    return f"""## Two CLI runs and a daemon at once

The compat app, {rounds} rounds, each starting `prebundle`, `prebundle daemon --port 0` and
`prebundle --force` at the same moment (the first round cold). A command that finds the output
lock taken says `waiting for another prebundle run (pid N) to finish` and waits; one that finds
the daemon serving the project says `a prebundle daemon (pid N, URL) serves this project: running
through it` and asks the daemon to run. Checked: every command exits 0 and prints nothing else
than those lines, warnings and its summary; no command that waited for the daemon's own run then
replaced the daemon's output itself; the daemon ends `ready`, serving the very import map on
disk; the deps dir passes the consistency check; the daemon stops cleanly on SIGTERM (exit 0, no
traceback in its log).

| figure | value | goal |
|---|---|---|
| rounds | {figures.rounds} | |
| commands | {figures.commands} ({outcomes}) | |
| failures | {len(figures.failures)} | 0 {_status(len(figures.failures))} |

{(time.perf_counter() - started) / 60:.1f} min; load average before {before}, after {after}.{_list(figures.failures)}
"""


def esbuild(args) -> str:
    from tests.reliability._common import cli_env
    from tests.reliability._esbuild_kill import esbuild_kill_rounds

    rounds = 2 if args.quick else 5
    work = _fresh("esbuild")
    before = load()
    started = time.perf_counter()
    f = esbuild_kill_rounds(work, cli_env(work / "machine-cache"), rounds=rounds, log=log)
    after = load()
    messages = Counter(f.messages)
    shown = "".join(f"\n- ({count}×) `{message}`" for message, count in messages.items())
    return f"""## The esbuild service killed during a re-optimize

A daemon over a small app (react, classnames), {rounds} rounds. A source file gains
`import {{ createRoot }} from 'react-dom/client'`; a config plugin's `resolve_id` holds the build
of react-dom at its `scheduler` import (so the kill lands while esbuild is building, every time),
and the daemon's esbuild service is killed with SIGKILL. Then the daemon must end the run in state
`error` with an `error` event on `/@prebundle/events`, keep serving the same import map with every
URL answering 200 with the bytes its `?v=` names, and the next change (`import moment`) must build
on a new service: state `ready`, a `reload` event, both new ids served.

| figure | value | goal |
|---|---|---|
| esbuild services killed mid-build | {f.kills} | |
| failure reported (state `error` + `error` event) | {f.error_reported} | {f.kills} {_status(f.kills - f.error_reported)} |
| last good output kept serving | {f.kept_serving} | {f.kills} {_status(f.kills - f.kept_serving)} |
| next change built on a new service | {f.recovered} | {f.kills} {_status(f.kills - f.recovered)} |

The error the daemon reported:{shown}

{(time.perf_counter() - started) / 60:.1f} min; load average before {before}, after {after}.{_list(f.failures)}
"""


def disk(args) -> str:
    from tests.reliability import _disk_full as d
    from tests.reliability._common import cli_env, run_cli, small_app

    work = _fresh("disk")
    env = cli_env(work / "machine-cache")
    template = small_app(work / "template")
    done = run_cli([], cwd=template, env=env)
    assert done.code == 0, done.output
    need = d.measure_need(template, work, env)
    limits = [1_000, 20_000, 60_000, 100_000_000] if args.quick else \
        [0, 1_000, 5_000, 20_000, 40_000, 60_000, 100_000, 200_000, 1_000_000, 100_000_000]
    fsize = d.fsize_runs(template, work / "fsize", env, limits)
    steps = 4 if args.quick else 16
    free = sorted({int(need * 1.5 * k / steps) for k in range(steps + 1)} | {8 * need})
    reason = d.tmpfs_available()
    tmpfs = d.tmpfs_runs(template, work / "tmpfs", env, free) if reason is None else None

    def rows(figures) -> str:
        messages = "".join(f"<br>({n}×) `{m}`" for m, n in figures.messages.items())
        return (f"{figures.runs} | {figures.succeeded} | {figures.failed_cleanly} | {len(figures.bad)} "
                f"{_status(len(figures.bad))} | {messages}")

    tmpfs_row = (f"| tmpfs, free bytes {', '.join(f'{x:,}' for x in free)} | {rows(tmpfs)} |" if tmpfs is not None
                 else f"| tmpfs | not run: {reason} | | | | |")
    bad = (tmpfs.bad if tmpfs else []) + fsize.bad
    return f"""## A full disk while committing

The small app (react, classnames, dayjs) with a good deps dir. Each size below runs twice: once
`prebundle --force` and once with a new import (`moment`). **tmpfs**: the app (its `node_modules`
entries are links) and the machine-wide cache on a 64 MB tmpfs mounted in a mount namespace of
the run's own (`unshare -m`), filled up to leave the given number of bytes free; a `--force` run
with room writes {need:,} bytes (deps dir, scan and interop caches, machine-wide cache).
**RLIMIT_FSIZE**: the same runs with `ulimit -f` set to the given size (a bigger write fails with
`EFBIG`). A run must succeed with a consistent output, or fail with exit 1 and one `error:` line
(no traceback, nothing else but warnings) with the previous deps dir byte for byte as it was and
no staging folder left.

| how | runs | succeeded | failed in one line, output kept | bad | the error |
|---|---|---|---|---|---|
{tmpfs_row}
| RLIMIT_FSIZE {', '.join(f'{x:,}' for x in limits)} bytes | {rows(fsize)} |
{_list(bad)}
"""


def inputs(args) -> str:
    from tests.reliability._bad_inputs import CASES, run_case
    from tests.reliability._common import cli_env, run_cli, small_app

    work = _fresh("inputs")
    env = cli_env(work / "machine-cache")
    template = small_app(work / "template")
    done = run_cli([], cwd=template, env=env)
    assert done.code == 0, done.output
    cases = [case for case in CASES if not (args.quick and case.slow)]
    rows, bad = [], []
    for case in cases:
        row = run_case(case, template, work / "case", env)
        log(f"input {row.kind}: exit {row.code} {'OK' if not row.problems else row.problems}")
        line = row.first_line.replace("|", "\\|")
        line = line if len(line) <= 170 else line[:169] + "…"
        rows.append(f"| {row.kind} | {row.code} | `{line}` | {'✓' if not row.problems else '✗ ' + '; '.join(row.problems)} "
                    f"| {row.seconds:.1f} s |")
        if row.problems:
            bad.append(f"{row.kind}: {'; '.join(row.problems)}")
    table = "\n".join(rows)
    return f"""## Bad inputs

Each row starts from a copy of the small app with a good deps dir, breaks one thing and runs the
real `prebundle` (`<root>` is the app's folder). Checked for every row: the documented exit code
(0 with a warning, 1 for errors, 2 for usage errors, as click reports them: `Usage:` first, the
`Error:` line last), no traceback, the first `error:`/`warning:`/`Error:` line names the file and
the cause (the words `tests/reliability/_bad_inputs.py` expects), and the deps dir afterwards is
the previous one byte for byte when the run fails, or passes the consistency check when it
succeeds. Rows without a message are odd but valid inputs that must just work.

| kind | exit | first line of output | checks | time |
|---|---|---|---|---|
{table}

{len(cases)} kinds, {len(bad)} failing {_status(len(bad))}.{_list(bad)}
"""


def fuzz_scan(args) -> str:
    count = 1_000 if args.quick else 10_000
    before = load()
    done = subprocess.run([sys.executable, str(BENCH / "fuzz_scan.py"), "--inputs", str(count), "--seed",
                           str(args.seed)], capture_output=True, text=True, timeout=7200)
    line = next((l for l in done.stdout.splitlines() if l.startswith("fuzz_scan:")), done.stdout.strip()[-200:])
    match = re.search(r"(\d+) inputs, (\d+) crashes, ([\d.]+) s", line)
    inputs, crashes, seconds = (int(match[1]), int(match[2]), float(match[3])) if match else (0, -1, 0.0)
    errors = [l for l in done.stderr.splitlines() if l.startswith("crash:") or "Error" in l][:5]
    return f"""## Fuzz: the scanner

`bench/fuzz_scan.py --inputs {count} --seed {args.seed}`: random bytes, truncated, mutated and
spliced real JS/TS files, binary data, huge lines, unreadable files and symlink loops, scanned in
trees of 100 files. A crash is an exception out of `scan()` or a warning saying the extractor
itself raised.

| figure | value | goal |
|---|---|---|
| inputs | {inputs:,} | |
| crashes | {crashes} | 0 {_status(crashes)} |

{seconds:.0f} s; load average before {before}, after {load()}.{_list(errors)}
"""


def fuzz_cjs(args) -> str:
    from tests.reliability._cjs_fuzz import PER_FILE_SECONDS, run_fuzz

    count = 1_000 if args.quick else 5_000
    work = _fresh("fuzz-cjs")
    before = load()
    f = run_fuzz(work, count, seed=args.seed)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return f"""## Fuzz: the CommonJS export analysis

{count:,} generated packages (seed {args.seed}; {f.files:,} files with the ones they reexport), each
analysed by `prebundle.interop.analyze(entry, mode="development")` with the optimizer's `require`
resolution, and by Node.js {node} in batches: `Object.keys(await import(file))` (for CommonJS,
exactly cjs-module-lexer's names, reexports followed) and `Object.keys(require(file))` (the names
the module really has, `NODE_ENV=development`). Both run under a watchdog: a file without an
answer in {PER_FILE_SECONDS:.0f} s is a hang. The modules come from a grammar of real export shapes:
`exports.x =` / `module.exports.x =` / `exports['x'] =` (identifiers, reserved words, `default`,
`__proto__`, `then`, non-identifier and empty strings, non-ASCII, `\\x61`/`\\u0061` escapes in
string keys), `Object.defineProperty` on `exports` or `module.exports` with `value`, plain getters and getters with side effects, `__esModule` in three spellings, object
literals with shorthand, methods, accessors and `...require()` spreads, chained assignments,
`module.exports = require()`, TypeScript's `__exportStar` and `__export`, Babel's
`Object.keys(_x).forEach` loop in both forms, UMD wrappers, `module.exports = factory()`,
`NODE_ENV` branches as `if`/`else` and as a ternary of two `require()`s (React's `index.js`),
JSON reexports, `.cjs` and extensionless requires, decoys in comments, strings, regexps and
templates, `exports` shadowed by a parameter; 15% are then mutated (deletions, duplications,
stray tokens, flipped characters, truncation) and 1% start with 3,000 nested brackets.

The check: no crash, no hang, and prebundle's names ⊇ Node's named exports; where prebundle ran
the module in its sandbox, also ⊇ the names the module really has in Node.

| figure | value | goal |
|---|---|---|
| modules | {count:,} | ≥ 5,000 in a full run |
| crashes | {len(f.crashes)} | 0 {_status(len(f.crashes))} |
| hangs | {len(f.hangs)} | 0 {_status(len(f.hangs))} |
| mismatches (a name Node has that prebundle lacks) | {len(f.mismatches)} | 0 {_status(len(f.mismatches))} |
| modules where Node's only extra name is `get`, cjs-module-lexer's misreading of an accessor (see "Known differences") | {len(f.lexer_get)} | documented |
| modules whose named exports were compared | {f.checked_named:,} | |
| modules prebundle evaluated, compared with their real keys | {f.checked_runtime:,} | |
| modules Node rejected (syntax errors from mutations, throwing code): crash and hang checked only | {f.node_rejected:,} | |
| modules where Node gave no answer (they export `then`: `await import()` takes the namespace for a promise) | {len(f.node_hangs)} | |
| modules missing only names of a `NODE_ENV === "production"` branch (by design in development) | {f.by_design:,} | |
| modules where prebundle gives more names than Node (allowed) | {f.extra:,} | |

{f.seconds:.0f} s; load average before {before}, after {load()}.{_list(f.crashes + f.hangs + f.mismatches)}
"""


def load_section(args) -> str:
    path = BENCH / "reliability_load.py"
    if not path.is_file():
        return ""
    spec = importlib.util.spec_from_file_location("reliability_load", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability_load"] = module
    spec.loader.exec_module(module)
    return module.run(quick=args.quick)


RUNNERS = {"kills": kills, "race": race, "esbuild": esbuild, "disk": disk, "inputs": inputs,
           "fuzz-scan": fuzz_scan, "fuzz-cjs": fuzz_cjs, "load": load_section}


# -- the document ----------------------------------------------------------------------------------


def header(args, seconds: float, loads: tuple[str, str]) -> str:
    model, memory = "?", "?"
    try:
        model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        memory = f"{kb / 2**20:.1f} GB"
    except (OSError, StopIteration, ValueError):
        pass

    def out(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    from importlib import metadata

    from prebundle import __version__
    from prebundle.esbuild import PINNED_VERSION

    quickjs = metadata.version("quickjs") if importlib.util.find_spec("quickjs") else "?"
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"_Written by `python bench/reliability.py{' --quick' if args.quick else ''}`; everything between "
            "the markers is replaced on each run._\n\n"
            f"- Date: {date}; seed {args.seed}; {seconds / 60:.0f} min in all.\n"
            f"- Machine: {os.cpu_count()} cores ({model}), {memory} RAM, {platform.system()} {platform.release()}; "
            f"load average (1/5/15 min) before {loads[0]}, after {loads[1]} (shared machine, other jobs running).\n"
            f"- Versions: python {platform.python_version()}, node {out(['node', '--version'])}, esbuild "
            f"{PINNED_VERSION}, quickjs {quickjs}, prebundle {__version__} (git {out(['git', 'rev-parse', '--short', 'HEAD'])}"
            f"{', with uncommitted changes' if out(['git', 'status', '--porcelain', '--untracked-files=no']) else ''}).\n")


def write(body: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Reliability\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip() + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(f"{before}{START}\n{body.strip()}\n{END}{after}")


def ensure_venv() -> None:
    python = ROOT / ".venv" / "bin" / "python"
    if python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def main(argv: list[str] | None = None) -> int:
    ensure_venv()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (20 kills, 1,000 fuzz inputs, ...)")
    parser.add_argument("--only", default="", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not write docs/reliability.md")
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = [name for name in only if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    os.chdir(ROOT)  # the scenarios import tests.reliability
    WORK.mkdir(parents=True, exist_ok=True)
    started, load_before = time.perf_counter(), load()
    parts = []
    for name in only or SECTIONS:
        log(f"section {name} (load {load()})")
        try:
            parts.append(RUNNERS[name](args))
        except Exception as error:  # noqa: BLE001 - one broken section must not lose the others
            import traceback

            traceback.print_exc()
            parts.append(f"## {name}\n\nThe section failed to run: `{type(error).__name__}: {error}`\n")
        print(parts[-1], flush=True)
    body = header(args, time.perf_counter() - started, (load_before, load())) + "\n" + "\n".join(p for p in parts if p)
    if only or args.no_write:
        (WORK / "last.md").write_text(body)
        log(f"not written to {DOC.relative_to(ROOT)} (--only/--no-write); see {WORK / 'last.md'}")
    else:
        write(body)
        log(f"wrote {DOC.relative_to(ROOT)}")
    failing = sum(1 for p in parts if "✗" in p or "section failed" in p)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
