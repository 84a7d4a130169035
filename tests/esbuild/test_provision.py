"""esbuild out of the box (CONTRACT.md "Install"): the pinned binary fetched with npm into the
machine-wide cache, verified against the pinned SHA-256 table, and the one-line errors when it
cannot be had.

The happy path uses the real npm and registry. Failure cases put a fake ``npm`` first on PATH: a
shell script that serves a tarball (the real one, or a tampered copy) or fails as npm does
offline. Each test has its own machine-wide cache (tests/conftest.py), so nothing is shared.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from prebundle import esbuild
from prebundle.esbuild import BinaryNotFound, PINNED_VERSION, find_esbuild, install_pinned
from prebundle.esbuild import _binary_cache, _locate
from prebundle.esbuild._binary import platform_package
from prebundle.esbuild._pinned import expected_sha256

REPO = Path(__file__).resolve().parents[2]
PREBUNDLE_CLI = REPO / ".venv" / "bin" / "prebundle"
PLATFORM = platform_package()
EXPECTED = expected_sha256(PLATFORM)
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 9

pytestmark = pytest.mark.skipif(EXPECTED is None or os.name != "posix",
                                reason=f"needs a POSIX platform esbuild ships a binary for ({PLATFORM})")


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_tarball(tmp_path_factory) -> Path:
    """The pinned ``@esbuild/<platform>`` tarball from the real registry, packed once."""
    dest = tmp_path_factory.mktemp("real-tarball")
    done = subprocess.run(["npm", "pack", f"@esbuild/{PLATFORM}@{PINNED_VERSION}",
                           f"--pack-destination={dest}", "--loglevel=error"],
                          cwd=dest, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (tarball,) = dest.glob("*.tgz")
    return tarball


@pytest.fixture(scope="module")
def real_binary(real_tarball) -> bytes:
    with tarfile.open(real_tarball) as archive:
        return archive.extractfile("package/bin/esbuild").read()


@pytest.fixture
def env(monkeypatch) -> Path:
    """No ESBUILD_BINARY_PATH, fetching allowed; returns the test's machine-wide cache folder."""
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    monkeypatch.delenv("PREBUNDLE_ESBUILD_DOWNLOAD", raising=False)
    return Path(os.environ["PREBUNDLE_CACHE_DIR"])


@pytest.fixture
def cached_path(env) -> Path:
    return env / "esbuild" / PINNED_VERSION / PLATFORM / "esbuild"


@pytest.fixture
def esbuild_log() -> list[logging.LogRecord]:
    """Records of the ``prebundle.esbuild`` logger (INFO and up), whatever the CLI's logging
    set-up did to propagation."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    logger = logging.getLogger("prebundle.esbuild")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old_level)


class FakeNpm:
    """A shell script named ``npm`` first on PATH; ``calls`` is how often it ran."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / "calls.log"

    def serve(self, tarball: Path) -> None:
        self._write(
            'for arg in "$@"; do case "$arg" in --pack-destination=*) dest="${arg#*=}";; esac; done\n'
            f'cp "{tarball}" "$dest/esbuild-{PLATFORM}-{PINNED_VERSION}.tgz"\n')

    def fail_offline(self) -> None:
        self._write("echo 'npm error code ENOTFOUND' >&2\n"
                    "echo 'npm error syscall getaddrinfo' >&2\n"
                    "echo 'npm error network request to https://registry.npmjs.org/@esbuild%2flinux-x64 "
                    "failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org' >&2\n"
                    "exit 1\n")

    @property
    def calls(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    def _write(self, body: str) -> None:
        script = self.folder / "npm"
        script.write_text(f'#!/bin/sh\necho "$@" >> "{self.log}"\n{body}')
        script.chmod(0o755)


@pytest.fixture
def fake_npm(tmp_path, monkeypatch) -> FakeNpm:
    folder = tmp_path / "fake-npm-bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    npm = FakeNpm(folder)
    npm.fail_offline()  # a test that expects no fetch fails loudly if one happens
    return npm


def make_tarball(path: Path, members: list[tuple[str, bytes | str]]) -> Path:
    """A gzipped tarball; a ``str`` content makes that member a symlink to it."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                archive.addfile(info)
            else:
                info.size, info.mode = len(content), 0o755
                archive.addfile(info, io.BytesIO(content))
    return path


def project_esbuild(root: Path, version: str) -> Path:
    """``node_modules/@esbuild/<platform>`` with a stand-in binary (it cannot run) and its package.json."""
    package = root / "node_modules" / "@esbuild" / PLATFORM
    (package / "bin").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": f"@esbuild/{PLATFORM}", "version": version}))
    binary = package / "bin" / "esbuild"
    binary.write_bytes(ELF)
    binary.chmod(0o755)
    return binary


def app_without_esbuild(root: Path) -> Path:
    """An app importing ``ms`` (copied from the fixtures), with no esbuild anywhere in it."""
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text('<script type="module" src="/src/main.js"></script>\n')
    (root / "src" / "main.js").write_text("import ms from 'ms'\nconsole.log(ms('2 days'))\n")
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"ms": "^2.1.3"}}))
    shutil.copytree(REPO / "fixtures" / "compat" / "node_modules" / "ms", root / "node_modules" / "ms")
    return root


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed console command, as a user runs it."""
    return subprocess.run([str(PREBUNDLE_CLI), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the fetch ----------------------------------------------------------------------------------


def test_fetch_with_real_npm_then_cache(env, cached_path, tmp_path):
    root = app_without_esbuild(tmp_path / "app")
    first = run_cli("esbuild", str(root))
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines() == [
        f"fetched esbuild {PINNED_VERSION} ({PLATFORM}) with npm into {cached_path}"]
    assert first.stdout.splitlines() == [f"binary:  {cached_path}",
                                         f"version: {PINNED_VERSION} (pinned: {PINNED_VERSION})",
                                         "origin:  fetched"]
    assert sha256(cached_path) == EXPECTED
    assert stat.S_IMODE(cached_path.stat().st_mode) == 0o755
    assert subprocess.run([str(cached_path), "--version"], capture_output=True, text=True).stdout.strip() \
        == PINNED_VERSION

    again = run_cli("esbuild", str(root))
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert again.stdout.splitlines()[-1] == "origin:  cache"
    assert not (root / "node_modules" / "esbuild").exists()


def test_install_ahead_of_time_prints_the_path(env, cached_path, fake_npm, real_binary, tmp_path):
    # Hostile members besides the binary: only package/bin/esbuild is read, nothing is extracted.
    tarball = make_tarball(tmp_path / "served.tgz", [
        ("package/package.json", b'{"name": "@esbuild/x"}'),
        ("package/../../escaped.txt", b"outside"),
        (str(tmp_path / "absolute.txt"), b"outside"),
        ("package/bin/esbuild", real_binary),
    ])
    fake_npm.serve(tarball)
    done = run_cli("esbuild", "install", str(tmp_path), env={"PREBUNDLE_ESBUILD_DOWNLOAD": "0"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{cached_path}\n"
    assert sha256(cached_path) == EXPECTED
    assert sorted(p.name for p in cached_path.parent.iterdir()) == ["esbuild", "esbuild.stamp"]
    assert not (tmp_path / "absolute.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()

    fake_npm.fail_offline()
    again = run_cli("esbuild", "install", str(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{cached_path}\n"
    assert fake_npm.calls == 1


def test_concurrent_installs_all_succeed(env, cached_path, fake_npm, real_tarball, tmp_path):
    fake_npm.serve(real_tarball)
    runs = [subprocess.Popen([str(PREBUNDLE_CLI), "esbuild", "install", str(tmp_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert {out for out, _ in outputs} == {f"{cached_path}\n"}
    assert sha256(cached_path) == EXPECTED
    assert sorted(p.name for p in cached_path.parent.iterdir()) == ["esbuild", "esbuild.stamp"]


# -- verification -------------------------------------------------------------------------------


def test_corrupted_cached_binary_is_detected_and_refetched(env, cached_path, fake_npm, real_tarball,
                                                           tmp_path, esbuild_log):
    fake_npm.serve(real_tarball)
    assert install_pinned(tmp_path).origin == "fetched"
    inode = cached_path.stat().st_ino
    with open(cached_path, "r+b") as f:  # same size, same inode: only the content (and mtime) change
        f.seek(4096)
        f.write(b"\x00" * 64)
    assert sha256(cached_path) != EXPECTED and cached_path.stat().st_ino == inode

    esbuild_log.clear()
    found = find_esbuild(tmp_path)
    assert found.origin == "fetched"
    assert sha256(cached_path) == EXPECTED
    assert fake_npm.calls == 2
    assert [record.getMessage() for record in esbuild_log] == [
        f"the cached esbuild {cached_path} is not intact (wrong SHA-256 or not executable); ignoring it",
        f"fetched esbuild {PINNED_VERSION} ({PLATFORM}) with npm into {cached_path}"]


def test_verified_binary_is_trusted_by_its_stamp(env, cached_path, fake_npm, real_binary, tmp_path,
                                                 monkeypatch):
    cached_path.parent.mkdir(parents=True)
    cached_path.write_bytes(real_binary)
    cached_path.chmod(0o755)
    stamp = cached_path.with_name("esbuild.stamp")
    assert find_esbuild(tmp_path).origin == "cache"  # hashed in full once, no fetch
    assert json.loads(stamp.read_text())["sha256"] == EXPECTED

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed again although its stamp matches")

    monkeypatch.setattr(_binary_cache, "sha256_of", no_hashing)
    assert find_esbuild(tmp_path).origin == "cache"
    os.utime(cached_path, ns=(0, 0))  # the file changed: the stamp no longer stands for the hash
    with pytest.raises(AssertionError, match="hashed again"):
        find_esbuild(tmp_path)
    assert fake_npm.calls == 0


def test_hash_mismatch_is_refused(env, cached_path, fake_npm, tmp_path):
    tampered = ELF + b"not the esbuild that was published"
    fake_npm.serve(make_tarball(tmp_path / "tampered.tgz", [("package/bin/esbuild", tampered)]))
    done = run_cli("esbuild", "install", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: refusing the esbuild binary from @esbuild/{PLATFORM}@{PINNED_VERSION}: its SHA-256 is "
        f"{hashlib.sha256(tampered).hexdigest()}, expected {EXPECTED} (check your npm registry or mirror)"]
    assert not cached_path.exists()


def test_symlinked_binary_in_tarball_is_refused(env, cached_path, fake_npm, tmp_path):
    fake_npm.serve(make_tarball(tmp_path / "link.tgz", [("package/bin/esbuild", "/bin/sh")]))
    with pytest.raises(BinaryNotFound, match="unusable .*package/bin/esbuild"):
        install_pinned(tmp_path)
    assert not cached_path.exists()


# -- errors a user sees -------------------------------------------------------------------------


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_fetch_forbidden_says_how_to_get_esbuild(env, fake_npm, tmp_path):
    root = app_without_esbuild(tmp_path / "app")
    line = _one_error_line(run_cli(str(root), env={"PREBUNDLE_ESBUILD_DOWNLOAD": "0"}))
    assert f"esbuild was not found for {root}" in line
    assert "PREBUNDLE_ESBUILD_DOWNLOAD=0" in line
    for way in (f"npm install -D esbuild@{PINNED_VERSION}", "prebundle esbuild install",
                "ESBUILD_BINARY_PATH"):
        assert way in line
    assert fake_npm.calls == 0
    assert not (root / "node_modules" / ".vite" / "deps").exists()


def test_npm_failing_is_one_line(env, fake_npm, tmp_path):
    root = app_without_esbuild(tmp_path / "app")
    line = _one_error_line(run_cli(str(root)))
    assert f"`npm pack @esbuild/{PLATFORM}@{PINNED_VERSION}`" in line
    assert "ENOTFOUND: network request to https://registry.npmjs.org/" in line
    assert f"npm install -D esbuild@{PINNED_VERSION}" in line


def test_npm_missing_is_one_line(env, tmp_path):
    root = app_without_esbuild(tmp_path / "app")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    line = _one_error_line(run_cli(str(root), env={"PATH": str(empty)}))
    assert "npm was not found" in line and "ESBUILD_BINARY_PATH" in line


def test_platform_without_a_pinned_hash_is_one_line(env, fake_npm, tmp_path, monkeypatch):
    monkeypatch.setattr(_locate, "expected_sha256", lambda platform: None)
    with pytest.raises(BinaryNotFound) as info:
        find_esbuild(tmp_path)
    assert str(info.value) == (
        f"esbuild {PINNED_VERSION} has no binary for this platform ({PLATFORM}) that prebundle "
        "can check: install esbuild for it yourself and set ESBUILD_BINARY_PATH to the binary")
    assert fake_npm.calls == 0


# -- lookup order -------------------------------------------------------------------------------

LAYOUTS = [
    # (what exists, the origin that wins)
    ({"env", "platform_package", "esbuild_bin", "cache"}, "env"),
    ({"platform_package", "esbuild_bin", "cache"}, "project"),
    ({"esbuild_bin", "cache"}, "project"),
    ({"esbuild_shim", "cache", "on_path"}, "cache"),
    ({"on_path"}, "fetched"),
]


@pytest.mark.parametrize(("present", "origin"), LAYOUTS)
def test_lookup_order(present, origin, env, cached_path, fake_npm, real_tarball, real_binary, tmp_path,
                      monkeypatch):
    fake_npm.serve(real_tarball)
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    custom = tmp_path / "custom" / "esbuild"
    platform_binary = root / "node_modules" / "@esbuild" / PLATFORM / "bin" / "esbuild"
    esbuild_bin = root / "node_modules" / "esbuild" / "bin" / "esbuild"
    if "env" in present:
        custom.parent.mkdir()
        custom.write_bytes(ELF)
        monkeypatch.setenv("ESBUILD_BINARY_PATH", str(custom))
    if "platform_package" in present:
        project_esbuild(root, PINNED_VERSION)
    if "esbuild_bin" in present or "esbuild_shim" in present:
        esbuild_bin.parent.mkdir(parents=True)
        esbuild_bin.write_bytes(ELF if "esbuild_bin" in present else b"#!/usr/bin/env node\n")
    if "cache" in present:
        cached_path.parent.mkdir(parents=True)
        cached_path.write_bytes(real_binary)
        cached_path.chmod(0o755)
    if "on_path" in present:
        (fake_npm.folder / "esbuild").write_bytes(ELF)
        (fake_npm.folder / "esbuild").chmod(0o755)

    found = find_esbuild(root / "src")  # searched upward from below the root, as in a monorepo
    winner = {"env": custom, "cache": cached_path, "fetched": cached_path,
              "project": platform_binary if "platform_package" in present else esbuild_bin}[origin]
    assert (found.origin, found.path) == (origin, winner)
    assert fake_npm.calls == (1 if origin == "fetched" else 0)


# -- a project esbuild of another version ---------------------------------------------------------


def test_project_esbuild_of_another_version_warns_once(env, fake_npm, tmp_path, esbuild_log):
    other = tmp_path / "other"
    binary = project_esbuild(other, "0.27.0")
    pinned = tmp_path / "pinned"
    project_esbuild(pinned, PINNED_VERSION)
    assert esbuild.get_service(other).version == "0.27.0"  # from its package.json: it cannot run
    assert esbuild.get_service(other).version == "0.27.0"
    assert esbuild.version(other) == "0.27.0"
    assert esbuild.get_service(pinned).version == PINNED_VERSION
    assert [record.getMessage() for record in esbuild_log] == [
        f"using the project's esbuild 0.27.0 ({binary}); prebundle is tested with {PINNED_VERSION} "
        f"(npm install -D esbuild@{PINNED_VERSION} to match)"]
    assert fake_npm.calls == 0


def test_show_names_a_project_esbuild_and_its_version(env, fake_npm, tmp_path):
    binary = project_esbuild(tmp_path, "0.27.0")
    done = run_cli("esbuild", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"binary:  {binary}", f"version: 0.27.0 (pinned: {PINNED_VERSION})",
                                        "origin:  project"]
    assert len(done.stderr.splitlines()) == 1 and "esbuild 0.27.0" in done.stderr

