"""Every row of the bad-input table (``_bad_inputs.CASES``) through the real CLI: the documented
exit code, a first message naming the file and the cause, no traceback, no lost output. The two
50 MB rows run in ``bench/reliability.py`` only."""

from __future__ import annotations

import pytest

from ._bad_inputs import CASES, run_case

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.kind)
def test_bad_input(case, good_app, tmp_path):
    template, env = good_app
    row = run_case(case, template, tmp_path / "app", env, timeout=120)
    assert row.problems == (), f"{row.kind}: exit {row.code}, {row.first_line!r}"


def test_the_table_is_large_enough():
    assert len(CASES) >= 30
