"""A cached interop answer holds only while what the analysis read is unchanged: the entry, every
file it required, and where each ``require`` led; a damaged or edited record is never used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prebundle.interop import InteropCache, analyze
from prebundle.interop import cache as interop_cache
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


def test_an_answer_of_another_analyzer_version_is_not_used(package: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A newer sandbox finds names an older one missed (file-saver's saveAs): a bumped
    # ANALYZER_VERSION retires every answer the older one stored.
    cache = tmp_path / "cache"
    monkeypatch.setattr(interop_cache, "ANALYZER_VERSION", "older")
    _names(package, cache)
    monkeypatch.undo()
    before = stats.runs
    _names(package, cache)
    assert stats.runs == before + 1
    _names(package, cache)
    assert stats.runs == before + 1


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


# -- the module-syntax check a package entry's text leaves open ---------------------------------

UNDECIDED = b"export default function define(x) { return x }\nconst exports = {};\n"
"""ES module syntax beside CommonJS words: its text leaves the question to a parse."""


def test_the_parse_an_entry_needs_is_done_once_for_its_bytes(tmp_path: Path, monkeypatch) -> None:
    from prebundle.interop import format as interop_format

    parses: list[bytes] = []
    real = interop_format.has_module_syntax
    monkeypatch.setattr(interop_format, "has_module_syntax", lambda source: parses.append(source) or real(source))
    cache = InteropCache(tmp_path / "cache")
    first = tmp_path / "a" / "index.js"
    first.parent.mkdir()
    first.write_bytes(UNDECIDED)
    assert interop_format._by_text(str(first), len(UNDECIDED), first.stat().st_mtime_ns) is None
    assert interop_format.needs_interop(first, cache=cache) is False
    assert parses == [UNDECIDED]

    interop_format._SYNTAX.clear()  # as the next run, in a new process
    again = tmp_path / "b" / "index.js"  # another package with the same bytes
    again.parent.mkdir()
    again.write_bytes(UNDECIDED)
    assert interop_format.needs_interop(first, cache=InteropCache(tmp_path / "cache")) is False
    assert interop_format.needs_interop(again, cache=InteropCache(tmp_path / "cache")) is False
    assert parses == [UNDECIDED]

    # no ESM syntax left, and the words still in a comment: undecided by its text again
    changed = UNDECIDED.replace(b"export default function", b"function") + b"// import and export\n"
    again.write_bytes(changed)
    assert interop_format._by_text(str(again), len(changed), again.stat().st_mtime_ns) is None
    assert interop_format.needs_interop(again, cache=cache) is True  # new bytes: parsed
    assert parses == [UNDECIDED, changed]


def test_an_edited_module_syntax_record_is_not_used(tmp_path: Path) -> None:
    cache = InteropCache(tmp_path / "cache")
    cache.store_module_syntax(UNDECIDED, True)
    assert cache.module_syntax(UNDECIDED) is True
    (record,) = (tmp_path / "cache").glob("*.json")
    record.write_text(record.read_text().replace("true", "false"))
    assert cache.module_syntax(UNDECIDED) is None
    record.write_text("{not json")
    assert cache.module_syntax(UNDECIDED) is None
