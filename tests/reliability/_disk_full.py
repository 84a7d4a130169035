"""A full disk while a run commits, two ways.

* ``tmpfs``: the project (node_modules linked, a good deps dir) and the machine-wide cache on a
  small tmpfs mounted in a mount namespace of its own (``unshare -m``: the mount vanishes with
  the process), filled so that only a given number of bytes is free, then ``prebundle --force``
  or a run with a new import. Needs root and mount namespaces; :func:`tmpfs_available` says.
* ``fsize``: the same runs under ``RLIMIT_FSIZE`` (``ulimit -f``), so any file written beyond
  the limit fails with ``EFBIG``; works anywhere.

Each run must either succeed (a consistent new output) or fail in one line naming the cause,
without a traceback, with the previous deps dir byte for byte as it was.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ._common import REPO, deps_snapshot, run_cli, served_problems

__all__ = ["DiskFullFigures", "fsize_runs", "tmpfs_available", "tmpfs_runs"]

NEW_IMPORT = "import moment from 'moment'\n"


@dataclass
class DiskFullFigures:
    runs: int = 0
    succeeded: int = 0
    """Enough room after all: exit 0 and a consistent new output."""
    failed_cleanly: int = 0
    """Exit 1, one ``error:`` line naming the cause, no traceback, the previous output intact."""
    bad: list[str] = field(default_factory=list)
    messages: dict[str, int] = field(default_factory=dict)
    """Distinct first error lines (paths shortened) and how often."""

    def add(self, outcome: dict) -> None:
        self.runs += 1
        if outcome["problems"]:
            self.bad.append(f"{outcome['what']}: {'; '.join(outcome['problems'][:3])}")
        elif outcome["code"] == 0:
            self.succeeded += 1
        else:
            self.failed_cleanly += 1
            message = outcome["message"]
            self.messages[message] = self.messages.get(message, 0) + 1


def judge(what: str, done, before: dict[str, str], deps: Path, cache_dir: Path) -> dict:
    """What a user sees of one run on a full disk, and what is wrong with it."""
    problems = []
    errors = [line for line in done.lines if line.startswith("error:")]
    others = [line for line in done.lines if not line.startswith(("error:", "warning:", "optimized ",
                                                                  "dependencies up to date"))]
    if done.traceback:
        problems.append("traceback")
    if "internal error" in done.output:
        problems.append("an internal error: " + next(l for l in done.lines if "internal error" in l)[:200])
    if done.code == 0:
        problems += served_problems(deps)
    else:
        if done.code != 1:
            problems.append(f"exit {done.code}")
        if len(errors) != 1:
            problems.append(f"{len(errors)} error lines: {errors[:3]}")
        if others:
            problems.append(f"other output: {others[:3]}")
        if deps_snapshot(deps) != before:
            problems.append("the previous deps dir changed")
        problems += served_problems(deps)
    leftovers = [p.name for p in cache_dir.iterdir() if p.name.startswith(("deps_temp_", "deps_old_"))]
    if leftovers:
        problems.append(f"staging leftovers {leftovers}")
    message = errors[0] if errors else ""
    for path in (str(deps.parent.parent.parent), "/tmp"):
        message = message.replace(path, "…")
    return {"what": what, "code": done.code, "problems": problems, "message": message[:200]}


# -- RLIMIT_FSIZE --------------------------------------------------------------------------------


def fsize_runs(template: Path, work: Path, env: dict[str, str], limits: list[int]) -> DiskFullFigures:
    """For each limit (bytes): a copy of ``template`` (an app with a good deps dir), then
    ``prebundle --force`` and a run with a new import, each with ``RLIMIT_FSIZE`` = limit."""
    figures = DiskFullFigures()
    for limit in limits:
        for kind in ("force", "new import"):
            root = work / f"fsize-{limit}-{kind.replace(' ', '-')}"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(template, root, symlinks=True)
            args = ["--force"] if kind == "force" else []
            if kind == "new import":
                _append(root, NEW_IMPORT)
            deps = root / "node_modules" / ".vite" / "deps"
            before = deps_snapshot(deps)
            run_env = {**env, "PREBUNDLE_CACHE_DIR": str(root.parent / f"{root.name}-cache")}
            done = run_cli(args, cwd=root, env=run_env, timeout=300, preexec_fn=_limit_file_size(limit))
            figures.add(judge(f"fsize {limit} B, {kind}", done, before, deps, deps.parent))
    return figures


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


# -- tmpfs in a mount namespace ------------------------------------------------------------------


def tmpfs_available() -> str | None:
    """None when a tmpfs can be mounted in a new mount namespace here, else why not."""
    if not shutil.which("unshare"):
        return "no unshare(1)"
    try:
        done = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unshare failed: {error}"
    if done.returncode != 0:
        return f"cannot mount a tmpfs in a mount namespace: {done.stderr.strip() or done.returncode}"
    return None


def tmpfs_runs(template: Path, work: Path, env: dict[str, str], free: list[int], *,
               size: int = 64 * 2**20) -> DiskFullFigures:
    """For each number of free bytes: ``prebundle --force`` and a run with a new import on a
    tmpfs of ``size`` bytes filled up to that; all of it in ``unshare -m`` (see ``_child``)."""
    figures = DiskFullFigures()
    work.mkdir(parents=True, exist_ok=True)
    request = {"template": str(template), "mount": str(work / "disk"), "size": size, "free": free,
               "env": env}
    (work / "disk").mkdir(exist_ok=True)
    done = subprocess.run(["unshare", "-m", sys.executable, "-m", "tests.reliability._disk_full",
                           json.dumps(request)], cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise AssertionError(f"the tmpfs runs failed ({done.returncode}): {done.stderr[-3000:]}")
    for outcome in json.loads(done.stdout.splitlines()[-1]):
        figures.add(outcome)
    return figures


def _child(request: dict) -> list[dict]:
    """In the mount namespace: mount, then for each free size and kind copy the app onto the
    tmpfs, fill it, run, judge."""
    mount = Path(request["mount"])
    subprocess.run(["mount", "--make-rprivate", "/"], check=False)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={request['size']}", "tmpfs", str(mount)], check=True)
    outcomes = []
    try:
        for free in request["free"]:
            for kind in ("force", "new import"):
                for entry in mount.iterdir():
                    shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
                root = mount / "app"
                shutil.copytree(request["template"], root, symlinks=True)
                if kind == "new import":
                    _append(root, NEW_IMPORT)
                env = {**request["env"], "PREBUNDLE_CACHE_DIR": str(mount / "machine-cache")}
                deps = root / "node_modules" / ".vite" / "deps"
                before = deps_snapshot(deps)
                _fill(mount, free)
                done = run_cli(["--force"] if kind == "force" else [], cwd=root, env=env, timeout=300)
                outcomes.append(judge(f"tmpfs {free} B free, {kind}", done, before, deps, deps.parent))
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    return outcomes


def _fill(mount: Path, free: int) -> None:
    """Leave ``free`` bytes free on the file system at ``mount``."""
    stat = os.statvfs(mount)
    available = stat.f_bavail * stat.f_frsize
    with open(mount / "filler", "wb") as handle:
        chunk = b"\0" * 2**20
        left = max(0, available - free)
        while left > 0:
            try:
                left -= handle.write(chunk[: min(left, len(chunk))])
            except OSError:
                break


def _append(root: Path, line: str) -> None:
    main = root / "src" / "main.js"
    main.write_text(main.read_text() + line)


def measure_need(template: Path, work: Path, env: dict[str, str]) -> int:
    """Bytes a ``--force`` run writes on a disk with room: the sizes of the folders it fills."""
    root = work / "need"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(template, root, symlinks=True)
    run_env = {**env, "PREBUNDLE_CACHE_DIR": str(work / "need-cache")}
    done = run_cli(["--force"], cwd=root, env=run_env, timeout=300)
    assert done.code == 0, done.output
    folders = [root / "node_modules" / ".vite", work / "need-cache"]
    return sum(p.stat().st_size for folder in folders for p in folder.rglob("*") if p.is_file())


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_child(json.loads(sys.argv[1]))) + "\n")
