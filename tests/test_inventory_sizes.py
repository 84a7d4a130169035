"""Gzip sizes of the deps dir's files: measured at once on every core, remembered by content."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import prebundle.inventory_sizes as inventory_sizes
from prebundle.inventory_sizes import FileSize, SizeCache


def test_measure_gives_each_files_size_and_level_9_gzip_size(tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    deps.mkdir()
    contents = {f"m{i}.js": (f"export const v{i} = {i};\n" * (i * 500 + 1)).encode() for i in range(6)}
    for name, data in contents.items():
        (deps / name).write_bytes(data)
    cache = SizeCache(tmp_path)
    cache.measure([*(deps / name for name in contents), deps / "gone.js"])
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
    assert os.path.exists(tmp_path / inventory_sizes.SIZES)
