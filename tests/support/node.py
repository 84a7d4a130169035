"""Node.js as the judge: run the optimizer's output through its import map (as a browser
would resolve it), and ask Node for the export names of real packages."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .apps import NPM_MODULES, REPO

__all__ = ["REGISTER", "node_keys", "run_node"]

REGISTER = REPO / "tests" / "support" / "importmap_register.mjs"
"""Node's ``--import`` hook that resolves bare imports through ``$PREBUNDLE_DEPS_DIR/importmap.json``."""


def run_node(deps_dir: Path, code: str, *, cwd: Path | None = None) -> str:
    """Run an ES module in Node with bare imports resolved through ``deps_dir/importmap.json``;
    returns its stdout. A failure shows Node's stderr."""
    env = {**os.environ, "PREBUNDLE_DEPS_DIR": str(deps_dir)}
    # Exit once the code ran, even if a scheduler keeps the event loop alive; flush stdout first.
    code += "\nawait new Promise((done) => process.stdout.write('', done));\nprocess.exit(0);\n"
    done = subprocess.run(
        ["node", "--no-warnings", "--import", str(REGISTER), "--input-type=module", "-e", code],
        cwd=cwd or deps_dir, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def node_keys(specs: list[str]) -> dict[str, list[str]]:
    """Node's own ``Object.keys(await import(spec))`` for real packages, computed now."""
    code = (
        "const out = {};\n"
        f"for (const spec of {json.dumps(specs)}) out[spec] = Object.keys(await import(spec));\n"
        "console.log(JSON.stringify(out));\n"
    )
    done = subprocess.run(["node", "--no-warnings", "--input-type=module", "-e", code],
                          cwd=NPM_MODULES.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
