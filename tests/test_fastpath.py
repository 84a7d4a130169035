"""The CLI's fast path (``prebundle/fastpath.py``): a no-op ``prebundle`` and a warm
``prebundle scan --json`` answered from the memo of a full run, with the full path's output to
the byte, and a fall back to the full path for every change that could change the answer.

Full runs go through the installed console script in a subprocess, as users run it; the fast
path's decision is also checked in-process (``answer``), with the reason it gave for falling
back. ``PREBUNDLE_TIMESTAMP_SLACK_MS=0``: stamps are trusted at once (files change right after
a run here).
"""

from __future__ import annotations

import fcntl
import json
import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prebundle import fastpath
from tests.support.apps import make_app

PREBUNDLE = Path(sys.executable).parent / "prebundle"
SOURCE = "import dayjs from 'dayjs'\nimport cx from 'classnames'\nconsole.log(dayjs, cx)\n"


def run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """The full CLI (the fast path too, when it answers) in a subprocess."""
    environ = {**os.environ, "PREBUNDLE_TIMESTAMP_SLACK_MS": "0", **(env or {})}
    environ.pop("PREBUNDLE_FASTPATH_DEBUG", None)
    return subprocess.run([str(PREBUNDLE), *args], cwd=root, capture_output=True, text=True, timeout=300,
                          env=environ)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A small app, optimized once (its own machine-wide cache)."""
    base = tmp_path_factory.mktemp("fastpath")
    root = make_app(base / "app", SOURCE)
    done = run(root, env={"PREBUNDLE_CACHE_DIR": str(base / "machine")})
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def app(template, tmp_path, monkeypatch):
    """A copy of the template whose full no-op run left a memo; ``app.full`` is that run."""
    monkeypatch.setenv("PREBUNDLE_TIMESTAMP_SLACK_MS", "0")
    monkeypatch.setattr("prebundle.scanner.snapshot.RACY_NS", 0)
    root = tmp_path / "app"
    shutil.copytree(template, root, symlinks=True)
    (root / "node_modules/.vite" / fastpath.MEMO_NAME).unlink(missing_ok=True)
    full = run(root)
    assert full.returncode == 0, full.stderr
    assert full.stdout.startswith("dependencies up to date"), full.stdout
    assert (root / "node_modules/.vite" / fastpath.MEMO_NAME).is_file()
    return root, full


def fast(capsys, *argv: str) -> tuple[int | None, str, str]:
    """The fast path's answer in this process: (exit code or None, stdout, stderr)."""
    code = fastpath.answer(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def falls_back(capsys, *argv: str | Path, because: str) -> None:
    code, out, err = fast(capsys, *map(str, argv))
    assert code is None and out == "" and err == ""
    assert because in fastpath.last_reason


# -- answering like the full path ----------------------------------------------------------------

def test_noop_is_answered_with_the_full_paths_output(app, capsys):
    root, full = app
    assert fast(capsys, str(root)) == (0, full.stdout, full.stderr)
    assert fast(capsys, "optimize", str(root)) == (0, full.stdout, full.stderr)
    again = run(root)
    assert (again.returncode, again.stdout, again.stderr) == (0, full.stdout, full.stderr)


def test_scan_json_is_answered_byte_for_byte(app, capsys):
    root, _ = app
    full = run(root, "scan", "--json")
    assert full.returncode == 0
    assert fast(capsys, "scan", str(root), "--json") == (0, full.stdout, "")
    (root / "src/main.js").write_text(SOURCE + "// a comment: the imports are the same\n")
    code, out, _ = fast(capsys, "scan", str(root), "--json")
    assert code == 0 and out == full.stdout
    (root / "src/main.js").write_text(SOURCE + "import 'dayjs/plugin/utc'\n")
    falls_back(capsys, "scan", root, "--json", because="imports something else")
    changed = run(root, "scan", "--json")
    assert "dayjs/plugin/utc" in json.loads(changed.stdout)["deps"]


def test_scan_warnings_are_printed_as_the_full_path_prints_them(app, capsys):
    root, _ = app
    (root / "src/broken.js").write_text("import { from 'x\n")
    (root / "src/main.js").write_text(SOURCE + "import './broken.js'\n")
    full = run(root)
    assert "warning: src/broken.js:1: syntax error" in full.stderr
    assert run(root).stdout.startswith("dependencies up to date")
    assert fast(capsys, str(root)) == (0, full.stdout, full.stderr)


def test_log_levels_are_those_of_the_full_path(app, capsys):
    root, _ = app
    silent = run(root, "--log-level", "silent")
    assert (silent.stdout, silent.stderr) == ("", "")
    assert fast(capsys, str(root), "--log-level", "silent") == (0, "", "")
    falls_back(capsys, root, "--log-level", "debug", because="no memo")


# -- falling back on every change that could change the answer ----------------------------------

def test_a_changed_source_falls_back(app, capsys):
    root, _ = app
    (root / "src/main.js").write_text(SOURCE + "import 'dayjs/plugin/utc'\n")
    falls_back(capsys, root, because="scan snapshot")
    assert run(root).stdout.splitlines()[-1].startswith("optimized")  # after the table of packages built


def test_a_source_edit_that_keeps_the_imports_falls_back_once(app, capsys):
    root, full = app
    (root / "src/main.js").write_text(SOURCE + "// edited\n")
    falls_back(capsys, root, because="a source file changed")
    assert run(root).stdout == full.stdout
    assert fast(capsys, str(root))[0] == 0


@pytest.mark.parametrize("name", ["package-lock.json", "package.json"])
def test_a_changed_lockfile_or_package_json_falls_back(app, capsys, name):
    root, _ = app
    data = json.loads((root / name).read_text())
    if name == "package.json":
        data["dependencies"]["left-pad"] = "^1.3.0"
    else:
        data["packages"][""]["dependencies"]["left-pad"] = "^1.3.0"
    (root / name).write_text(json.dumps(data, indent=2))
    falls_back(capsys, root, because=f"{name} changed")
    assert run(root).stdout.startswith("optimized")  # lockfileHash changed: the full path rebuilds


def test_an_install_state_or_patches_appearing_falls_back(app, capsys):
    root, _ = app
    (root / "patches").mkdir()
    (root / "patches/dayjs+1.0.0.patch").write_text("--- a\n+++ b\n")
    falls_back(capsys, root, because="patches changed")


def test_a_changed_config_falls_back(app, capsys):
    root, _ = app
    (root / "pyproject.toml").write_text('[tool.prebundle]\ndefine = {"__DEV__" = "true"}\n')
    falls_back(capsys, root, because="no memo")
    assert run(root).stdout.splitlines()[-1].startswith("optimized")  # configHash changed


def test_a_python_config_never_takes_the_fast_path(app, capsys):
    root, _ = app
    (root / "prebundle.config.py").write_text("from prebundle import define_config\nconfig = define_config()\n")
    assert run(root).stdout.startswith("dependencies up to date")
    falls_back(capsys, root, because="cannot read")


def test_another_esbuild_falls_back(app, capsys, monkeypatch):
    root, _ = app
    modules = root / "node_modules"
    linked = modules / "@esbuild"
    real = Path(os.path.realpath(linked))
    linked.unlink()
    shutil.copytree(real, linked)  # the same version, another file: its stamp differs
    falls_back(capsys, root, because="esbuild")
    assert run(root).stdout.startswith("dependencies up to date")
    assert fast(capsys, str(root))[0] == 0
    binary = next(linked.glob("*/bin/esbuild"))
    monkeypatch.setenv("ESBUILD_BINARY_PATH", str(binary))
    falls_back(capsys, root, because="environment")


def test_another_esbuild_version_falls_back(app, capsys):
    """The version comes from the package.json beside the project's binary: a new one is a new
    configHash (the full path would rebuild and warn; only the fast path's decision is checked
    here, the binary itself is still 0.28.2)."""
    root, _ = app
    linked = root / "node_modules/@esbuild"
    real = Path(os.path.realpath(linked))
    linked.unlink()
    shutil.copytree(real, linked)
    assert run(root).stdout.startswith("dependencies up to date")
    assert fast(capsys, str(root))[0] == 0
    manifest = next(linked.glob("*/package.json"))
    data = json.loads(manifest.read_text())
    data["version"] = "0.28.9"
    manifest.write_text(json.dumps(data))
    falls_back(capsys, root, because=str(manifest))


@pytest.mark.parametrize("damage", ["truncated", "deleted", "touched"])
def test_a_damaged_output_falls_back(app, capsys, damage):
    root, full = app
    deps = root / "node_modules/.vite/deps"
    target = deps / json.loads((deps / "_metadata.json").read_text())["optimized"]["dayjs"]["file"]
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:10])
    elif damage == "deleted":
        target.unlink()
    else:
        os.utime(target)
    falls_back(capsys, root, because=str(deps))  # the file, or the folder it left
    done = run(root)
    if damage == "touched":  # only the stamp: the full path finds it intact
        assert done.stdout == full.stdout
    else:
        assert "rewriting the deps dir" in done.stderr or done.stdout.startswith("optimized")


def test_a_daemon_or_a_killed_run_or_a_held_lock_falls_back(app, capsys):
    root, _ = app
    cache = root / "node_modules/.vite"
    (cache / "daemon.json").write_text("{}")
    falls_back(capsys, root, because="daemon")
    (cache / "daemon.json").unlink()
    (cache / "deps_temp_abc").mkdir()
    falls_back(capsys, root, because="killed run")
    (cache / "deps_temp_abc").rmdir()
    with open(cache / "deps.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        falls_back(capsys, root, because="another run")
    assert fast(capsys, str(root))[0] == 0


def test_other_code_falls_back(app, capsys, monkeypatch):
    root, _ = app
    monkeypatch.setattr(fastpath, "code_stamp", lambda: (("changed", 1, 1),))
    falls_back(capsys, root, because="no memo")


def test_a_file_changed_just_before_the_full_run_is_checked_by_content(app, capsys):
    """A stamp taken within the file system's clock granularity of a change could survive a
    second change: such a stamp is recorded with a digest of the content, and both must hold."""
    root, full = app
    manifest = root / "package.json"
    manifest.write_text(manifest.read_text())
    assert run(root, env={"PREBUNDLE_TIMESTAMP_SLACK_MS": "60000"}).stdout == full.stdout
    assert fast(capsys, str(root)) == (0, full.stdout, full.stderr)  # same stamps, same bytes
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "description": "x"}))
    falls_back(capsys, root, because=str(manifest))


def test_output_a_run_just_wrote_is_checked_by_content(app, capsys):
    """Right after a run, its output's stamps are too fresh to be trusted alone: the memo holds
    each with a digest of the content; the next no-op is answered when both hold (and stores the
    stamps plain once they are old enough), and content that differs falls back."""
    root, full = app
    time.sleep(1.2)  # the sources' stamps are old enough; only the output will be fresh
    forced = run(root, "--force", env={"PREBUNDLE_TIMESTAMP_SLACK_MS": "1000"})
    assert forced.returncode == 0, forced.stderr
    memo_file = root / "node_modules/.vite" / fastpath.MEMO_NAME
    memo = marshal.loads(memo_file.read_bytes())
    paths, stamps = memo["optimize"]["stamps"]
    racy = [i for i, value in enumerate(stamps) if value and value[0] == "racy"]
    assert racy and all(paths[i].startswith(str(root / "node_modules/.vite/deps")) for i in racy)
    changed = list(stamps)  # what a change in the same clock tick would leave: same stamp, other bytes
    changed[racy[0]] = ("racy", stamps[racy[0]][1], bytes(16))
    memo_file.write_bytes(marshal.dumps({**memo, "optimize": {**memo["optimize"], "stamps": (paths, tuple(changed))}}))
    falls_back(capsys, root, because="changed")
    memo_file.write_bytes(marshal.dumps(memo))
    assert fast(capsys, str(root)) == (0, full.stdout, full.stderr)
    settled = marshal.loads(memo_file.read_bytes())["optimize"]["stamps"][1]
    assert not any(value and value[0] == "racy" for value in settled)  # RACY_NS is 0 in this process
    assert fast(capsys, str(root)) == (0, full.stdout, full.stderr)


def test_include_or_a_missing_import_takes_the_full_path(app, capsys):
    root, _ = app
    (root / "src/main.js").write_text(SOURCE + "import 'not-installed'\n")
    assert run(root, "scan", "--json").returncode == 1
    falls_back(capsys, "scan", root, "--json", because="")
    assert fast(capsys, "scan", str(root), "--json")[0] is None
    (root / "src/main.js").write_text(SOURCE)
    (root / "pyproject.toml").write_text('[tool.prebundle]\ninclude = ["dayjs"]\n')
    run(root)
    assert run(root).stdout.startswith("dependencies up to date")
    falls_back(capsys, root, because="no up-to-date decision")


def test_a_run_that_printed_other_warnings_is_not_remembered(app, capsys):
    """A lockfile that is not valid JSON: the full path warns on every run."""
    root, _ = app
    (root / "package-lock.json").write_text("{")
    done = run(root)
    assert "not valid JSON" in done.stderr
    assert "not valid JSON" in run(root).stderr
    falls_back(capsys, root, because="no up-to-date decision")


@pytest.mark.parametrize(("argv", "parsed"), [
    ([], ("optimize", ".", None, None, False)),
    (["app"], ("optimize", "app", None, None, False)),
    (["optimize", "app", "--log-level", "warning"], ("optimize", "app", None, "warning", False)),
    (["--log-level=error", "app"], ("optimize", "app", None, "error", False)),
    (["app", "--config", "x.toml"], ("optimize", "app", "x.toml", None, False)),
    (["scan", "app", "--json"], ("scan", "app", None, None, True)),
    (["scan", "--json"], ("scan", ".", None, None, True)),
    (["scan", "app"], None),  # the table: rich, the full path
    (["app", "--force"], None),
    (["app", "--mode", "production"], None),
    (["--help"], None),
    (["--version"], None),
    (["daemon", "app"], None),
    (["esbuild"], None),
    (["a", "b"], None),
    (["--log-level", "loud", "app"], None),
    (["--log-level", "info", "--log-level", "info"], None),
    (["app", "--json"], None),
    (["--", "app"], None),
])
def test_only_plain_command_lines_are_answered(argv, parsed):
    args = fastpath.parse_plain(argv)
    got = None if args is None else (args.command, args.root, args.config_file, args.log_level, args.json)
    assert got == parsed
