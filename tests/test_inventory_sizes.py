"""Gzip sizes of the deps dir's files: measured at once on every core, remembered by content."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import prebundle.inventory_sizes as inventory_sizes
from prebundle.inventory_sizes import FileSize, SizeCache


def test_measure_gives_each_files_size_and_level_9_gzip_size(tmp_path: Path, monkeypatch) -> None:
    deps = tmp_path / "deps"
    deps.mkdir()
    contents = {f"m{i}.js": (f"export const v{i} = {i};\n" * (i * 500 + 1)).encode() for i in range(6)}
    for name, data in contents.items():
        (deps / name).write_bytes(data)
    cache = SizeCache(tmp_path)
    cache.measure([*(deps / name for name in contents), deps / "gone.js"])
    monkeypatch.setattr(inventory_sizes, "file_size", lambda _data: pytest.fail("not measured at once"))
    for name, data in contents.items():
        assert cache.size_of(deps / name) == FileSize(len(data), len(gzip.compress(data, 9, mtime=0)))
    with pytest.raises(OSError):
        cache.size_of(deps / "gone.js")


def test_sizes_are_remembered_by_content(tmp_path: Path, monkeypatch) -> None:
    data = b"export default 'same bytes';\n" * 200
    (tmp_path / "a.js").write_bytes(data)
    first = SizeCache(tmp_path)
    first.measure([tmp_path / "a.js"])
    first.save()

    (tmp_path / "b.js").write_bytes(data)  # another name, the same content
    monkeypatch.setattr(inventory_sizes, "file_size", lambda _data: pytest.fail("compressed again"))
    again = SizeCache(tmp_path)
    again.measure([tmp_path / "b.js"])
    assert again.size_of(tmp_path / "b.js") == FileSize(len(data), len(gzip.compress(data, 9, mtime=0)))


SOURCE = "import _ from 'lodash';\nimport dayjs from 'dayjs';\nconsole.log(_, dayjs);\n"


def test_a_commands_run_learns_the_sizes_its_table_shows(tmp_path: Path, monkeypatch) -> None:
    from prebundle import load_config
    from prebundle.inventory_sizes import is_loaded
    from prebundle.metadata import read_metadata
    from prebundle.optimizer import optimize
    from tests.support.apps import make_app

    root = make_app(tmp_path / "app", SOURCE, packages=["lodash", "dayjs"])
    config = load_config(root)
    result = optimize(config, trigger="cli", one_shot=True)
    assert result.built
    modules = [result.deps_dir / name for record in read_metadata(result.deps_dir).packages.values()
               for name in record.files if is_loaded(name)]
    assert modules

    monkeypatch.setattr(inventory_sizes, "file_size", lambda _data: pytest.fail("compressed after the run"))
    table = SizeCache(config.cache_dir)
    table.measure(modules)
    for path in modules:
        data = path.read_bytes()
        assert table.size_of(path) == FileSize(len(data), len(gzip.compress(data, 9, mtime=0)))


def test_the_table_after_a_run_is_what_its_files_measure(tmp_path: Path, monkeypatch, capsys) -> None:
    from dataclasses import replace

    from prebundle import load_config
    from prebundle.console import print_built
    from prebundle.optimizer import optimize
    from tests.support.apps import make_app

    root = make_app(tmp_path / "app", SOURCE, packages=["lodash", "dayjs"])
    config = load_config(root)
    result = optimize(config, trigger="cli", one_shot=True)
    assert result.built_sizes is not None and {row["label"] for row in result.built_sizes} == set(result.built)
    monkeypatch.setattr(inventory_sizes, "SizeCache", lambda _dir: pytest.fail("files read after the run"))
    print_built(result, config)
    learned = capsys.readouterr().out
    monkeypatch.undo()

    print_built(replace(result, built_sizes=None), config)  # as a daemon's answer: measured from the files
    measured = capsys.readouterr().out
    assert learned == measured
    assert "lodash" in learned and "dayjs" in learned


@pytest.mark.parametrize(("one_shot", "log_level"), [(False, None), (True, "warning")])
def test_a_run_whose_sizes_nobody_shows_learns_none(tmp_path: Path, one_shot: bool, log_level: str | None) -> None:
    from prebundle import load_config
    from prebundle.optimizer import optimize
    from tests.support.apps import make_app

    root = make_app(tmp_path / "app", SOURCE, packages=["lodash", "dayjs"])
    config = load_config(root, overrides={"log_level": log_level} if log_level else None)
    assert optimize(config, one_shot=one_shot).built
    assert not (config.cache_dir / inventory_sizes.SIZES).exists()


def test_a_content_several_files_hold_is_compressed_once(tmp_path: Path, monkeypatch) -> None:
    data = b"export const shared = 1;\n" * 100
    for name in ("chunk-A.js", "copy/chunk-A.js", "other.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data if name != "other.js" else data + b"//\n")
    compressed: list[int] = []
    real = inventory_sizes.file_size
    monkeypatch.setattr(inventory_sizes, "file_size", lambda d: compressed.append(len(d)) or real(d))
    cache = SizeCache(tmp_path)
    cache.measure([tmp_path / "chunk-A.js", tmp_path / "copy" / "chunk-A.js", tmp_path / "other.js"])
    assert sorted(compressed) == [len(data), len(data) + 3]
    assert cache.size_of(tmp_path / "copy" / "chunk-A.js") == cache.size_of(tmp_path / "chunk-A.js")


def test_no_table_when_the_deps_dirs_metadata_cannot_be_read(tmp_path: Path, capsys) -> None:
    from dataclasses import replace

    from prebundle import load_config
    from prebundle.console import print_built
    from prebundle.metadata import METADATA
    from prebundle.optimizer import optimize
    from tests.support.apps import make_app

    root = make_app(tmp_path / "app", SOURCE, packages=["lodash", "dayjs"])
    config = load_config(root)
    result = optimize(config)
    (result.deps_dir / METADATA).write_text("{damaged")
    print_built(replace(result, built_sizes=None), config)
    assert capsys.readouterr().out == ""
