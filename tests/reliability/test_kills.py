"""SIGKILL at random moments of ``prebundle --force`` and of incremental runs on the 55-package
compat app: after every kill a server serves a consistent deps dir, and the next run repairs.
(``bench/reliability.py`` does the same with 100+ kills.)"""

from __future__ import annotations

import pytest

from ._kills import KINDS, KillScenario

pytestmark = pytest.mark.slow

KILLS = 12
"""Kills of a running process wanted; a delay past the end of its run is a miss (checked too)."""
ROUNDS = 30
"""At most this many rounds; the scenario stops once it has its kills."""


def test_kills_never_leave_a_bad_state_and_the_next_run_repairs(tmp_path):
    scenario = KillScenario(tmp_path / "app", tmp_path / "machine-cache", seed=11)
    scenario.figures.measured["force"] = scenario.build()  # the first build: as long as --force
    figures = scenario.run(ROUNDS, until_kills=KILLS)
    assert figures.kills == KILLS, f"only {figures.kills} kills in {ROUNDS} rounds ({figures.missed} misses)"
    assert set(figures.by_kind) <= set(KINDS)
    assert figures.bad_states == []
    assert figures.failed_repairs == [] and figures.repairs == figures.states_checked
