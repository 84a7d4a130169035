"""A full disk (a small tmpfs in a mount namespace) or a file size limit (RLIMIT_FSIZE) while a
run writes its output: it fails in one line, or succeeds; the previous output stays served."""

from __future__ import annotations

import shutil

import pytest

from ._disk_full import fsize_runs, tmpfs_available, tmpfs_runs

pytestmark = pytest.mark.slow


def _template(good_app, tmp_path):
    root, env = good_app
    template = tmp_path / "template"
    shutil.copytree(root, template, symlinks=True)
    return template, env


def test_a_file_size_limit_fails_in_one_line_and_keeps_the_output(good_app, tmp_path):
    template, env = _template(good_app, tmp_path)
    # 0: not even the lock file's pid can be written (that was an internal error)
    figures = fsize_runs(template, tmp_path / "runs", env, [0, 2_000, 30_000, 10_000_000])
    assert figures.bad == []
    assert figures.failed_cleanly >= 2 and figures.succeeded >= 2
    assert all("cannot write the new output: File too large" in m for m in figures.messages)


def test_a_full_disk_fails_in_one_line_and_keeps_the_output(good_app, tmp_path):
    reason = tmpfs_available()
    if reason is not None:
        pytest.skip(reason)
    template, env = _template(good_app, tmp_path)
    figures = tmpfs_runs(template, tmp_path / "tmpfs", env, [0, 40_000, 8_000_000])
    assert figures.bad == []
    assert figures.failed_cleanly >= 2 and figures.succeeded >= 2
    assert all("cannot write the new output: No space left on device" in m for m in figures.messages)
