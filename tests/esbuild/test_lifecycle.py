"""The service process: crashes, restarts, and nothing left behind at exit or after fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from prebundle.esbuild import Plugin, ServiceStopped
from tests.support.apps import write_tree
from tests.support.wait import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_killed_service_raises_and_the_next_build_restarts(own_service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import 'virtual:hang';"})
    entered, release = threading.Event(), threading.Event()

    def setup(build):
        build.on_resolve(lambda a: {"path": "h", "namespace": "h"}, filter="^virtual:")

        @build.on_load(filter=".*", namespace="h")
        def load(args):
            entered.set()
            release.wait(10)
            return {"contents": "export {}"}

    own_service.transform("1")
    first_pid = own_service.pid
    outcome = {}

    def run():
        try:
            own_service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                              plugins=[Plugin("hang", setup)], abs_working_dir=str(root))
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(10)
    os.kill(first_pid, 9)
    thread.join(10)
    release.set()
    error = outcome["error"]
    assert isinstance(error, ServiceStopped) and error.returncode == -9
    assert "exit code -9" in str(error)
    result = own_service.build(stdin={"contents": "export default 2"}, write=False,
                               abs_working_dir=str(root))
    assert result.output_files and own_service.pid != first_pid


def test_service_start_failure_names_stderr(tmp_path):
    fake = tmp_path / "esbuild"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo 0.28.2; exit 0; fi\n"
                    "echo 'cannot start: broken on purpose' >&2; exit 3\n")
    fake.chmod(0o755)
    from prebundle.esbuild import Service

    with Service(fake, stderr=False) as svc:
        with pytest.raises(ServiceStopped, match="broken on purpose") as info:
            svc.transform("1")
    assert info.value.returncode == 3


SCRIPT = """
import os, sys
sys.path.insert(0, {repo!r})
from prebundle import esbuild
os.chdir({root!r})
esbuild.build(entry_points=["src/a.js"], bundle=True, outdir="o", write=False)
ctx = esbuild.context(entry_points=["src/a.js"], bundle=True, outdir="o2")
ctx.rebuild()  # left undisposed on purpose
service = esbuild.get_service()
print(service.pid, flush=True)
if {fork}:
    parent_pid = service.pid
    child = os.fork()
    if child == 0:  # the child must not use (or kill) the parent's process
        ok = esbuild.transform("let a = 1").code == "let a = 1;\\n"
        ok = ok and service.pid not in (None, parent_pid)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    print("child", os.waitstatus_to_exitcode(status), flush=True)
"""


@pytest.mark.parametrize("fork", [False, True], ids=["exit", "fork"])
def test_nothing_left_behind_at_exit(tmp_path, esbuild_bin, fork):
    root = write_tree(tmp_path / "app", {"src/a.js": "export default 1"}, npm=True)
    script = SCRIPT.format(repo=REPO, root=str(root), fork=fork)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "deadlock" not in done.stderr and "Traceback" not in done.stderr
    lines = done.stdout.split()
    pid = int(lines[0])
    if fork:
        assert lines[1:] == ["child", "0"]
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 1, message="the esbuild service outlived its parent")
