"""Two CLI runs and a daemon started at once on one project: every command ends well, in one of
the documented ways, and the daemon serves exactly the consistent output on disk."""

from __future__ import annotations

import pytest

from ._common import small_app
from ._concurrency import race

pytestmark = pytest.mark.slow


def test_two_runs_and_a_daemon_at_once(tmp_path, env):
    root = small_app(tmp_path / "app")
    figures = race(root, env, rounds=3)
    assert figures.failures == []
    assert figures.commands == 6
    assert sum(figures.outcomes.values()) == 6
