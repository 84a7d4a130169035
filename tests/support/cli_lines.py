"""Command lines through the console script: the paths a line may name, a small app, and a
probe that says which heavy modules a run loaded (the fast parsers' tests share them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.apps import make_app

PREBUNDLE = Path(sys.executable).parent / "prebundle"
CLICK_ONLY = "import sys\nfrom prebundle.commands import cli\ncli(sys.argv[1:], prog_name='prebundle')\n"
"""The click commands alone, as ``prebundle`` ran every line before the fast parser."""


def make_places(base: Path) -> dict[str, str]:
    """Paths a line may name, in ``base``: a folder, a file, a config file, one that does not exist."""
    (base / "app").mkdir()
    (base / "notes.txt").write_text("not a folder\n")
    (base / "prebundle.config.py").write_text("")
    return {"app": str(base / "app"), "file": str(base / "notes.txt"), "config": str(base / "prebundle.config.py"),
            "missing": str(base / "missing")}


def small_app(root: Path) -> Path:
    """Two small packages and esbuild linked in, ``src/main.js`` importing both."""
    return make_app(root, 'import dayjs from "dayjs"\nimport cx from "classnames"\n'
                          'document.title = cx("app", dayjs().format("YYYY"))\n',
                    packages=("dayjs", "classnames", "esbuild", "@esbuild"), hand_packages=False,
                    lockfile=False, dependencies={"dayjs": "*", "classnames": "*"})


PROBE = """\
import atexit, sys

def loaded():
    print("loaded:", *sorted(name for name in ("asyncio", "click") if name in sys.modules))

atexit.register(loaded)  # registered first, run last: after every exit handler of the run
sys.argv = ["prebundle", *sys.argv[1:]]
from prebundle.cli import main
main()
"""
"""Runs the console script's entry on its arguments, then says which of click and asyncio it loaded."""


def probe(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``prebundle <args>`` through the console script's entry, and the modules of interest it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=180)
    last = done.stdout.splitlines()[-1] if done.stdout else ""
    assert last.startswith("loaded:"), (done.stdout, done.stderr)
    return done, set(last.split()[1:])


def assert_read_as_before(argv: list[str], cwd: Path, code: int, says: str) -> None:
    """``prebundle <argv>`` through the console script gives the output and exit code of the
    click commands alone: ``code``, and one ``Error:`` line starting with ``says`` (or, for exit 0,
    output starting with it)."""
    done = subprocess.run([str(PREBUNDLE), *argv], capture_output=True, text=True, cwd=cwd, timeout=60)
    before = subprocess.run([sys.executable, "-c", CLICK_ONLY, *argv], capture_output=True, text=True, cwd=cwd,
                            timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (before.returncode, before.stdout, before.stderr)
    assert done.returncode == code
    if code:
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith(says), done.stderr
    else:
        assert done.stdout.startswith(says), done.stdout
