"""Builds written into the staging folder as they return (``staging_files``): the folder ends
up holding exactly what the run keeps, whatever was drafted on the way."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from prebundle.metadata import FileInfo
from prebundle import staging_files
from prebundle.staging_files import StagingWriter, link_unchanged, new_file, place, reconcile


def build(files: dict[str, bytes], *, reused: bool = False) -> SimpleNamespace:
    """What the writer reads of a ``PackageBuild``."""
    return SimpleNamespace(files=files, file_infos={n: FileInfo.of(c) for n, c in files.items()}, reused=reused)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def kept_of(*builds: SimpleNamespace) -> dict[str, tuple[bytes, FileInfo]]:
    return {name: (b.files[name], b.file_infos[name]) for b in builds for name in b.files}


def test_drafts_of_kept_builds_stay_and_the_rest_is_placed(tmp_path: Path) -> None:
    a = build({"a.js": b"export const a = 1;", "a.js.map": b"{}", "chunk-X.js": b"helpers"})
    b = build({"b.js": b"export const b = 2;", "chunk-X.js": b"helpers"})
    writer = StagingWriter(tmp_path)
    writer.add([a])
    writer.add([b])
    drafts = writer.finish()
    assert set(drafts) == {"a.js", "a.js.map", "chunk-X.js", "b.js"}
    before = {name: (tmp_path / name).stat().st_ino for name in drafts}

    reconcile(kept_of(a, b), drafts, tmp_path, writer.folders)
    assert tree(tmp_path) == {"a.js": b"export const a = 1;", "a.js.map": b"{}", "b.js": b"export const b = 2;",
                              "chunk-X.js": b"helpers"}
    assert {name: (tmp_path / name).stat().st_ino for name in drafts} == before, "nothing written twice"


def test_a_package_built_again_or_dropped_leaves_no_draft_behind(tmp_path: Path) -> None:
    first = build({"pkg.js": b"export const v = 1;", "pkg.js.map": b"{1}", "dropped.js": b"gone"})
    writer = StagingWriter(tmp_path)
    writer.add([first])
    drafts = writer.finish()

    again = build({"pkg.js": b"export const v = 2;", "pkg_sub.js": b"export const s = 3;"})
    reconcile(kept_of(again), drafts, tmp_path, writer.folders)
    assert tree(tmp_path) == {"pkg.js": b"export const v = 2;", "pkg_sub.js": b"export const s = 3;"}


def test_a_dropped_builds_folder_goes_with_it(tmp_path: Path) -> None:
    worker = build({"pkg.js": b"export {};", "assets/w/worker-1.js": b"onmessage = null;"})
    writer = StagingWriter(tmp_path)
    writer.add([worker])
    drafts = writer.finish()
    kept = build({"pkg.js": b"export {};"})
    reconcile(kept_of(kept), drafts, tmp_path, writer.folders)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["pkg.js"]


def test_a_stopped_writer_writes_nothing_more(tmp_path: Path) -> None:
    writer = StagingWriter(tmp_path)
    for n in range(200):
        writer.add([build({f"p{n}/f{i}.js": b"x" * 50_000 for i in range(10)})])
    writer.close()  # a failed run: batches not started are dropped, the one under way ends
    after_close = tree(tmp_path)
    assert len(after_close) < 2000
    assert tree(tmp_path) == after_close


def test_reused_builds_are_left_to_the_publish(tmp_path: Path) -> None:
    writer = StagingWriter(tmp_path)
    writer.add([build({"old.js": b"x"}, reused=True)])
    assert writer.finish() == {}
    assert tree(tmp_path) == {}


def test_a_failed_write_is_raised_by_finish(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_bytes(b"in the way")  # a new file is never written through a name
    writer = StagingWriter(tmp_path)
    writer.add([build({"a.js": b"new"})])
    with pytest.raises(FileExistsError) as caught:
        writer.finish()
    assert caught.value.errno == errno.EEXIST


def test_place_writes_new_files_and_links_reused_ones(tmp_path: Path) -> None:
    source = tmp_path / "cache" / "r.js"
    source.parent.mkdir()
    source.write_bytes(b"reused")
    staging = tmp_path / "staging"
    folders: set[str] = set()
    place(b"fresh" * 100_000, staging, "sub/new.js", folders)
    place(source, staging, "r.js", folders)
    assert (staging / "sub" / "new.js").read_bytes() == b"fresh" * 100_000
    assert (staging / "r.js").stat().st_ino == source.stat().st_ino
    with pytest.raises(FileExistsError):
        place(b"again", staging, "sub/new.js", folders)


def test_a_gzip_size_is_known_only_for_what_stays_written(tmp_path: Path) -> None:
    import gzip

    from prebundle.inventory_sizes import SizeCache

    first = build({"pkg.js": b"export const v = 1;\n" * 50, "pkg.js.map": b"{}"})
    writer = StagingWriter(tmp_path / "staging", SizeCache(tmp_path / "cache"))
    (tmp_path / "staging").mkdir()
    writer.add([first])
    writer.finish()
    module = first.files["pkg.js"]
    assert writer.gzip_size("pkg.js", first.file_infos["pkg.js"]) == len(gzip.compress(module, 9, mtime=0))
    assert writer.gzip_size("pkg.js.map", first.file_infos["pkg.js.map"]) is None  # maps: not loaded by pages
    again = build({"pkg.js": b"export const v = 2;\n"})  # the package built again: the publish replaces the draft
    assert writer.gzip_size("pkg.js", again.file_infos["pkg.js"]) is None


def test_files_identical_to_the_replaced_output_are_linked_and_the_rest_written(tmp_path: Path) -> None:
    previous = tmp_path / "deps"
    old = {"same.js": b"export const same = 1;", "sub/same.js.map": b'{"version":3}' * 20_000,
           "edited.js": b"export const v = 2;", "resized.js": b"export const v = 10;"}
    for name, content in old.items():
        (previous / name).parent.mkdir(parents=True, exist_ok=True)
        (previous / name).write_bytes(content)
    (previous / "folder.js").mkdir()  # not a file: never linked
    new = build({"same.js": old["same.js"], "sub/same.js.map": old["sub/same.js.map"],
                 "edited.js": b"export const v = 3;",  # same size, other bytes (a file edited by hand)
                 "resized.js": b"export const v = 1;", "fresh.js": b"new", "folder.js": b"export {};"})
    staging = tmp_path / "staging"
    writer = StagingWriter(staging, previous=previous)
    writer.add([new])
    assert writer.finish() == new.file_infos
    assert tree(staging) == new.files
    linked = {name for name in new.files
              if (previous / name).is_file() and (staging / name).stat().st_ino == (previous / name).stat().st_ino}
    assert linked == {"same.js"}  # not through a folder, which could be a symlink
    assert (previous / "edited.js").read_bytes() == b"export const v = 2;"  # the replaced output is untouched


def test_link_unchanged_places_nothing_unless_the_bytes_are_equal(tmp_path: Path) -> None:
    (tmp_path / "old.js").write_bytes(b"abc")
    folders: set[str] = set()
    staging = tmp_path / "staging"
    assert not link_unchanged(b"abd", str(tmp_path / "old.js"), staging, "a.js", folders)
    assert not link_unchanged(b"abcd", str(tmp_path / "old.js"), staging, "a.js", folders)
    assert not link_unchanged(b"abc", str(tmp_path / "missing.js"), staging, "a.js", folders)
    assert not (staging / "a.js").exists()
    assert link_unchanged(b"abc", str(tmp_path / "old.js"), staging, "a.js", folders)
    assert (staging / "a.js").read_bytes() == b"abc"


def test_a_symlink_in_the_replaced_output_is_never_linked(tmp_path: Path) -> None:
    """A symlink could point anywhere: the file is written, even when the bytes it points at
    are the same."""
    outside = tmp_path / "outside.js"
    outside.write_bytes(b"export {};")
    previous = tmp_path / "deps"
    previous.mkdir()
    try:
        (previous / "a.js").symlink_to(outside)
    except OSError:
        pytest.skip("no symlinks here (Windows without the right)")
    staging = tmp_path / "staging"
    assert not link_unchanged(b"export {};", str(previous / "a.js"), staging, "a.js", set())
    writer = StagingWriter(staging, previous=previous)
    writer.add([build({"a.js": b"export {};"})])
    writer.finish()
    assert not (staging / "a.js").is_symlink() and (staging / "a.js").read_bytes() == b"export {};"
    assert (staging / "a.js").stat().st_ino != outside.stat().st_ino


def test_a_difference_past_the_first_piece_compared_is_found(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(staging_files, "_COMPARED_BYTES", 4)
    (tmp_path / "old.js").write_bytes(b"export const v = 1;")
    staging = tmp_path / "staging"
    assert not link_unchanged(b"export const v = 2;", str(tmp_path / "old.js"), staging, "a.js", set())
    assert link_unchanged(b"export const v = 1;", str(tmp_path / "old.js"), staging, "a.js", set())


def test_a_link_refused_by_the_file_system_writes_the_files_without_comparing_more(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    """Another device (or a file system without links) refuses every link: after the first,
    the run's files are written without reading the old ones again."""
    previous = tmp_path / "deps"
    previous.mkdir()
    (previous / "a.js").write_bytes(b"export {};")
    (previous / "b.js").write_bytes(b"export {};")
    links = []

    def refuse(*args, **kwargs):
        links.append(args)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(staging_files.os, "link", refuse)
    staging = tmp_path / "staging"
    writer = StagingWriter(staging, previous=previous)
    writer.add([build({"a.js": b"export {};", "b.js": b"export {};"})])
    writer.finish()
    assert tree(staging) == {"a.js": b"export {};", "b.js": b"export {};"}
    assert (staging / "a.js").stat().st_ino != (previous / "a.js").stat().st_ino
    assert len(links) == 1


@pytest.mark.skipif(os.name == "nt" or not hasattr(os, "getgroups"), reason="groups are POSIX's")
def test_a_file_of_another_group_than_a_new_file_gets_is_written_anew(tmp_path: Path) -> None:
    """After a chgrp of the folder (set-group-ID, for a server's group), --force gives every
    file that group, the unchanged ones too."""
    other = next((gid for gid in os.getgroups() if gid != os.getegid()), None)
    if other is None and os.geteuid() == 0:
        other = os.getegid() + 4321  # root may give a file any group
    if other is None:
        pytest.skip("this user is in one group only")
    previous = tmp_path / "deps"
    previous.mkdir()
    (previous / "a.js").write_bytes(b"export {};")
    staging = tmp_path / "staging"
    staging.mkdir()
    os.chown(staging, -1, other)
    staging.chmod(staging.stat().st_mode | stat.S_ISGID)
    made = new_file(staging)
    assert made is not None and made.gid == other
    (previous / "a.js").chmod(made.mode)
    writer = StagingWriter(staging, previous=previous)
    writer.add([build({"a.js": b"export {};"})])
    writer.finish()
    assert (staging / "a.js").stat().st_gid == other
    assert (staging / "a.js").stat().st_ino != (previous / "a.js").stat().st_ino


def test_a_read_only_file_is_not_linked_when_the_new_file_is_unknown(tmp_path: Path) -> None:
    """Without a probe (Windows), a read-only previous file is written anew: the attribute
    would otherwise be the new output's, and its folder could not be removed later."""
    (tmp_path / "old.js").write_bytes(b"export {};")
    (tmp_path / "old.js").chmod(stat.S_IREAD)
    staging = tmp_path / "staging"
    try:
        assert not link_unchanged(b"export {};", str(tmp_path / "old.js"), staging, "a.js", set())
    finally:
        (tmp_path / "old.js").chmod(stat.S_IREAD | stat.S_IWRITE)


@pytest.mark.skipif(os.name == "nt", reason="permission bits and FIFOs are POSIX's")
def test_another_mode_or_a_fifo_in_the_replaced_output_is_written_anew(tmp_path: Path) -> None:
    """A file left with other permission bits (another umask, a chmod) is not carried over,
    and a FIFO in the old output is never opened (that would wait forever)."""
    previous = tmp_path / "deps"
    previous.mkdir()
    staging = tmp_path / "staging"
    staging.mkdir()
    made = new_file(staging)
    assert made is not None
    mode = made.mode
    (previous / "private.js").write_bytes(b"export {};")
    (previous / "private.js").chmod(0o600 if mode != 0o600 else 0o640)
    (previous / "same.js").write_bytes(b"export {};")
    (previous / "same.js").chmod(mode)
    os.mkfifo(previous / "pipe.js")
    writer = StagingWriter(staging, previous=previous)
    writer.add([build({"private.js": b"export {};", "same.js": b"export {};", "pipe.js": b""})])
    writer.finish()
    assert tree(staging) == {"private.js": b"export {};", "same.js": b"export {};", "pipe.js": b""}
    assert (staging / "same.js").stat().st_ino == (previous / "same.js").stat().st_ino
    assert (staging / "private.js").stat().st_ino != (previous / "private.js").stat().st_ino
    assert stat.S_IMODE((staging / "private.js").stat().st_mode) == mode
    assert not list(staging.glob(".mode-*")), "the probe file is gone"
