"""Fixtures of the reliability tests: a machine-wide cache per test (from the root conftest), the
environment of CLI runs, and one small app with a good deps dir to copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ._common import cli_env, run_cli, small_app


@pytest.fixture
def env() -> dict[str, str]:
    """The environment of a CLI run: the test's own machine-wide cache (see tests/conftest.py)."""
    return cli_env(os.environ["PREBUNDLE_CACHE_DIR"])


@pytest.fixture(scope="module")
def good_app(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A small app with a good deps dir, built once per module, and its environment: tests copy
    it, never change it."""
    base = tmp_path_factory.mktemp("good-app")
    run_env = cli_env(base / "machine-cache")
    root = small_app(base / "app")
    done = run_cli([], cwd=root, env=run_env)
    assert done.code == 0, done.output
    return root, run_env
