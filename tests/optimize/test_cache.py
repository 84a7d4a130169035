"""Cache validity: what a run rebuilds, what it reuses, and that a kill never breaks the output."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema

from prebundle import load_config
from prebundle.optimizer import optimize
from tests.support.apps import make_app

PREBUNDLE = Path(sys.executable).parent / "prebundle"
MAIN = "import React from 'react'\nimport cn from 'classnames'\nimport { chunk } from 'lodash-es'\n"


def labels(names):
    return tuple(sorted(names))


def test_second_run_reuses_everything_and_does_no_bundling(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    first = optimize(load_config(root))
    assert not first.up_to_date and first.built == ("classnames@2.5.1", "lodash-es@4.18.1", "react@19.3.1")
    mtime = (first.deps_dir / "_metadata.json").stat().st_mtime_ns
    second = optimize(load_config(root))
    assert second.up_to_date and second.built == ()
    assert (first.deps_dir / "_metadata.json").stat().st_mtime_ns == mtime  # nothing written


def test_force_rebuilds_everything(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    optimize(load_config(root))
    forced = optimize(load_config(root), force=True)
    assert forced.built == ("classnames@2.5.1", "lodash-es@4.18.1", "react@19.3.1") and forced.reused == ()


def test_force_links_the_files_it_would_write_unchanged_and_rewrites_an_edited_one(tmp_path):
    """A --force run bundles again; a file whose new bytes equal the replaced output's is that
    file, hard-linked; one edited by hand in the deps dir (same size) is written anew."""
    root = make_app(tmp_path / "app", MAIN)
    deps = optimize(load_config(root)).deps_dir
    before = {p.relative_to(deps): (p.read_bytes(), p.stat().st_ino) for p in deps.rglob("*") if p.is_file()}
    react = next(name for name in before if name.name == "react.js")
    edited = before[react][0].replace(b"react", b"REACT", 1)
    assert len(edited) == len(before[react][0]) and edited != before[react][0]
    (deps / react).write_bytes(edited)  # in place: the inode stays, the bytes change

    forced = optimize(load_config(root), force=True)
    assert forced.built == ("classnames@2.5.1", "lodash-es@4.18.1", "react@19.3.1")
    after = {p.relative_to(deps): (p.read_bytes(), p.stat().st_ino) for p in deps.rglob("*") if p.is_file()}
    assert {name: content for name, (content, _) in after.items()} == {
        name: content for name, (content, _) in before.items()}, "the same output, the edit undone"
    assert after[react][1] != before[react][1]
    outputs = [name for name in before if name.suffix in (".js", ".map") and name != react]
    assert len(outputs) >= 6 and all(after[name][1] == before[name][1] for name in outputs)


def test_new_dependency_builds_only_that_package_and_keeps_other_urls(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    first = optimize(load_config(root))
    before = json.loads((first.deps_dir / "importmap.json").read_text())["imports"]
    (root / "src" / "main.js").write_text(MAIN + "import dayjs from 'dayjs'\n")
    second = optimize(load_config(root))
    assert second.built == ("dayjs@1.11.23",)
    assert set(second.reused) == {"classnames@2.5.1", "lodash-es@4.18.1", "react@19.3.1"}
    after = json.loads((second.deps_dir / "importmap.json").read_text())["imports"]
    assert {k: v for k, v in after.items() if k in before} == before  # browsers keep their copies
    assert "dayjs" in after


def test_lockfile_change_rebuilds_only_the_changed_package(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    optimize(load_config(root))
    lock = json.loads((root / "package-lock.json").read_text())
    lock["packages"]["node_modules/classnames"]["integrity"] = "sha512-changed"
    (root / "package-lock.json").write_text(json.dumps(lock))
    result = optimize(load_config(root))
    assert result.built == ("classnames@2.5.1",)
    assert set(result.reused) == {"lodash-es@4.18.1", "react@19.3.1"}


def test_relevant_config_change_rebuilds_and_irrelevant_does_not(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    optimize(load_config(root))
    assert optimize(load_config(root, overrides={"log_level": "error"})).up_to_date
    changed = optimize(load_config(root, overrides={"define": {"__FLAG__": "true"}}))
    assert changed.built == ("classnames@2.5.1", "lodash-es@4.18.1", "react@19.3.1")


def test_production_mode_is_minified_with_hashed_names(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    result = optimize(load_config(root, overrides={"mode": "production"}))
    metadata = json.loads((result.deps_dir / "_metadata.json").read_text())
    react_file = metadata["optimized"]["react"]["file"]
    assert react_file.startswith("react-") and react_file.endswith(".js") and react_file != "react.js"
    text = (result.deps_dir / react_file).read_text()
    assert "react.production" in metadata["optimized"]["react"]["src"] or "production" not in text
    assert text.count("\n") < 50  # minified


def test_force_in_production_compresses_anew_a_file_it_links(tmp_path):
    """A production --force may link its unchanged files from the replaced output; their
    compressed copies are made again, not taken from beside them (one could be edited)."""
    import gzip

    root = make_app(tmp_path / "app", MAIN)
    config = load_config(root, overrides={"mode": "production"})
    deps = optimize(config).deps_dir
    react = json.loads((deps / "_metadata.json").read_text())["optimized"]["react"]["file"]
    assert gzip.decompress((deps / (react + ".gz")).read_bytes()) == (deps / react).read_bytes()
    (deps / (react + ".gz")).write_bytes(gzip.compress(b"not react"))
    inode = (deps / react).stat().st_ino

    optimize(config, force=True)
    assert (deps / react).stat().st_ino == inode  # the same bytes: linked
    assert gzip.decompress((deps / (react + ".gz")).read_bytes()) == (deps / react).read_bytes()


def test_a_broken_cache_is_never_served(tmp_path):
    root = make_app(tmp_path / "app", MAIN)
    first = optimize(load_config(root))
    (first.deps_dir / "classnames.js").unlink()
    second = optimize(load_config(root))
    assert not second.up_to_date and (second.deps_dir / "classnames.js").is_file()


def test_schema_of_the_published_files(tmp_path):
    root = make_app(tmp_path / "app", MAIN + "import 'with-css'\n")
    deps = optimize(load_config(root)).deps_dir
    hash8 = {"type": "string", "pattern": "^[0-9a-f]{8}$"}
    files = {"type": "array", "items": {"type": "string"}}
    jsonschema.validate(json.loads((deps / "_metadata.json").read_text()), {
        "type": "object",
        "required": ["hash", "configHash", "lockfileHash", "browserHash", "optimized", "chunks"],
        "properties": {
            "hash": hash8, "configHash": hash8, "lockfileHash": hash8, "browserHash": hash8,
            "optimized": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["src", "file", "fileHash", "needsInterop"],
                "properties": {"src": {"type": "string"}, "file": {"type": "string", "pattern": r"\.js$"},
                               "fileHash": hash8, "needsInterop": {"type": "boolean"}}}},
            "chunks": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["file"], "properties": {"file": {"type": "string"}}}},
        },
    })
    jsonschema.validate(json.loads((deps / "importmap.json").read_text()), {
        "type": "object", "required": ["imports"], "additionalProperties": False,
        "properties": {"imports": {"type": "object", "additionalProperties": {
            "type": "string", "pattern": r"^/node_modules/\.vite/deps/[^/]+\.js\?v=[0-9a-f]{8}$"}}},
    })
    manifest = json.loads((deps / "manifest.json").read_text())
    jsonschema.validate(manifest, {"type": "object", "additionalProperties": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string"}, "src": {"type": "string"}, "isEntry": {"const": True},
                       "imports": {"type": "array", "items": {"type": "string", "pattern": "^_"}},
                       "css": files, "assets": files}}})
    for key, record in manifest.items():
        if key.startswith("_"):
            assert "isEntry" not in record and key == "_" + record["file"]
        else:
            assert record["isEntry"] and record["src"] == key
            assert all(name in manifest for name in record["imports"])


def _consistent(deps: Path) -> bool:
    """A deps dir is fine if missing, or if its metadata names only files that exist."""
    if not deps.exists():
        return True
    try:
        metadata = json.loads((deps / "_metadata.json").read_text())
    except FileNotFoundError:
        return False
    names = [o["file"] for o in metadata["optimized"].values()] + [c["file"] for c in metadata["chunks"].values()]
    return all((deps / name).is_file() for name in names)


def test_kill_at_any_moment_never_leaves_a_broken_deps_dir(tmp_path):
    root = make_app(tmp_path / "app", MAIN + "import moment from 'moment'\nimport { createRoot } from 'react-dom/client'\n")
    deps = root / "node_modules" / ".vite" / "deps"
    rng = random.Random(7)
    for iteration in range(20):
        process = subprocess.Popen([str(PREBUNDLE), "--force", "--log-level", "silent"], cwd=root,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.2))  # the scenario: a kill at a random moment of the run
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _consistent(deps), f"iteration {iteration}: broken deps dir"
    done = subprocess.run([str(PREBUNDLE)], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _consistent(deps) and (deps / "_metadata.json").is_file()
    leftovers = [p.name for p in deps.parent.iterdir() if p.name.startswith(("deps_temp_", "deps_old_"))]
    assert leftovers == []
    os.sync()


def test_a_second_project_reuses_the_machine_wide_cache(tmp_path):
    first = optimize(load_config(make_app(tmp_path / "app", MAIN)))
    assert len(first.built) == 3
    other = make_app(tmp_path / "other", MAIN)
    second = optimize(load_config(other))
    assert second.built == () and len(second.reused) == 3
    a = json.loads((first.deps_dir / "importmap.json").read_text())
    b = json.loads((second.deps_dir / "importmap.json").read_text())
    assert a == b  # same files, same hashes


ESBUILD_CLIENT = ("prebundle.bundle.builder", "prebundle.esbuild._plugins", "prebundle.esbuild._service",
                  "prebundle.esbuild._transport")
"""The bundler and the esbuild client (its plugins, its service and the protocol): only a run
that builds a package needs them."""
PROBE = f"""\
import atexit, sys

def loaded():
    print("loaded:", *sorted(name for name in {ESBUILD_CLIENT!r} if name in sys.modules))

atexit.register(loaded)  # registered first, run last: after every exit handler of the run
sys.argv = ["prebundle", *sys.argv[1:]]
from prebundle.cli import main
main()
"""
"""Runs the console script's entry on its arguments, then says which modules of the client it loaded."""


def test_a_run_served_by_the_machine_wide_cache_never_loads_the_esbuild_client(tmp_path):
    """The project's deps dir gone, every package in the machine-wide cache: ``prebundle`` puts
    the deps dir together without loading the bundler or the esbuild client (so without starting
    esbuild); finding the binary for its version (the packages' keys hold it) is all it needs."""
    root = make_app(tmp_path / "app", MAIN)
    config = load_config(root)
    assert len(optimize(config).built) == 3
    shutil.rmtree(config.cache_dir)
    done = subprocess.run([sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 packages built, 3 reused" in done.stdout, done.stdout
    assert done.stdout.splitlines()[-1] == "loaded:"


def test_concurrent_writers_of_the_shared_cache_are_safe(tmp_path):
    roots = [make_app(tmp_path / f"p{i}", MAIN) for i in range(3)]
    processes = [subprocess.Popen([str(PREBUNDLE), str(root), "--log-level", "error"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for root in roots]
    for process in processes:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    maps = [json.loads((root / "node_modules/.vite/deps/importmap.json").read_text()) for root in roots]
    assert maps[0] == maps[1] == maps[2]
    cache = Path(os.environ["PREBUNDLE_CACHE_DIR"]) / "packages"
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]
    assert len([p for p in cache.iterdir()]) == 3


def test_metadata_is_parsed_again_whenever_its_bytes_change(tmp_path):
    """``read_metadata`` keeps what it parsed last, for the same bytes only (a run checks the
    folder, then records its decision): any change of the file is read anew."""
    from prebundle.metadata import read_metadata

    result = optimize(load_config(make_app(tmp_path / "app", "import cn from 'classnames'\n")))
    first = read_metadata(result.deps_dir)
    assert first is not None and read_metadata(result.deps_dir) is first
    path = result.deps_dir / "_metadata.json"
    data = json.loads(path.read_text())
    data["browserHash"] = "0" * len(data["browserHash"])
    path.write_text(json.dumps(data, indent=2))
    changed = read_metadata(result.deps_dir)
    assert changed is not first and changed.browser_hash == data["browserHash"]
    path.write_text("{ damaged")
    assert read_metadata(result.deps_dir) is None
