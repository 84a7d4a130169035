"""A team's cache end to end: two "machines" (two machine-wide cache folders) sharing one remote
cache on a real WebDAV server (Debian's nginx), through the installed ``prebundle`` command.

The first machine builds and uploads; the second, cold, downloads every package and builds
none, and its output is byte for byte the first one's, and the pages work in Chromium. A remote
that misbehaves (stopped, stalled, full, failing, truncating or flipping bits of what it sends,
signing with another key) costs one warning and a local build, never the run. A read-only
machine never writes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.support.apps import make_app
from tests.support.browser import close_page, open_page
from tests.support.faulty_http import FaultyProxy
from tests.support.node import run_node
from tests.support.stores import NginxDav

from .conftest import (
    assert_consistent, assert_ok, built_and_reused, check_app_pages, cli_env, deps_dir_of, flow_app, output_files,
    prebundle,
)

pytestmark = pytest.mark.slow

REMOTE_LINE = re.compile(r"remote webdav \S+: (\d+) hits? \(([\d.]+ [kM]?B) down\), (\d+) miss(?:es)?, (\d+) uploads?")
"""The remote's half of the CLI's ``package cache:`` line, package by package."""
RESTORED = re.compile(r"remote webdav \S+: deps dir restored \(([\d.]+) ([kM]?B) down\)")
"""The same when the whole deps dir came in one download."""


def remote_counts(run) -> tuple[int, int, int]:
    """``(hits, misses, uploads)`` of the run's ``package cache:`` line."""
    match = REMOTE_LINE.search(run.output)
    assert match, f"no remote cache line:\n{run.describe()}"
    return int(match.group(1)), int(match.group(3)), int(match.group(4))


def remote_warnings(run) -> list[str]:
    return [line for line in run.output.splitlines() if line.startswith("warning: remote cache")]


def stored_artifacts(dav: NginxDav, prefix: str) -> list[Path]:
    folder = dav.root / prefix / "v1"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture(scope="module")
def dav(tmp_path_factory):
    server = NginxDav(tmp_path_factory.mktemp("dav"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def machine(tmp_path: Path, name: str, remote: str, **variables: str) -> dict[str, str]:
    """The environment of a developer machine: its own machine-wide cache, the team's remote."""
    env = cli_env(tmp_path / f"{name}-cache")
    env["PREBUNDLE_REMOTE_CACHE"] = remote
    env.update(variables)
    return env


# -- two machines, the 55-package compatibility app ------------------------------------------------


def test_a_second_machine_downloads_every_package_and_builds_none(tmp_path, dav, browser, static_server):
    remote = f"{dav.url}/team"
    first_root = flow_app(tmp_path / "laptop" / "app")
    first = assert_ok(prebundle(str(first_root), env=machine(tmp_path, "laptop", remote)))
    built, reused = built_and_reused(first)
    assert built > 50 and reused == 0, first.describe()
    hits, _misses, uploads = remote_counts(first)
    # every build is uploaded (also those of a package whose set of ids a later wave grew), and
    # the deps dir as a whole
    assert hits == 0 and uploads >= built + 1, first.describe()
    assert len(stored_artifacts(dav, "team")) == uploads, "the CLI exited before its uploads were sent"
    assert sum(path.name.startswith("deps-") for path in stored_artifacts(dav, "team")) == 1

    second_root = flow_app(tmp_path / "ci" / "app")
    second_env = machine(tmp_path, "ci", remote)
    second = assert_ok(prebundle(str(second_root), env=second_env))
    assert built_and_reused(second) == (0, built), second.describe()
    assert RESTORED.search(second.output), second.describe()
    assert remote_warnings(second) == []

    assert output_files(second_root) == output_files(first_root)
    assert (deps_dir_of(second_root) / "importmap.json").read_bytes() == \
        (deps_dir_of(first_root) / "importmap.json").read_bytes()
    assert_consistent(second_root, second.describe())
    check_app_pages(browser, static_server(second_root).url)

    # the packages are this machine's now: a third project builds none without the remote (it
    # may ask the stopped remote for a package as first planned, with fewer ids: one warning)
    dav.stop()
    try:
        third_root = flow_app(tmp_path / "ci" / "other-app")
        third = assert_ok(prebundle(str(third_root), env=second_env))
        assert built_and_reused(third) == (0, built), third.describe()
        assert len(remote_warnings(third)) <= 1, third.describe()
    finally:
        dav.start()


# -- a remote that misbehaves, on a small app ------------------------------------------------------

IMPORTS = """import React from "react";
import { createRoot } from "react-dom/client";
import dayjs from "dayjs";
import cx from "classnames";
"""
SOURCE = IMPORTS + """
createRoot(document.getElementById("root")).render(
  React.createElement("p", { id: "out", className: cx("a", { b: true }) }, dayjs("2026-11-30").format("YYYY")));
(function done() {
  if (document.getElementById("out")) document.body.dataset.done = "1";
  else setTimeout(done, 10);
})();
"""
"""The small app renders a paragraph with React, dayjs and classnames, then marks the page done."""
PAGE = """<!doctype html>
<html><head><title>small app</title></head>
<body><div id="root"></div><script type="module" src="/src/main.js"></script></body></html>
"""
CHECK = ("import React from 'react'; import dayjs from 'dayjs'; import cx from 'classnames';"
         "console.log(typeof React.createElement, dayjs('2026-11-30').year(), cx('a', {b: true}))")
PACKAGES = ("react", "react-dom", "scheduler", "dayjs", "classnames")
TEAM_KEY = "4f1c0a9e7b2d4c6e8a0b1c2d3e4f5a6b"
OTHER_KEY = "0000aaaa1111bbbb2222cccc3333dddd"
ESBUILD = Path(__file__).resolve().parents[2] / "fixtures" / "npm" / "node_modules" / "esbuild" / "bin" / "esbuild"
"""The small app links no esbuild: this one, rather than a fetch into every new machine's cache."""


def small_app(root: Path) -> Path:
    """The app at ``root``, always two folders below a test's own (``<tmp>/<machine>/app``):
    its packages are links into fixtures/, and esbuild's path comments in a bundle are relative,
    so only apps at the same depth get byte-identical builds."""
    return make_app(root, SOURCE, html=PAGE, packages=PACKAGES, hand_packages=False)


def check_small_page(browser, url: str) -> None:
    """The small app's page renders in Chromium: no error, no failed request."""
    visit = open_page(browser, url)
    try:
        text = visit.page.text_content("#out")
        classes = visit.page.get_attribute("#out", "class")
    finally:
        close_page(visit)
    assert visit.errors == [] and (text, classes) == ("2026", "a b"), (visit.errors, text, classes)


def small_machine(tmp_path: Path, name: str, remote: str, **variables: str) -> dict[str, str]:
    return machine(tmp_path, name, remote, ESBUILD_BINARY_PATH=str(ESBUILD), **variables)


SNAPSHOTS: dict[str, str] = {}
"""The key of the small app's deps dir on the remote, by prefix (set by ``populated``)."""


@pytest.fixture(scope="module")
def populated(dav, tmp_path_factory):
    """The small app built by one machine into the remote (``/faults``, unsigned, and
    ``/signed``, signed with one key); its output is what every later machine must get."""
    base = tmp_path_factory.mktemp("populate")
    outputs = {}
    for prefix, variables in (("faults", {}), ("signed", {"PREBUNDLE_REMOTE_CACHE_KEY": TEAM_KEY})):
        root = small_app(base / prefix / "app")
        run = assert_ok(prebundle(str(root), env=small_machine(base / prefix, "builder", f"{dav.url}/{prefix}", **variables)))
        built, _reused = built_and_reused(run)
        assert len(stored_artifacts(dav, prefix)) == remote_counts(run)[2] >= built, run.describe()
        (SNAPSHOTS[prefix],) = [path.name for path in stored_artifacts(dav, prefix) if path.name.startswith("deps-")]
        outputs[prefix] = output_files(root)
    assert outputs["faults"] == outputs["signed"]
    return outputs["faults"]


FAULTS = {
    "stall": ("stall", {"seconds": 5}),
    "507": ("status", {"status": 507}),
    "500": ("status", {"status": 500}),
    "truncated": ("truncate", {}),
    "bit flipped": ("flip", {}),
    "connection closed": ("close", {}),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_misbehaving_remote_costs_one_warning_and_a_local_build(tmp_path, dav, populated, fault, browser,
                                                                  static_server):
    kind, options = FAULTS[fault]
    with FaultyProxy(dav.url) as proxy:
        proxy.fault(kind, methods={"GET"}, **options)
        root = small_app(tmp_path / "ci" / "app")
        run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{proxy.url}/faults",
                                                          PREBUNDLE_REMOTE_CACHE_TIMEOUT="1")))
    built, reused = built_and_reused(run)
    assert reused == 0 and built == len(populated_packages(root)), run.describe()
    warnings = remote_warnings(run)
    assert len(warnings) == 1 and "skipping it for the rest of this run" in warnings[0], run.describe()
    assert output_files(root) == populated
    assert run_node(deps_dir_of(root), CHECK).split() == ["function", "2026", "a", "b"]
    check_small_page(browser, static_server(root).url + "/index.html")


def test_a_stopped_remote_costs_one_warning_and_a_local_build(tmp_path, dav, populated):
    dav.stop()
    try:
        root = small_app(tmp_path / "ci" / "app")
        run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{dav.url}/faults")))
    finally:
        dav.start()
    assert built_and_reused(run)[1] == 0, run.describe()
    assert len(remote_warnings(run)) == 1, run.describe()
    assert output_files(root) == populated


def test_an_artifact_signed_with_another_key_is_refused(tmp_path, dav, populated):
    root = small_app(tmp_path / "ci" / "app")
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{dav.url}/signed",
                                                      PREBUNDLE_REMOTE_CACHE_KEY=OTHER_KEY)))
    assert built_and_reused(run)[1] == 0, run.describe()
    warnings = remote_warnings(run)
    assert len(warnings) == 1 and "signature" in warnings[0], run.describe()
    assert output_files(root) == populated

    # the right key: every package downloaded, none built
    trusted = small_app(tmp_path / "trusted" / "app")
    run = assert_ok(prebundle(str(trusted), env=small_machine(tmp_path, "trusted", f"{dav.url}/signed",
                                                         PREBUNDLE_REMOTE_CACHE_KEY=TEAM_KEY,
                                                         PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE="1")))
    assert built_and_reused(run)[0] == 0 and remote_warnings(run) == [], run.describe()
    assert output_files(trusted) == populated


def test_unsigned_artifacts_are_refused_when_signatures_are_required(tmp_path, dav, populated):
    root = small_app(tmp_path / "ci" / "app")
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{dav.url}/faults",
                                                      PREBUNDLE_REMOTE_CACHE_KEY=TEAM_KEY,
                                                      PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE="1")))
    assert built_and_reused(run)[1] == 0, run.describe()
    assert len(remote_warnings(run)) == 1, run.describe()
    assert output_files(root) == populated


def test_a_read_only_machine_reads_and_never_writes(tmp_path, dav, populated):
    root = small_app(tmp_path / "ci" / "app")
    before = stored_artifacts(dav, "pull-request")
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "pr", f"{dav.url}/pull-request",
                                                      PREBUNDLE_REMOTE_CACHE_MODE="read-only")))
    assert built_and_reused(run)[1] == 0 and remote_counts(run)[2] == 0, run.describe()
    assert stored_artifacts(dav, "pull-request") == before == []

    reader = small_app(tmp_path / "reader" / "app")
    run = assert_ok(prebundle(str(reader), env=small_machine(tmp_path, "reader", f"{dav.url}/faults",
                                                        PREBUNDLE_REMOTE_CACHE_MODE="read-only")))
    assert built_and_reused(run)[0] == 0, run.describe()


def test_the_run_history_and_the_report_keep_what_each_tier_did(tmp_path, dav, populated, browser):
    """``runs.json`` holds the hits, misses and bytes of both tiers, and the dashboard's runs
    table shows them (here in ``prebundle report``'s page, the dashboard as one file)."""
    root = small_app(tmp_path / "ci" / "app")
    env = small_machine(tmp_path, "ci", f"{dav.url}/faults")
    run = assert_ok(prebundle(str(root), env=env))
    history = json.loads((root / "node_modules" / ".vite" / "runs.json").read_text())["runs"]
    cache = history[-1]["cache"]
    assert cache["restored"] and cache["remote_hits"] == 1 and cache["remote_bytes_down"] > 0, cache
    assert cache["remote"].startswith("webdav ") and "@" not in cache["remote"], cache

    report = tmp_path / "report.html"
    assert_ok(prebundle("report", str(root), "-o", str(report), env=env))
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        page.wait_for_selector("#runs td.cache", timeout=15_000)
        cell = page.locator("#runs td.cache").first
        text, title = cell.inner_text(), cell.get_attribute("title")
    finally:
        page.close()
    assert text == f"machine 0/0 · remote: deps dir ({cache['remote_bytes_down'] / 1024:.1f} kB)", text
    assert cache["remote"] in title, title

    # another set of imports: no deps dir of these inputs on the remote, its packages are
    other = small_app(tmp_path / "other" / "app")
    (other / "src" / "main.js").write_text(IMPORTS.replace('import cx from "classnames";\n', ""))
    run = assert_ok(prebundle(str(other), env=small_machine(tmp_path, "other", f"{dav.url}/faults")))
    assert built_and_reused(run)[0] == 0, run.describe()
    cache = json.loads((other / "node_modules" / ".vite" / "runs.json").read_text())["runs"][-1]["cache"]
    assert not cache["restored"] and cache["remote_hits"] >= built_and_reused(run)[1], cache
    assert cache["local_misses"] == built_and_reused(run)[1] and cache["local_hits"] == 0, cache
    assert remote_counts(run)[0] == cache["remote_hits"], run.describe()


def test_a_bad_remote_url_is_a_one_line_error(tmp_path):
    root = small_app(tmp_path / "ci" / "app")
    run = prebundle(str(root), env=small_machine(tmp_path, "ci", "ftp://cache.example/team"))
    assert run.returncode != 0 and "Traceback" not in run.output, run.describe()
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "PREBUNDLE_REMOTE_CACHE" in lines[0], run.describe()


def populated_packages(root: Path) -> set[str]:
    metadata = json.loads((deps_dir_of(root) / "_metadata.json").read_text())
    return {record["name"] for record in metadata["prebundle"]["packages"].values()}



def test_a_daemon_on_a_new_machine_starts_from_the_remote(tmp_path, dav, populated, browser, daemons, monkeypatch):
    """``prebundle daemon`` on a cold machine and checkout: its first run restores the deps dir
    from the remote (nothing built), and it serves the page."""
    root = small_app(tmp_path / "laptop" / "app")
    for name, value in small_machine(tmp_path, "laptop", f"{dav.url}/faults").items():
        if name.startswith(("PREBUNDLE_", "ESBUILD_")):
            monkeypatch.setenv(name, value)
    daemon = daemons(root)
    status = daemon.wait_state("ready", runs=1, timeout=120)
    assert status["error"] is None, status
    last = json.loads((root / "node_modules" / ".vite" / "runs.json").read_text())["runs"][-1]
    assert last["built"] == [] and last["cache"]["restored"], last
    assert output_files(root) == populated
    check_small_page(browser, daemon.url + "/index.html")


# -- a remote that lies ----------------------------------------------------------------------------


def _forge_snapshot(dav: NginxDav, prefix: str, change) -> None:
    """Copy the small app's deps dir artifact from ``/faults`` to ``/<prefix>`` under the same
    key, with ``change(metadata)`` applied to its ``_metadata.json`` (and, as a forger would,
    the documents' recorded hashes left consistent where the change allows): what a machine
    that may write to an unsigned remote can upload."""
    from prebundle.remote.artifact import pack, unpack

    source = dav.root / "faults" / "v1" / SNAPSHOTS["faults"]
    artifact = unpack(source.name, source.read_bytes())
    files = {name: bytes(content) for name, content in artifact.files.items()}
    metadata = json.loads(files["_metadata.json"])
    change(metadata, files)
    files["_metadata.json"] = json.dumps(metadata, indent=2).encode()
    target = dav.root / prefix / "v1" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pack(source.name, files, artifact.record))


def test_a_deps_dir_whose_records_reach_outside_the_cache_is_refused(tmp_path, dav, populated):
    """A record keyed ``../../planted`` would make its files an entry outside the machine-wide
    cache: the deps dir is refused as a whole, nothing lands outside, the run builds here."""

    def plant(metadata, files):
        packages = metadata["prebundle"]["packages"]
        record = dict(next(iter(packages.values())))
        record["key"] = "../../planted"
        packages["../planted"] = record

    _forge_snapshot(dav, "hostile", plant)
    root = small_app(tmp_path / "ci" / "app")
    env = small_machine(tmp_path, "ci", f"{dav.url}/hostile")
    run = assert_ok(prebundle(str(root), env=env))
    warnings = remote_warnings(run)
    assert len(warnings) == 1 and "record of another shape" in warnings[0], run.describe()
    assert built_and_reused(run)[1] == 0, run.describe()
    assert not list(tmp_path.rglob("planted")), "a forged record wrote outside the cache"
    assert output_files(root) == populated


def test_a_deps_dir_made_with_other_package_versions_is_refused(tmp_path, dav, populated):
    """Inputs the snapshot key cannot see (an install that the lockfile does not pin): every
    record must name a package installed here at its version."""

    def older(metadata, files):
        for record in metadata["prebundle"]["packages"].values():
            if record["name"] == "dayjs":
                record["version"] = "1.0.0"

    _forge_snapshot(dav, "other-install", older)
    root = small_app(tmp_path / "ci" / "app")
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{dav.url}/other-install")))
    warnings = remote_warnings(run)
    assert len(warnings) == 1 and "dayjs@1.0.0, which is not installed here" in warnings[0], run.describe()
    assert output_files(root) == populated


def test_a_checkout_with_a_linked_package_builds_it_and_never_takes_the_deps_dir(tmp_path, dav):
    """A package linked into a checkout (``npm link``: its real path outside any ``node_modules``)
    has a key that does not follow its source: the deps dir another machine made with the
    package installed (same lockfile, same config: the same remote key) is not taken; the
    linked package is built here, from its files."""
    config = {"pyproject.toml": '[tool.prebundle]\ninclude = ["dayjs"]\n'}  # a linked package is bundled when included
    builder = make_app(tmp_path / "ci" / "app", SOURCE, html=PAGE, packages=PACKAGES, hand_packages=False, extra=config)
    first = assert_ok(prebundle(str(builder), env=small_machine(tmp_path, "ci", f"{dav.url}/linked")))
    assert remote_counts(first)[2] >= 1, first.describe()
    root = make_app(tmp_path / "dev" / "app", SOURCE, html=PAGE, packages=PACKAGES, hand_packages=False, extra=config)
    installed = root / "node_modules" / "dayjs"
    linked = tmp_path / "work" / "dayjs"
    shutil.copytree(installed.resolve(), linked)
    main = linked / "dayjs.min.js"
    main.write_text(main.read_text() + "\n;globalThis.linkedHere = 1;\n")  # its own source, which the build must show
    installed.unlink()
    installed.symlink_to(linked, target_is_directory=True)
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "dev", f"{dav.url}/linked")))
    assert not RESTORED.search(run.output) and remote_warnings(run) == [], run.describe()
    assert built_and_reused(run)[0] >= 1, run.describe()
    assert any(b"linkedHere" in path.read_bytes() for path in deps_dir_of(root).glob("dayjs*.js")), run.describe()


def test_a_deps_dir_with_a_frame_of_another_size_is_refused_as_it_is_written(tmp_path, dav, populated):
    """The files' frames are decompressed as they are written: one that decompresses to
    another size than its table says (a digest that matches, as an unsigned remote allows) is
    found then; the half-written folder is dropped, one warning, the run builds here."""
    import hashlib
    import struct

    import zstandard

    source = dav.root / "faults" / "v1" / SNAPSHOTS["faults"]
    blob = source.read_bytes()
    header, payload = blob[:86], blob[86:]
    (count,) = struct.unpack_from(">I", payload)
    table = [list(struct.unpack_from(">QQI", payload, 4 + 20 * number)) for number in range(count)]
    frames, offset = [], 4 + 20 * count
    for compressed, _size, _files in table:
        frames.append(payload[offset:offset + compressed])
        offset += compressed
    assert count >= 2 and header[11] == 3  # the index and at least one frame of files
    frames[-1] = zstandard.ZstdCompressor().compress(zstandard.ZstdDecompressor().decompress(frames[-1])[:-1])
    table[-1][0] = len(frames[-1])  # the table still states the frame's old size
    payload = struct.pack(">I", count) + b"".join(struct.pack(">QQI", *entry) for entry in table) + b"".join(frames)
    forged = header[:22] + hashlib.sha256(payload).digest() + header[54:] + payload
    target = dav.root / "frame" / "v1" / source.name
    target.parent.mkdir(parents=True)
    target.write_bytes(forged)
    root = small_app(tmp_path / "ci" / "app")
    run = assert_ok(prebundle(str(root), env=small_machine(tmp_path, "ci", f"{dav.url}/frame")))
    warnings = remote_warnings(run)
    assert len(warnings) == 1 and "is damaged (damaged artifact payload (size mismatch))" in warnings[0], run.describe()
    assert not RESTORED.search(run.output), run.describe()
    assert output_files(root) == populated
