"""A cached interop answer holds only while what the analysis read is unchanged: the entry, every
file it required, and where each ``require`` led; a damaged or edited record is never used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prebundle.interop import InteropCache, analyze
from prebundle.interop.evaluate import stats

from ._support import node_modules_require


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """``node_modules/made`` whose entry runs a factory from another file (names need the sandbox)."""
    folder = tmp_path / "node_modules" / "made"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "made", "version": "1.0.0"}')
    (folder / "index.js").write_text("module.exports = require('./make')();\n")
    (folder / "make.js").write_text("module.exports = function () { return { alpha: 1 }; };\n")
    return folder


def _names(package: Path, cache: Path) -> tuple[str, ...]:
    result = analyze(package / "index.js", mode="development", package_dir=package, package_name="made",
                     resolve_require=node_modules_require, cache=InteropCache(cache))
    assert result.evaluated
    return result.names


def test_a_changed_required_file_is_evaluated_again(package: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _names(package, cache) == ("alpha",)
    (package / "make.js").write_text("module.exports = function () { return { alpha: 1, beta: 2 }; };\n")
    assert _names(package, cache) == ("alpha", "beta")


def test_a_changed_entry_is_evaluated_again(package: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _names(package, cache) == ("alpha",)
    (package / "index.js").write_text("module.exports = Object.assign(require('./make')(), { gamma: 3 });\n")
    assert _names(package, cache) == ("alpha", "gamma")


def test_a_touched_but_unchanged_file_is_still_a_hit(package: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _names(package, cache)
    later = (package / "make.js").stat().st_mtime_ns + 5_000_000_000
    os.utime(package / "make.js", ns=(later, later))
    before = stats.runs
    assert _names(package, cache) == ("alpha",)
    assert _names(package, cache) == ("alpha",)
    assert stats.runs == before


def test_a_require_that_resolves_now_is_evaluated_again(package: Path, tmp_path: Path) -> None:
    # an optional package installed after the first run: the stub the sandbox gave no longer holds
    (package / "index.js").write_text(
        "var extra = require('extra-pkg');\nmodule.exports = Object.assign(require('./make')(), extra);\n")
    cache = tmp_path / "cache"
    assert _names(package, cache) == ("alpha",)
    extra = tmp_path / "node_modules" / "extra-pkg"
    extra.mkdir()
    (extra / "package.json").write_text('{"name": "extra-pkg", "version": "1.0.0"}')
    (extra / "index.js").write_text("exports.delta = 4;\n")
    assert _names(package, cache) == ("alpha", "delta")


def test_an_edited_record_is_not_used(package: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert _names(package, cache) == ("alpha",)
    (record,) = cache.glob("*.json")
    record.write_text(record.read_text().replace('"alpha"', '"forged"'))
    before = stats.runs
    assert _names(package, cache) == ("alpha",)
    assert stats.runs == before + 1
