"""Finding the esbuild executable and asking its version.

The service refuses a ``--service=<version>`` that is not its own, and a Python client has no
version baked in, so the version is asked once per binary (cached by path and mtime).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from ._errors import BinaryNotFound

__all__ = ["find_binary", "binary_version", "is_native_executable", "platform_package"]

_NATIVE_MAGIC = (
    b"\x7fELF",  # Linux, BSD
    b"MZ",  # Windows PE
    b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal
)
_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
         "i386": "ia32", "i686": "ia32", "armv7l": "arm", "ppc64le": "ppc64",
         "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loong64"}
_versions: dict[tuple[str, int], str] = {}


def platform_package() -> str:
    """The ``@esbuild/<os>-<arch>`` package name for this machine, as npm names it."""
    system = {"win32": "win32", "darwin": "darwin", "cygwin": "win32"}.get(sys.platform)
    system = system or sys.platform.rstrip("0123456789")  # linux, freebsd, openbsd...
    machine = platform.machine().lower()
    return f"{system}-{_ARCH.get(machine, machine)}"


def is_native_executable(path: Path) -> bool:
    """True for a real binary; False for npm's ``#!/usr/bin/env node`` shim or a non-file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head.startswith(_NATIVE_MAGIC)


def _platform_binary(modules: Path) -> Path:
    pkg = modules / "@esbuild" / platform_package()
    return pkg / "esbuild.exe" if sys.platform == "win32" else pkg / "bin" / "esbuild"


def find_binary(root: str | os.PathLike | None = None) -> Path:
    """The esbuild binary for a project, in CONTRACT.md's order.

    ``$ESBUILD_BINARY_PATH``; ``node_modules/@esbuild/<os>-<arch>/bin/esbuild`` searched upward
    from ``root``; ``node_modules/esbuild/bin/esbuild`` if it is native (not the Node shim);
    ``esbuild`` on ``PATH``.
    """
    env = os.environ.get("ESBUILD_BINARY_PATH")
    if env and os.path.isfile(env):
        return Path(env).resolve()
    start = Path(root if root is not None else os.getcwd()).resolve()
    for folder in (start, *start.parents):
        modules = folder / "node_modules"
        candidate = _platform_binary(modules)
        if candidate.is_file():
            return candidate
        for candidate in (
            modules / "esbuild" / "lib" / f"downloaded-@esbuild-{platform_package()}-esbuild",
            modules / "esbuild" / "bin" / "esbuild",
        ):
            if candidate.is_file() and is_native_executable(candidate):
                return candidate
    on_path = shutil.which("esbuild")
    if on_path and is_native_executable(Path(on_path)):
        return Path(on_path)
    raise BinaryNotFound(
        f"esbuild was not found for {start} (looked at $ESBUILD_BINARY_PATH, "
        f"node_modules/@esbuild/{platform_package()}, node_modules/esbuild/bin and PATH). "
        "Install it with `npm install -D esbuild`, or set ESBUILD_BINARY_PATH."
    )


def binary_version(path: str | os.PathLike) -> str:
    """``<binary> --version``, cached per path and mtime."""
    path = os.fspath(path)
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError as exc:
        raise BinaryNotFound(f"esbuild binary {path!r} does not exist") from exc
    version = _versions.get(key)
    if version is None:
        try:
            out = subprocess.run([path, "--version"], capture_output=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BinaryNotFound(f"{path} is not a working esbuild binary: {exc}") from exc
        version = out.stdout.decode("ascii", "replace").strip()
        _versions[key] = version
    return version
