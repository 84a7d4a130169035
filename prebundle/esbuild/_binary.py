"""esbuild binaries a user already has: ``$ESBUILD_BINARY_PATH`` and the project's node_modules,
and what version each one is.

The service refuses a ``--service=<version>`` that is not its own, so every binary's version
must be known. Running ``--version`` costs a subprocess on every run; a binary installed by npm
has its ``package.json`` beside it, which says the same for the price of a small read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ._errors import BinaryNotFound
from ._pinned import binary_subpath

__all__ = ["env_binary", "project_binary", "binary_version", "remember_version",
           "is_native_executable", "platform_package"]

_NATIVE_MAGIC = (
    b"\x7fELF",  # Linux, BSD
    b"MZ",  # Windows PE
    b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal
)
_ARCH = {"x86_64": "x64", "amd64": "x64", "i86pc": "x64", "aarch64": "arm64", "arm64": "arm64",
         "i386": "ia32", "i686": "ia32", "x86": "ia32", "armv7l": "arm", "armv6l": "arm",
         "ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loong64",
         "mips64": "mips64el" if sys.byteorder == "little" else "mips64"}
_versions: dict[tuple[str, int], str] = {}


def platform_package() -> str:
    """This machine's ``<os>-<arch>``, as esbuild names its ``@esbuild/<os>-<arch>`` packages."""
    system = {"win32": "win32", "darwin": "darwin", "cygwin": "win32"}.get(sys.platform)
    system = system or sys.platform.rstrip("0123456789")  # linux, freebsd, openbsd, sunos...
    if hasattr(os, "uname"):
        machine = os.uname().machine.lower()
    else:  # Windows
        import platform

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


def env_binary() -> Path | None:
    """``$ESBUILD_BINARY_PATH`` when it names a file (esbuild's own override; else ignored)."""
    configured = os.environ.get("ESBUILD_BINARY_PATH")
    if configured and os.path.isfile(configured):
        return Path(configured).resolve()
    return None


def project_binary(root: str | os.PathLike | None) -> Path | None:
    """The project's own native esbuild, searching node_modules upward from ``root`` (monorepos).

    In each folder: ``node_modules/@esbuild/<platform>/bin/esbuild``, then the binary esbuild's
    postinstall downloads or hard-links into ``node_modules/esbuild`` (never the Node shim).
    """
    plat = platform_package()
    start = Path(root if root is not None else os.getcwd()).resolve()
    for folder in (start, *start.parents):
        modules = folder / "node_modules"
        candidate = modules / "@esbuild" / plat / binary_subpath(plat)
        if candidate.is_file():
            return candidate
        for candidate in (modules / "esbuild" / "lib" / f"downloaded-@esbuild-{plat}-esbuild",
                          modules / "esbuild" / "bin" / "esbuild"):
            if candidate.is_file() and is_native_executable(candidate):
                return candidate
    return None


def _version_beside(path: Path) -> str | None:
    """The version in the ``package.json`` of the esbuild package holding ``path``, if any."""
    for package_dir in (path.parent.parent, path.parent):  # <pkg>/bin/esbuild, <pkg>/esbuild.exe
        try:
            manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        name = manifest.get("name") if isinstance(manifest, dict) else None
        version = manifest.get("version") if isinstance(manifest, dict) else None
        if isinstance(version, str) and (name == "esbuild" or str(name).startswith("@esbuild/")):
            return version
    return None


def binary_version(path: str | os.PathLike) -> str:
    """The binary's version: from the package.json beside it, else ``<binary> --version``.

    Cached per path and mtime for the life of the process.
    """
    path = os.fspath(path)
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError as exc:
        raise BinaryNotFound(f"esbuild binary {path} does not exist") from exc
    version = _versions.get(key)
    if version is None:
        version = _version_beside(Path(path)) or _run_version(path)
        _versions[key] = version
    return version


def remember_version(path: str | os.PathLike, version: str) -> None:
    """Record a version known otherwise (a verified pinned binary) for ``binary_version``."""
    path = os.fspath(path)
    try:
        _versions[(path, os.stat(path).st_mtime_ns)] = version
    except OSError:
        pass


def _run_version(path: str) -> str:
    import subprocess  # only for a binary with no package.json beside it: not loaded on most runs

    try:
        out = subprocess.run([path, "--version"], capture_output=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BinaryNotFound(f"{path} is not a working esbuild binary ({exc}): "
                             "point ESBUILD_BINARY_PATH at a real one, or unset it") from exc
    return out.stdout.decode("ascii", "replace").strip()
