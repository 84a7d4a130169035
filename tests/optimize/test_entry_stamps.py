"""The machine-wide cache's verified stamps: an entry whose files were hashed and found intact
is not hashed again while its files' ``stat`` is unchanged, and any edit is still caught."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from prebundle import entry_stamps, load_config
from prebundle.entry_stamps import STAMP
from prebundle.hashing import InstallState
from prebundle.optimizer import optimize
from prebundle.resolve import Resolver
from tests.support.apps import make_app

MAIN = "import React from 'react'\nimport cn from 'classnames'\nimport { chunk } from 'lodash-es'\n"
HOUR_AGO = time.time() - 3600


def entries() -> list[Path]:
    return sorted(p for p in (Path(os.environ["PREBUNDLE_CACHE_DIR"]) / "packages").iterdir() if p.is_dir())


def settle(folder: Path) -> None:
    """The entry's files as an earlier day's build left them: their mtimes an hour ago."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (HOUR_AGO, HOUR_AGO))


def stamp_of(folder: Path) -> dict:
    return json.loads((folder / STAMP).read_bytes())


def test_a_verified_entry_is_stamped_with_each_files_stat(tmp_path):
    first = optimize(load_config(make_app(tmp_path / "a", MAIN)))
    assert len(first.built) == 3
    assert not any((entry / STAMP).exists() for entry in entries())  # a build is not a verification
    for entry in entries():
        settle(entry)
    assert optimize(load_config(make_app(tmp_path / "b", MAIN))).built == ()
    for entry in entries():
        record = json.loads((entry / "record.json").read_text())
        stamp = stamp_of(entry)
        assert set(stamp) == set(record["files"])
        for name, (size, mtime_ns, inode) in stamp.items():
            stat = (entry / name).stat()
            assert (size, mtime_ns, inode) == (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def test_files_written_moments_ago_are_not_stamped(tmp_path, monkeypatch):
    """A file written in the same tick of the file system's clock as a stamp could be edited
    after it without a new mtime: only files older than ``SETTLED`` are stamped (an hour here,
    so that a slow machine cannot make the builds settle before the second run)."""
    monkeypatch.setattr(entry_stamps, "SETTLED", 3600.0)
    optimize(load_config(make_app(tmp_path / "a", MAIN)))
    assert optimize(load_config(make_app(tmp_path / "b", MAIN))).built == ()
    assert not any((entry / STAMP).exists() for entry in entries())


def test_a_stamped_file_is_not_read_again(tmp_path):
    """What the stamp stands for: a file whose size, mtime and inode are as stamped is taken
    without hashing. (Bytes changed with the old mtime put back on purpose go unseen: the
    documented limit, shown here to prove the file was not read.)"""
    optimize(load_config(make_app(tmp_path / "a", MAIN)))
    for entry in entries():
        settle(entry)
    second = optimize(load_config(make_app(tmp_path / "b", MAIN)))
    assert second.built == ()
    served = second.deps_dir / "classnames.js"
    before = served.stat()
    edit_in_place(served)
    os.utime(served, ns=(before.st_atime_ns, before.st_mtime_ns))
    third = optimize(load_config(make_app(tmp_path / "c", MAIN)))
    assert third.built == ()
    assert b"edited by hand" in (third.deps_dir / "classnames.js").read_bytes()


def edit_in_place(path: Path) -> None:
    """Same size, other bytes, written into the same inode (as an editor that truncates does)."""
    original = path.read_bytes()
    inode = path.stat().st_ino
    with open(path, "r+b") as file:
        file.write(b"/* edited by hand */"[: len(original)])
    assert path.stat().st_ino == inode and path.stat().st_size == len(original)


def test_an_edit_of_a_stamped_file_is_caught_and_the_package_built_again(tmp_path):
    """The deps dir's files of a project served by the cache are hard links to the entry's:
    an edit made there reaches the entry. Its mtime changes, so the next project hashes the
    file again and builds the package anew."""
    optimize(load_config(make_app(tmp_path / "a", MAIN)))
    for entry in entries():
        settle(entry)
    second = optimize(load_config(make_app(tmp_path / "b", MAIN)))
    assert second.built == () and all((entry / STAMP).exists() for entry in entries())
    edit_in_place(second.deps_dir / "classnames.js")
    third = optimize(load_config(make_app(tmp_path / "c", MAIN)))
    assert third.built == ("classnames@2.5.1",)
    assert b"edited by hand" not in (third.deps_dir / "classnames.js").read_bytes()


def test_a_replaced_file_with_the_old_mtime_is_caught(tmp_path):
    """A file replaced by another (a rename over it) with its size and mtime copied: the inode
    tells."""
    optimize(load_config(make_app(tmp_path / "a", MAIN)))
    for entry in entries():
        settle(entry)
    assert optimize(load_config(make_app(tmp_path / "b", MAIN))).built == ()
    [entry] = [entry for entry in entries() if (entry / "classnames.js").exists()]
    target = entry / "classnames.js"
    replacement = entry / "replacement.tmp"
    replacement.write_bytes(b"/* swapped */".ljust(target.stat().st_size, b" "))
    os.utime(replacement, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns))
    os.replace(replacement, target)
    third = optimize(load_config(make_app(tmp_path / "c", MAIN)))
    assert third.built == ("classnames@2.5.1",)
    assert b"swapped" not in (third.deps_dir / "classnames.js").read_bytes()


def test_a_damaged_stamp_only_costs_a_hash(tmp_path):
    optimize(load_config(make_app(tmp_path / "a", MAIN)))
    for entry in entries():
        settle(entry)
        (entry / STAMP).write_text("{ not json")
    second = optimize(load_config(make_app(tmp_path / "b", MAIN)))
    assert second.built == () and len(second.reused) == 3
    assert all(isinstance(stamp_of(entry), dict) for entry in entries())  # written again, whole


def test_the_install_identity_follows_real_paths(tmp_path):
    """A package's identity names its folder relative to the lockfile's, by real paths (the
    resolver's): an install inside, the same through a symlinked project folder, a workspace
    package linked into node_modules (its lockfile key is its own folder), and one linked from
    outside (the hoisted record)."""
    root = tmp_path / "project"
    (root / "node_modules/inside").mkdir(parents=True)
    (root / "packages/ws").mkdir(parents=True)
    (root / "package-lock.json").write_text(json.dumps({"packages": {
        "node_modules/inside": {"version": "1.0.0", "integrity": "sha512-inside"},
        "packages/ws": {"version": "3.0.0", "resolved": "packages/ws"},
        "node_modules/outside": {"version": "2.0.0", "integrity": "sha512-outside"}}}))
    (root / "node_modules/ws").symlink_to(root / "packages/ws")
    (tmp_path / "elsewhere/outside").mkdir(parents=True)
    (root / "node_modules/outside").symlink_to(tmp_path / "elsewhere/outside")
    (tmp_path / "alias").symlink_to(root)
    for base in (root, tmp_path / "alias"):
        state = InstallState(base, realpath=Resolver(base).realpath)
        inside = json.loads(state.identity(base / "node_modules/inside", "inside", "1.0.0"))
        assert inside[2:4] == ["node_modules/inside", "sha512-inside"]
        workspace = json.loads(state.identity(base / "node_modules/ws", "ws", "3.0.0"))
        assert workspace[2:4] == ["packages/ws", "packages/ws"]
        outside = json.loads(state.identity(base / "node_modules/outside", "outside", "2.0.0"))
        assert outside[2:4] == ["node_modules/outside", "sha512-outside"]
