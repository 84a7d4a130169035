"""Every failure a user can cause ends in one line (what, where, what to do) and a non-zero exit,
through the real ``prebundle`` command; a traceback only with ``--log-level debug``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.apps import make_app

REPO = Path(__file__).resolve().parent.parent
PREBUNDLE = Path(sys.executable).parent / "prebundle"


def small_app(root: Path) -> Path:
    """Two small packages and esbuild linked in, ``main.js`` importing both, no lockfile."""
    return make_app(root, 'import dayjs from "dayjs"\nimport cx from "classnames"\n', entry="main.js",
                    packages=("dayjs", "classnames", "esbuild", "@esbuild"), hand_packages=False,
                    lockfile=False, dependencies={"dayjs": "*", "classnames": "*"})


def run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PREBUNDLE), str(root), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.mark.parametrize(("setting", "expected"), [
    ('target=["bogus1"]', "prebundle.config.py:3: target: unknown target 'bogus1'"),
    ('esbuild_options={"drop": "console"}', "prebundle.config.py:3: esbuild_options: esbuild option 'drop' must be a list"),
    ('esbuild_options={"keepNamez": True}', "unknown esbuild option 'keepNamez'"),
    ('esbuild_options={"outdir": "elsewhere"}', "'outdir' is set by prebundle"),
])
def test_options_esbuild_would_reject_are_one_line_with_file_and_line(tmp_path: Path, setting: str, expected: str):
    root = small_app(tmp_path / "app")
    (root / "prebundle.config.py").write_text(f"from prebundle import define_config\nconfig = define_config(\n    {setting})\n")
    assert expected in one_line_error(run(root))
    assert not (root / "node_modules" / ".vite" / "deps").exists()


def test_camel_case_esbuild_options_are_accepted_as_vite_users_write_them(tmp_path: Path):
    root = small_app(tmp_path / "app")
    (root / "prebundle.config.py").write_text(
        "from prebundle import define_config\nconfig = define_config(esbuild_options={'keepNames': True})\n")
    done = run(root)
    assert done.returncode == 0, done.stderr
    from prebundle import load_config

    assert dict(load_config(root).esbuild_options) == {"keep_names": True}


DYING_ESBUILD = """#!{python}
\"\"\"esbuild whose service dies as its first build request arrives (as a crash would).\"\"\"
import os, subprocess, sys
real = {real!r}
if not any(arg.startswith("--service") for arg in sys.argv[1:]):
    os.execv(real, [real, *sys.argv[1:]])
service = subprocess.Popen([real, *sys.argv[1:]], stdin=subprocess.PIPE)
seen = b""
while data := os.read(0, 65536):
    seen = (seen + data)[-65536:]
    if b"build" in seen:  # the request's command, a length-prefixed string of the protocol
        service.kill()
        os._exit(137)
    service.stdin.write(data)
    service.stdin.flush()
service.stdin.close()
sys.exit(service.wait())
"""


def test_a_crashed_esbuild_service_is_one_line_and_keeps_the_previous_output(tmp_path: Path):
    root = small_app(tmp_path / "app")
    assert run(root).returncode == 0
    deps = root / "node_modules" / ".vite" / "deps"
    before = (deps / "importmap.json").read_bytes()
    real = next((root / "node_modules" / "@esbuild").glob("*/bin/esbuild"))
    dying = tmp_path / "dying-esbuild"
    dying.write_text(DYING_ESBUILD.format(python=sys.executable, real=str(real)))
    dying.chmod(0o755)
    line = one_line_error(run(root, "--force", env={"ESBUILD_BINARY_PATH": str(dying)}))
    assert "esbuild" in line and "stopped" in line, line
    assert (deps / "importmap.json").read_bytes() == before


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount(), reason="needs root and mount namespaces to make a read-only folder")
def test_a_read_only_node_modules_is_one_line(tmp_path: Path):
    """As root, permissions do not stop writes: the app lives on a read-only mount instead."""
    root = small_app(tmp_path / "app")
    script = (f"mount --bind {root} {root} && mount -o remount,bind,ro {root} && "
              f"exec {PREBUNDLE} {root}")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    line = one_line_error(done)
    assert "Read-only file system" in line and str(root / "node_modules") in line, line


def test_an_internal_error_is_one_line_unless_debugging(tmp_path: Path):
    root = small_app(tmp_path / "app")
    code = ("import sys, prebundle.optimizer as o\n"
            "def boom(*a, **k):\n    raise RuntimeError('something inside broke')\n"
            "o.optimize = boom\n"
            "from prebundle.cli import main\nsys.argv = ['prebundle', *sys.argv[1:]]\nmain()\n")
    quiet = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60)
    line = one_line_error(quiet)
    assert "internal error: RuntimeError: something inside broke" in line and "--log-level debug" in line
    loud = subprocess.run([sys.executable, "-c", code, str(root), "--log-level", "debug"],
                          capture_output=True, text=True, timeout=60)
    assert loud.returncode != 0 and "Traceback" in loud.stderr


def test_a_corrupt_lockfile_is_warned_about_and_the_run_goes_on(tmp_path: Path):
    root = small_app(tmp_path / "app")
    (root / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": ')
    done = run(root)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert [w for w in warnings if "package-lock.json: not valid JSON" in w], done.stderr


def test_a_corrupt_package_json_is_warned_about(tmp_path: Path):
    """Its dependency lists are ignored with a warning; esbuild, which reads it too, then says
    where it is broken. Never a traceback, never silence."""
    root = small_app(tmp_path / "app")
    (root / "package.json").write_text('{"name": "app", "dependencies": {"dayjs": "*",}')
    done = run(root)
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert [w for w in warnings if "package.json: not valid JSON" in w and "dependency lists are ignored" in w], \
        done.stderr
    if done.returncode != 0:
        assert all("package.json:1:" in line for line in done.stderr.splitlines() if line.startswith("error:"))
