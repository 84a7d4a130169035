"""Config keys the daemon honours at the moments Vite does: ``force`` re-bundles when the
daemon starts (and when its config is reloaded), not on every saved file; with
``no_discovery`` a newly found import adds nothing and starts no optimize run."""

from __future__ import annotations

from pathlib import Path

import pytest

from prebundle import load_config, optimize
from tests.support.apps import DOCUMENT, make_app

pytestmark = pytest.mark.slow

REACT = 'import React from "react";\nconsole.log(React.version);\n'


def test_force_key_rebuilds_at_startup_only(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, hand_packages=False)
    optimize(load_config(root))  # a valid cache the key must not trust at startup
    (root / "pyproject.toml").write_text("[tool.prebundle]\nforce = true\n")
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    assert any(b.startswith("react@") for b in status["last_run"]["built"]), daemon.log()
    runs = status["runs"]
    (root / "src" / "main.js").write_text(REACT + "console.log(1);\n")
    status = daemon.wait_runs(runs + 1)
    assert status["last_run"]["built"] == [], daemon.log()


def test_no_discovery_ignores_new_imports(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", REACT, html=DOCUMENT, hand_packages=False)
    (root / "pyproject.toml").write_text('[tool.prebundle]\nno_discovery = true\ninclude = ["react"]\n')
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    assert status["deps"] == ["react"], status
    runs = status["runs"]
    (root / "src" / "main.js").write_text(REACT + 'import cx from "classnames";\nconsole.log(cx("a"));\n')
    status = daemon.wait_runs(runs + 1)
    last = status["last_run"]
    assert last["added"] == [] and last["built"] == [] and not last["optimized"], last
    assert status["deps"] == ["react"]
