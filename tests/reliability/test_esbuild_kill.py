"""The esbuild service killed while the daemon re-optimizes: the daemon says so, keeps serving
its last good output, and the next change works on a new service."""

from __future__ import annotations

import pytest

from ._esbuild_kill import esbuild_kill_rounds

pytestmark = pytest.mark.slow


def test_a_killed_esbuild_is_reported_and_the_daemon_recovers(tmp_path, env):
    figures = esbuild_kill_rounds(tmp_path, env, rounds=1)
    assert figures.failures == []
    assert (figures.kills, figures.error_reported, figures.kept_serving, figures.recovered) == (1, 1, 1, 1)
    message = figures.messages[0]
    assert "esbuild service stopped while building react-dom" in message and "previous output is kept" in message
