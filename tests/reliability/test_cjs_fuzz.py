"""The CommonJS export analysis on generated modules against Node.js: no crash, no hang, and at
least Node's named exports (``bench/reliability.py`` runs 5,000 modules)."""

from __future__ import annotations

import shutil

import pytest

from ._cjs_fuzz import generate, run_fuzz

pytestmark = pytest.mark.slow

pytest.importorskip("quickjs")


def test_fuzzed_modules_give_at_least_nodes_names(tmp_path):
    if shutil.which("node") is None:
        pytest.fail("node is missing")
    figures = run_fuzz(tmp_path, 300, seed=3)
    assert figures.crashes == [] and figures.hangs == []
    assert figures.mismatches == []
    assert figures.checked_named >= 150 and figures.checked_runtime >= 50


def test_the_generator_is_seeded(tmp_path):
    a = [p.read_text() for p in generate(tmp_path / "a", 20, seed=5)]
    b = [p.read_text() for p in generate(tmp_path / "b", 20, seed=5)]
    assert a == b
