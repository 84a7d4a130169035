"""What a run reuses, and that reusing never breaks what is served: files shared by two
packages, reused files never written through, damaged output rebuilt, every change reloads."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.optimizer import optimize

ESBUILD = Path(__file__).resolve().parents[2] / "fixtures" / "npm" / "node_modules"


def two_entry_package(modules: Path, name: str) -> None:
    """A package with two ids that share only esbuild's runtime helper, which esbuild puts in a
    content-hashed chunk: two such packages produce a chunk of the very same name and bytes."""
    folder = modules / name
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({
        "name": name, "version": "1.0.0", "type": "module",
        "exports": {"./one": "./one.js", "./two": "./two.js"}}))
    (folder / "one.js").write_text('import "./style.css";\nexport * as ns from "./a.js";\n')
    (folder / "two.js").write_text('export * as ns from "./b.js";\n')
    (folder / "a.js").write_text(f'export const a = "{name} a";\n')
    (folder / "b.js").write_text(f'export const b = "{name} b";\n')
    (folder / "style.css").write_text(".x { color: red }\n")


@pytest.fixture
def shared_chunk_app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    modules = root / "node_modules"
    modules.mkdir(parents=True)
    for name in ("esbuild", "@esbuild"):
        (modules / name).symlink_to(ESBUILD / name, target_is_directory=True)
    two_entry_package(modules, "pa")
    two_entry_package(modules, "pb")
    (modules / "pc").mkdir()
    (modules / "pc" / "package.json").write_text('{"name": "pc", "version": "1.0.0", "type": "module"}')
    (modules / "pc" / "index.js").write_text("export default 'pc';\n")
    (root / "index.html").write_text('<script type="module" src="/main.js"></script>\n')
    (root / "main.js").write_text('import "pa/one"\nimport "pa/two"\nimport "pb/one"\nimport "pb/two"\n')
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"pa": "1.0.0", "pb": "1.0.0"}}))
    set_integrity(root, pa="sha512-a", pb="sha512-b")
    return root


def set_integrity(root: Path, **integrity: str) -> None:
    """Record the packages in the lockfile as npm does; a new integrity means new bytes."""
    lock = root / "package-lock.json"
    data = json.loads(lock.read_text()) if lock.exists() else {"lockfileVersion": 3, "packages": {}}
    for name, value in integrity.items():
        data["packages"][f"node_modules/{name}"] = {"version": "1.0.0", "integrity": value}
    lock.write_text(json.dumps(data))


def shared_chunks(deps_dir: Path) -> set[str]:
    packages = json.loads((deps_dir / "_metadata.json").read_text())["prebundle"]["packages"].values()
    seen: dict[str, int] = {}
    for package in packages:
        for name in package["files"]:
            seen[name] = seen.get(name, 0) + 1
    return {name for name, count in seen.items() if count > 1}


def test_a_chunk_name_two_packages_share_is_one_file_in_incremental_runs(shared_chunk_app: Path):
    """Both packages reused while a third one is built: both list the chunk (SameFileError
    before); one of them built again: the same (bytes written through the link before)."""
    root = shared_chunk_app
    first = optimize(load_config(root))
    shared = shared_chunks(first.deps_dir)
    assert shared, "the two packages should share a runtime chunk"
    (root / "main.js").write_text((root / "main.js").read_text() + 'import "pc"\n')
    second = optimize(load_config(root))
    assert second.built == ("pc@1.0.0",) and second.reused == ("pa@1.0.0", "pb@1.0.0")
    (root / "node_modules" / "pb" / "a.js").write_text('export const a = "pb a, 2";\n')
    set_integrity(root, pb="sha512-b2")
    third = optimize(load_config(root))
    assert third.built == ("pb@1.0.0",) and third.reused == ("pa@1.0.0", "pc@1.0.0")
    for name in shared:
        assert (third.deps_dir / name).is_file()


def test_fresh_bytes_never_write_through_a_reused_file(shared_chunk_app: Path):
    """``pa`` is reused (its files hard-linked from the served folder) and ``pb`` is built
    again; ``pb`` lists the chunk name ``pa`` has, and must not rewrite the served file (nor the
    machine-wide cache's copy of it) in place."""
    root = shared_chunk_app
    first = optimize(load_config(root))
    (name,) = sorted(shared_chunks(first.deps_dir))[:1]
    keep = os.open(first.deps_dir / name, os.O_RDONLY)  # the inode a server may be sending now
    try:
        before = os.fstat(keep)
        set_integrity(root, pb="sha512-b2")
        (root / "node_modules" / "pb" / "a.js").write_text('export const a = "pb a, 2";\n')
        second = optimize(load_config(root))
        assert second.built == ("pb@1.0.0",) and second.reused == ("pa@1.0.0",)
        after = os.fstat(keep)
        assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    finally:
        os.close(keep)


def test_a_truncated_import_map_is_rebuilt_not_served(shared_chunk_app: Path):
    root = shared_chunk_app
    first = optimize(load_config(root))
    importmap = first.deps_dir / "importmap.json"
    good = importmap.read_bytes()
    importmap.write_bytes(good[:40])
    again = optimize(load_config(root))
    assert not again.up_to_date and again.built == ()  # the packages' files were fine: reused
    assert importmap.read_bytes() == good


def test_a_damaged_output_file_rebuilds_its_package(shared_chunk_app: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")  # else it comes back from there
    root = shared_chunk_app
    first = optimize(load_config(root))
    metadata = json.loads((first.deps_dir / "_metadata.json").read_text())
    file = first.deps_dir / metadata["optimized"]["pb/one"]["file"]
    good = file.read_bytes()
    file.write_bytes(good[: len(good) // 2])  # truncated: another size
    again = optimize(load_config(root))
    assert not again.up_to_date and again.built == ("pb@1.0.0",)
    assert file.read_bytes() == good


def test_a_same_size_corruption_is_caught_when_the_package_is_reused(shared_chunk_app: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")  # else it comes back from there
    root = shared_chunk_app
    first = optimize(load_config(root))
    metadata = json.loads((first.deps_dir / "_metadata.json").read_text())
    file = first.deps_dir / metadata["optimized"]["pa/one"]["file"]
    good = file.read_bytes()
    file.write_bytes(good.replace(b"./", b".!"))
    (root / "main.js").write_text((root / "main.js").read_text() + "// touched\n")
    set_integrity(root, pb="sha512-b3")
    again = optimize(load_config(root))  # pb changed; pa's files are checked before reuse
    assert "pa@1.0.0" in again.built
    assert file.read_bytes() == good


def test_browser_hash_changes_when_only_a_css_file_changes(shared_chunk_app: Path):
    root = shared_chunk_app
    first = optimize(load_config(root))
    (root / "node_modules" / "pa" / "style.css").write_text(".x { color: blue }\n")  # a local edit
    second = optimize(load_config(root), force=True)
    metadata = lambda result: json.loads((result.deps_dir / "_metadata.json").read_text())  # noqa: E731
    assert metadata(second)["optimized"] == metadata(first)["optimized"]  # the JS is the same
    assert second.browser_hash != first.browser_hash  # pages still reload for the new CSS


def test_output_folders_and_files_have_the_usual_modes(shared_chunk_app: Path):
    root = shared_chunk_app
    old = os.umask(0o022)
    try:
        result = optimize(load_config(root))
    finally:
        os.umask(old)
    deps = result.deps_dir
    assert stat.S_IMODE(deps.stat().st_mode) == 0o755
    for path in deps.iterdir():
        expected = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == expected, path.name


def test_an_unusable_machine_wide_cache_warns_once_and_never_fails_a_run(shared_chunk_app: Path, tmp_path: Path,
                                                                      monkeypatch, caplog):
    if os.geteuid() == 0:
        # root reads and writes any folder: make the cache folder a file instead
        blocked = tmp_path / "cache-is-a-file"
        blocked.write_text("not a folder")
        monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(blocked / "sub"))
    else:
        blocked = tmp_path / "not-searchable"
        (blocked / "packages").mkdir(parents=True)
        blocked.chmod(0o600)
        monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(blocked))
    with caplog.at_level("WARNING", logger="prebundle"):
        result = optimize(load_config(shared_chunk_app))
    assert set(result.built) == {"pa@1.0.0", "pb@1.0.0"}
    warnings = [r.getMessage() for r in caplog.records if "machine-wide package cache" in r.getMessage()]
    assert len(warnings) == 1 and "continuing without it" in warnings[0]
    blocked.chmod(0o700)
