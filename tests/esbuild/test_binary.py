"""Binary discovery order (CONTRACT.md "Install") and the version check. The fetch of the pinned
binary is tested in test_provision.py; here it is forbidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from prebundle.esbuild import BinaryNotFound, find_binary, version
from prebundle.esbuild._binary import binary_version, is_native_executable, platform_package

ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
SHIM = b"#!/usr/bin/env node\nrequire('../lib/main.js')\n"


def _file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o755)
    return path


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ESBUILD_BINARY_PATH, no fetch, and a PATH with nothing on it."""
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    monkeypatch.setenv("PREBUNDLE_ESBUILD_DOWNLOAD", "0")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_env_var_comes_first(clean_env, tmp_path, monkeypatch):
    root = tmp_path / "app"
    _file(root / "node_modules" / "@esbuild" / platform_package() / "bin" / "esbuild", ELF)
    custom = _file(tmp_path / "custom" / "esbuild", ELF)
    monkeypatch.setenv("ESBUILD_BINARY_PATH", str(custom))
    assert find_binary(root) == custom.resolve()


def test_env_var_naming_nothing_is_skipped(clean_env, tmp_path, monkeypatch):
    monkeypatch.setenv("ESBUILD_BINARY_PATH", str(tmp_path / "missing"))
    native = _file(tmp_path / "node_modules" / "@esbuild" / platform_package() / "bin" / "esbuild", ELF)
    assert find_binary(tmp_path) == native


def test_platform_package_searched_upward(clean_env, tmp_path):
    native = _file(tmp_path / "node_modules" / "@esbuild" / platform_package() / "bin" / "esbuild", ELF)
    nested = tmp_path / "packages" / "web" / "src"
    nested.mkdir(parents=True)
    assert find_binary(nested) == native


def test_platform_package_beats_esbuild_bin(clean_env, tmp_path):
    _file(tmp_path / "node_modules" / "esbuild" / "bin" / "esbuild", ELF)
    native = _file(tmp_path / "node_modules" / "@esbuild" / platform_package() / "bin" / "esbuild", ELF)
    assert find_binary(tmp_path) == native


def test_node_shim_is_rejected_by_its_first_bytes(clean_env, tmp_path):
    shim = _file(tmp_path / "node_modules" / "esbuild" / "bin" / "esbuild", SHIM)
    assert not is_native_executable(shim)
    with pytest.raises(BinaryNotFound):
        find_binary(tmp_path)
    shim.write_bytes(ELF)  # what esbuild's postinstall leaves: a hard link to the native binary
    assert find_binary(tmp_path) == shim


def test_path_is_not_looked_at(clean_env, tmp_path):
    _file(clean_env / "esbuild", ELF)  # an esbuild of unknown version: the pinned one is fetched instead
    with pytest.raises(BinaryNotFound):
        find_binary(tmp_path / "nowhere")


def test_not_found_says_how_to_install(clean_env, tmp_path):
    with pytest.raises(BinaryNotFound) as info:
        find_binary(tmp_path)
    assert "npm install -D esbuild@0.28.2" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_real_binary_version(esbuild_bin, monkeypatch):
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    assert binary_version(esbuild_bin) == "0.28.2"
    assert version(esbuild_bin.parents[4]) == "0.28.2"  # found from fixtures/npm
    assert is_native_executable(esbuild_bin)
