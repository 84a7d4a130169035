"""Housekeeping of the machine-wide cache (``cache_usage.py``, ``cache_housekeeping.py``): sizes,
least-recently-used pruning, leftovers of killed writers, the automatic daily limit and
``prebundle cache info|prune``, on real folders, through the real command and a real optimize run.

Entries are made as the writers make them (``SharedCache.put``, files named as the interop and
compression stores name theirs); their last use is set with ``os.utime``, as a read long ago
would have left it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.bundle import BuiltEntry, PackageBuild
from prebundle.cache_housekeeping import (DEFAULT_MAX_SIZE, PRUNE_EVERY, STAMP, maybe_prune, parse_size, prune,
                                          size_limit)
from prebundle.cache_usage import MARK_INTERVAL, cache_entries, format_size, mark_used, usage
from prebundle.integrations.compress import precompress
from prebundle.optimizer import optimize
from prebundle.plan import PlannedId, PlannedPackage
from prebundle.records import package_record
from prebundle.shared_cache import SharedCache
from tests.support.apps import make_app

PREBUNDLE = Path(sys.executable).parent / "prebundle"
HOUR = 3600.0
KB = 1024


# -- making entries -----------------------------------------------------------------------------


def used(path: Path, hours_ago: float) -> Path:
    """Set ``path``'s last use (its mtime) to ``hours_ago`` hours ago."""
    when = time.time() - hours_ago * HOUR
    os.utime(path, (when, when))
    return path


def package_entry(base: Path, name: str, *, kb: int = 40, hours_ago: float = 3.0, parts: int = 1) -> tuple[PlannedPackage, str]:
    """A built package stored as a run stores it (``SharedCache.put``), last used ``hours_ago``."""
    source = base.parent / "sources" / name / "index.js"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("export default 1\n")
    package = PlannedPackage(name, source.parent, "1.0.0", (PlannedId(name, source, name, source.parent, "1.0.0"),))
    key = f"{name}-0123456789abcdef"
    files = {f"{name}.js": random.randbytes(kb * KB), **{f"{name}-part{i}.js": random.randbytes(KB) for i in range(parts)}}
    build = PackageBuild(package, key, {name: BuiltEntry(name, f"{name}.js", source, False, (), (), (), ())}, {}, files)
    SharedCache(base).put(build, package_record(build))
    used(base / "packages" / key / "record.json", hours_ago)
    return package, key


def interop_entry(base: Path, name: str, *, kb: int = 40, hours_ago: float = 3.0) -> Path:
    path = base / "interop" / f"{name:0<32}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.randbytes(kb * KB))
    return used(path, hours_ago)


def compressed_entry(base: Path, name: str, *, kb: int = 40, hours_ago: float = 3.0) -> Path:
    path = base / "compressed" / "br" / f"{name:0<40}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.randbytes(kb * KB))
    return used(path, hours_ago)


def esbuild_binary(base: Path, *, kb: int = 400) -> Path:
    path = base / "esbuild" / "0.28.2" / "linux-x64" / "esbuild"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.randbytes(kb * KB))
    path.with_name("esbuild.stamp").write_text("{}")
    return used(path, 24 * 30)


def packages_left(base: Path) -> set[str]:
    return {path.name.split("-")[0] for path in (base / "packages").iterdir()}


@pytest.fixture
def base() -> Path:
    """The machine-wide cache folder of this test (tests/conftest.py gives each test its own)."""
    return Path(os.environ["PREBUNDLE_CACHE_DIR"])


@pytest.fixture
def warnings():
    """The records logged on ``prebundle.cache`` (the CLI's logging set-up may have stopped them
    from reaching the root logger, where caplog listens)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("prebundle.cache")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PREBUNDLE), "cache", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


# -- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "size"), [
    ("1024", 1024), ("0", 0), ("2G", 2 * 1024**3), ("2g", 2 * 1024**3), ("500M", 500 * 1024**2),
    ("1.5GB", int(1.5 * 1024**3)), ("750MiB", 750 * 1024**2), ("750mib", 750 * 1024**2), ("10k", 10 * 1024),
    ("100B", 100), (" 3 gb ", 3 * 1024**3), ("1T", 1024**4), (".5G", 512 * 1024**2),
])
def test_sizes_are_parsed_in_powers_of_1024(text: str, size: int):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "2X", "-1G", "2 G B", "1iB", "ten", "1,5G", "2GG"])
def test_what_is_not_a_size_says_how_to_write_one(text: str):
    with pytest.raises(ValueError, match="is not a size .like 2G, 500M, 1.5GB, 750MiB, or 1024 for bytes."):
        parse_size(text)


# -- last use ---------------------------------------------------------------------------------


def test_a_read_marks_an_entry_used_at_most_once_an_hour(tmp_path: Path):
    record = tmp_path / "record.json"
    record.write_text("{}")
    used(record, 0.5)
    half_an_hour_ago = record.stat().st_mtime
    mark_used(record)
    assert record.stat().st_mtime == half_an_hour_ago  # a hot entry is not written on every read
    used(record, 1.5)
    mark_used(record)
    assert time.time() - record.stat().st_mtime < 60
    mark_used(tmp_path / "gone" / "record.json")  # never raises


def test_shared_cache_reads_mark_the_entry_and_a_miss_does_not_create_it(base: Path):
    package, key = package_entry(base, "alpha", hours_ago=5)
    record = base / "packages" / key / "record.json"
    build = SharedCache(base).get(package, key)
    assert build is not None and build.reused
    assert time.time() - record.stat().st_mtime < 60
    assert SharedCache(base).get(package, "missing-key") is None
    assert not (base / "packages" / "missing-key").exists()


@pytest.mark.parametrize("store_on_another_file_system", [False, True])
def test_a_compressed_copy_taken_from_the_store_is_marked_used(tmp_path: Path, store_on_another_file_system: bool):
    shm = Path("/dev/shm")
    if store_on_another_file_system and (not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev):
        pytest.skip("needs /dev/shm on another file system than the temp folder")
    store = (shm / f"prebundle-store-{os.getpid()}") if store_on_another_file_system else tmp_path / "store"
    try:
        code = "export const answer = 42;\n" * 400
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "a.js").write_text(code)
        precompress(tmp_path / "first", store=store, brotli=False)
        (kept,) = (store / "gzip").iterdir()
        used(kept, 5)
        written = precompress(tmp_path / "second", store=store, brotli=False)
        assert [path.name for path in written] == ["a.js.gz"]
        assert time.time() - kept.stat().st_mtime < 60
    finally:
        if store_on_another_file_system:
            import shutil

            shutil.rmtree(store, ignore_errors=True)


# -- usage ------------------------------------------------------------------------------------


def test_usage_counts_each_kind_and_the_leftovers(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    package_entry(base, "beta", hours_ago=1)
    interop_entry(base, "i1", hours_ago=2)
    compressed_entry(base, "c1", hours_ago=3)
    esbuild_binary(base)
    (base / "packages" / ".tmp-0123456789ab").mkdir()
    (base / "interop" / ".i1.json.0123456789ab").write_text("{")
    found = usage(base)
    counts = {name: kind.entries for name, kind in found.kinds.items()}
    assert counts == {"packages": 2, "interop": 1, "compressed": 1, "esbuild": 1, "other": 0}
    assert found.leftovers.entries == 2
    assert found.kinds["packages"].size > 80 * KB and found.kinds["esbuild"].size > 400 * KB
    du = subprocess.run(["du", "-s", "-B1", str(base)], capture_output=True, text=True, check=True)
    assert found.size == int(du.stdout.split()[0])  # bytes on disk, as du counts them
    assert round((time.time() - found.oldest_use) / HOUR) == 5
    assert round((time.time() - found.newest_use) / HOUR) == 1


def test_usage_of_a_missing_folder_is_empty(tmp_path: Path):
    found = usage(tmp_path / "nothing")
    assert found.entries == 0 and found.size == 0 and found.oldest_use is None


# -- prune ------------------------------------------------------------------------------------


def test_prune_removes_the_least_recently_used_entries_of_every_kind_first(base: Path):
    _, oldest = package_entry(base, "oldest", hours_ago=10)
    old = interop_entry(base, "old", hours_ago=9)
    older = compressed_entry(base, "older", hours_ago=8)
    _, middle = package_entry(base, "middle", hours_ago=7)
    package_entry(base, "newer", hours_ago=3)
    package_entry(base, "newest", hours_ago=2)
    sizes = {entry.path: entry.size for entry in cache_entries(base) if entry.counted}
    four = [base / "packages" / oldest, old, older, base / "packages" / middle]
    limit = usage(base).size - sum(sizes[path] for path in four)  # the four least recently used must go
    result = prune(base, limit)
    assert packages_left(base) == {"newer", "newest"}
    assert not list((base / "interop").glob("*.json")) and not list((base / "compressed" / "br").iterdir())
    assert result.removed["packages"].entries == 2 and result.removed["interop"].entries == 1
    assert result.removed["compressed"].entries == 1
    assert result.remaining == usage(base).size == limit
    assert result.describe()[0] == (
        f"removed 2 packages ({fmt(result.removed['packages'].size)}), 1 interop answer "
        f"({fmt(result.removed['interop'].size)}), 1 compressed copy ({fmt(result.removed['compressed'].size)}); "
        f"{fmt(result.remaining)} remain")


def fmt(size: int) -> str:
    return format_size(size)


def test_prune_under_the_limit_removes_nothing(base: Path):
    package_entry(base, "alpha", hours_ago=100)
    result = prune(base, 10 * 1024**2)
    assert packages_left(base) == {"alpha"} and result.removed_entries == 0
    assert result.describe() == [f"removed nothing; {fmt(result.remaining)} remain"]


def test_entries_used_in_the_last_keep_recent_seconds_and_the_hour_of_marking_are_kept(base: Path):
    package_entry(base, "now", hours_ago=0)
    package_entry(base, "minutes", hours_ago=0.1)
    package_entry(base, "within", hours_ago=0.9)  # a read since may not show yet: marks are hourly
    package_entry(base, "old", hours_ago=1.5)
    interop_entry(base, "fresh", hours_ago=0.2)
    assert prune(base, 0, keep_recent=HOUR).removed_entries == 0  # 1.5 h < 1 h + the hour of marking
    result = prune(base, 0)
    assert packages_left(base) == {"now", "minutes", "within"}
    assert list((base / "interop").glob("*.json"))
    assert result.kept_recent.entries == 4 and result.over_limit
    assert result.describe()[1].startswith("4 entries used in the last 70 minutes kept (")
    assert result.describe()[1].endswith("a run may be reading them; still over the limit of 0 B")
    assert MARK_INTERVAL == HOUR
    assert prune(base, 0, keep_recent=0).removed_entries == 0  # a read within the hour may not show yet


def test_the_esbuild_binaries_count_but_are_never_removed(base: Path):
    binary = esbuild_binary(base, kb=600)
    package_entry(base, "alpha", hours_ago=5)
    result = prune(base, 300 * KB)
    assert binary.is_file() and binary.with_name("esbuild.stamp").is_file()
    assert not (base / "packages" / "alpha-0123456789abcdef").exists()
    assert result.esbuild_over_limit and result.esbuild >= 600 * KB
    assert result.describe()[-1] == (f"the esbuild binaries alone ({fmt(result.esbuild)}) exceed the limit of "
                                     "300.0 kB: they are never removed")


def test_leftovers_older_than_an_hour_are_removed_and_younger_ones_kept(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    old_folder = base / "packages" / ".tmp-0123456789ab"
    (old_folder / "sub").mkdir(parents=True)
    (old_folder / "sub" / "half.js").write_bytes(b"x" * 5000)
    used(old_folder, 2)
    old_file = used(_write(base / "interop" / ".0123.json.a1b2c3d4e5f6", b"{"), 3)
    old_trash = used(_mkdir(base / "packages" / ".trash-a1b2c3d4e5f6"), 1.5)
    young_folder = _mkdir(base / "packages" / ".tmp-fedcba987654")  # a writer at work
    young_file = _write(base / "compressed" / "gzip" / ".abcd.a1b2c3d4e5f6", b"x")
    young_esbuild = _write(base / "esbuild" / "0.28.2" / "linux-x64" / ".esbuild.a1b2c3d4e5f6", b"x")
    result = prune(base, None)  # no limit: only leftovers go
    assert not old_folder.exists() and not old_file.exists() and not old_trash.exists()
    assert young_folder.is_dir() and young_file.is_file() and young_esbuild.is_file()
    assert packages_left(base) == {"alpha", ".tmp"}
    assert result.leftovers.entries == 3 and result.removed_entries == 0
    assert result.describe() == [f"removed 3 leftovers; {fmt(result.remaining)} remain"]
    assert usage(base).leftovers.entries == 3


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def test_a_dry_run_says_what_would_go_and_removes_nothing(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    used(_mkdir(base / "packages" / ".tmp-0123456789ab"), 2)
    result = prune(base, 0, dry_run=True)
    assert (base / "packages" / "alpha-0123456789abcdef").is_dir() and (base / "packages" / ".tmp-0123456789ab").is_dir()
    assert not (base / STAMP).exists()
    assert result.describe()[0].startswith("would remove 1 package (") and "1 leftover;" in result.describe()[0]
    assert result.describe()[0].endswith("would remain")


def test_readers_during_a_prune_find_a_whole_build_or_none(base: Path, monkeypatch):
    """A package is renamed away before it is deleted: ``get`` never sees one half gone.
    (The readers do not mark their reads as uses: a marked entry is rightly kept, and fast
    readers marked all 40 before the prune reached any, so it removed nothing to test.)"""
    monkeypatch.setattr("prebundle.shared_cache.mark_used", lambda path: None)
    for round_ in range(3):
        entries = [package_entry(base, f"p{round_}x{i}", kb=4, hours_ago=5, parts=30) for i in range(40)]
        seen: list[object] = []
        stop = threading.Event()
        readers = [threading.Thread(target=read_until, args=(stop, base, entries, seen)) for _ in range(2)]
        for reader in readers:
            reader.start()
        result = prune(base, 0)
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
        assert not [item for item in seen if isinstance(item, BaseException)]
        assert all(build is None or len(build.files) == 31 for build in seen)
        assert result.removed["packages"].entries > 0
        for package, key in entries:  # what is left is whole
            folder = base / "packages" / key
            assert not folder.exists() or SharedCache(base).get(package, key) is not None
    assert not [path for path in (base / "packages").iterdir() if path.name.startswith((".trash-", ".tmp-"))]


def read_until(stop: threading.Event, base: Path, entries: list[tuple[PlannedPackage, str]], seen: list) -> None:
    """Read every entry, in random orders, until ``stop``; what each read gave goes to ``seen``."""
    cache = SharedCache(base)
    try:
        while not stop.is_set():
            for package, key in random.sample(entries, len(entries)):
                seen.append(cache.get(package, key))
    except BaseException as error:  # noqa: BLE001 - handed to the test
        seen.append(error)


# -- the automatic limit ----------------------------------------------------------------------


def test_the_automatic_limit_prunes_once_a_day(base: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_MAX_SIZE", "100k")
    package_entry(base, "alpha", hours_ago=5)
    package_entry(base, "beta", hours_ago=4)
    package_entry(base, "gamma", hours_ago=3)
    first = maybe_prune()
    assert first is not None and first.max_size == 100 * KB
    assert packages_left(base) == {"gamma"}
    assert time.time() - (base / STAMP).stat().st_mtime < 60
    package_entry(base, "delta", hours_ago=2)
    assert maybe_prune() is None  # the stamp is fresh: one stat, nothing else
    assert packages_left(base) == {"gamma", "delta"}
    used(base / STAMP, PRUNE_EVERY / HOUR + 1)
    assert maybe_prune(base) is not None
    assert packages_left(base) == {"delta"}


@pytest.mark.parametrize("setting", ["off", "0", "OFF"])
def test_the_automatic_limit_can_be_turned_off(base: Path, monkeypatch, setting: str):
    monkeypatch.setenv("PREBUNDLE_CACHE_MAX_SIZE", setting)
    package_entry(base, "alpha", hours_ago=500)
    assert size_limit().max_size is None
    assert maybe_prune() is None
    assert packages_left(base) == {"alpha"}


def test_a_bad_limit_is_one_warning_and_the_default(base: Path, monkeypatch, warnings):
    monkeypatch.setenv("PREBUNDLE_CACHE_MAX_SIZE", "lots")
    package_entry(base, "alpha", hours_ago=500)
    result = maybe_prune()
    assert result is not None and result.max_size == DEFAULT_MAX_SIZE == 10 * 1024**3
    assert packages_left(base) == {"alpha"}
    assert [record.getMessage() for record in warnings] == [
        "warning: PREBUNDLE_CACHE_MAX_SIZE: 'lots' is not a size (like 2G, 500M, 1.5GB, 750MiB, or 1024 for "
        "bytes); the limit is the default, 10.0 GB"]
    assert maybe_prune() is None and len(warnings) == 1  # checked again tomorrow


def test_the_automatic_limit_never_fails_a_run(tmp_path: Path, monkeypatch, warnings):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    assert maybe_prune() is None
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("")
    assert maybe_prune(not_a_folder) is None
    assert len(warnings) == 1 and warnings[0].getMessage().startswith(f"warning: could not prune the "
                                                                      f"machine-wide cache {not_a_folder} (")


# -- prebundle cache info | prune -------------------------------------------------------------


def test_cache_info_prints_a_table_of_each_kind_the_limit_and_the_leftovers(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    package_entry(base, "beta", hours_ago=1)
    interop_entry(base, "i1")
    esbuild_binary(base)
    used(_mkdir(base / "packages" / ".tmp-0123456789ab"), 2)
    done = cli("info", env={"PREBUNDLE_CACHE_MAX_SIZE": "2G"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    found = usage(base)
    assert lines[0] == f"folder: {base}"
    assert lines[1].split() == ["entries", "size"]
    assert lines[2].split() == ["packages", "2", *fmt(found.kinds["packages"].size).split()]
    assert lines[3].split()[:2] == ["interop", "1"] and lines[4].split()[:2] == ["compressed", "0"]
    assert lines[5].split()[:2] == ["esbuild", "1"] and lines[7].split()[:2] == ["leftovers", "1"]
    assert lines[8].split() == ["total", "4", *fmt(found.size).split()]
    assert lines[9] == "limit: 2.0 GB (PREBUNDLE_CACHE_MAX_SIZE=2G)"
    assert "prune` removes those over an hour old" in lines[10] and lines[11].startswith("last used: ")
    assert cli().stdout.splitlines()[9] == "limit: 10.0 GB (the default)"  # `prebundle cache` is `info`


def test_cache_info_json(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    done = cli("info", "--json", env={"PREBUNDLE_CACHE_MAX_SIZE": "off"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["enabled"] is True and report["folder"] == str(base)
    assert report["kinds"]["packages"]["entries"] == 1 and report["kinds"]["packages"]["bytes"] > 40 * KB
    assert report["total"]["bytes"] == usage(base).size and report["leftovers"] == {"entries": 0, "bytes": 0}
    assert report["limit"] == {"bytes": None, "setting": "off", "problem": None}
    assert report["oldestUse"] == report["newestUse"]


def test_cache_prune_prints_what_it_removed(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    package_entry(base, "beta", hours_ago=4)
    package_entry(base, "gamma", hours_ago=0)
    used(_mkdir(base / "packages" / ".tmp-0123456789ab"), 2)
    dry = cli("prune", "--max-size", "50K", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("would remove 2 packages ("), dry.stderr
    assert packages_left(base) == {"alpha", "beta", "gamma", ".tmp"}
    done = cli("prune", "--max-size", "50K")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("removed 2 packages (") and lines[0].endswith(f"1 leftover; {fmt(usage(base).size)} remain")
    assert lines[1].startswith("1 entry used in the last 70 minutes kept (")
    assert packages_left(base) == {"gamma"}


def test_cache_prune_json(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    done = cli("prune", "--max-size", "0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["removed"]["packages"]["entries"] == 1 and report["maxSize"] == 0
    assert report["overLimit"] is True and report["keptRecent"]["entries"] == 0  # the folders themselves
    assert report["dryRun"] is False and report["folder"] == str(base)


def test_cache_prune_defaults_to_the_limit_in_force(base: Path):
    package_entry(base, "alpha", hours_ago=5)
    done = cli("prune", env={"PREBUNDLE_CACHE_MAX_SIZE": "1k"})
    assert done.returncode == 0 and done.stdout.startswith("removed 1 package ("), done.stderr


def test_a_bad_size_is_a_one_line_error(base: Path):
    done = cli("prune", "--max-size", "2X")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: Invalid value for '--max-size': '2X' is not a size (like 2G, 500M, 1.5GB, 750MiB, "
                      "or 1024 for bytes)"]


@pytest.mark.parametrize("command", [("info",), ("prune", "--max-size", "1G"), ("info", "--json")])
def test_with_the_package_cache_off_both_commands_say_so(command: tuple[str, ...]):
    done = cli(*command, env={"PREBUNDLE_CACHE_DIR": "off"})
    assert done.returncode == 0, done.stderr
    if "--json" in command:
        assert json.loads(done.stdout) == {"enabled": False, "folder": None}
    else:
        assert done.stdout == "the machine-wide package cache is off (PREBUNDLE_CACHE_DIR=off)\n"


# -- with a real run --------------------------------------------------------------------------


MAIN = 'import dayjs from "dayjs"\nimport cx from "classnames"\n'


def test_after_a_prune_the_next_run_builds_again_the_same_files(base: Path, tmp_path: Path):
    first = optimize(load_config(make_app(tmp_path / "app", MAIN)))
    assert len(first.built) == 2
    stored = sorted(path.name for path in (base / "packages").iterdir())
    assert len(stored) == 2
    for path in base.rglob("*"):  # a day later
        if not path.is_symlink():
            used(path, 24)
    result = prune(base, 1)
    assert result.removed["packages"].entries == 2 and not list((base / "packages").iterdir())

    second = optimize(load_config(make_app(tmp_path / "other", MAIN)))
    assert second.built == first.built and second.reused == ()  # built again, not reused
    assert sorted(path.name for path in (base / "packages").iterdir()) == stored
    assert output_files(second.deps_dir) == output_files(first.deps_dir)


def output_files(deps_dir: Path) -> dict[str, bytes]:
    return {path.relative_to(deps_dir).as_posix(): path.read_bytes() for path in sorted(deps_dir.rglob("*"))
            if path.is_file() and path.name != "_metadata.json"}


def test_a_run_that_begins_the_cache_starts_its_daily_clock_and_a_later_one_prunes_on_time(base: Path, tmp_path: Path,
                                                                                           monkeypatch):
    """A cache a run began has nothing a day old: its first check is a day later (the run only
    stamps it, and walks none of the entries it is still writing). An older cache without the
    stamp is checked by the next run that stores packages."""
    monkeypatch.setenv("PREBUNDLE_CACHE_MAX_SIZE", "1k")
    first = optimize(load_config(make_app(tmp_path / "app", MAIN)))
    assert len(first.built) == 2 and len(list((base / "packages").iterdir())) == 2
    assert time.time() - (base / STAMP).stat().st_mtime < 60
    for path in base.rglob("*"):  # a day later, without the stamp (a cache of an earlier version)
        if not path.is_symlink():
            used(path, 25)
    (base / STAMP).unlink()
    other = optimize(load_config(make_app(tmp_path / "other", 'import React from "react"\n')))
    assert other.built  # it stores packages, so it checks the limit: the day-old entries go
    assert {path.name for path in (base / "packages").iterdir()} == {build_key for build_key in
                                                                      _keys_of(other.deps_dir)}
    assert time.time() - (base / STAMP).stat().st_mtime < 60


def _keys_of(deps_dir: Path) -> set[str]:
    metadata = json.loads((deps_dir / "_metadata.json").read_text())
    return {record["key"] for record in metadata["prebundle"]["packages"].values()}


def test_the_prune_clock_is_one_stat(tmp_path: Path):
    from prebundle.machine_cache import prune_due, start_prune_clock

    assert prune_due(tmp_path / "missing")  # no cache yet: maybe_prune looks closer
    assert start_prune_clock(tmp_path) and not prune_due(tmp_path)
    assert not start_prune_clock(tmp_path)  # a stamp is there: its age decides
    used(tmp_path / STAMP, PRUNE_EVERY / 3600 + 1)
    assert prune_due(tmp_path)
