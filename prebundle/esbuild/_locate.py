"""Which esbuild binary prebundle runs (CONTRACT.md "Install"), fetching the pinned one when the
machine has none, so a project needs no esbuild in its package.json.

Order: ``$ESBUILD_BINARY_PATH``; the project's node_modules (searched upward); the machine-wide
copy of the pinned version; else ``npm pack`` of the pinned ``@esbuild/<platform>``, unless
``PREBUNDLE_ESBUILD_DOWNLOAD=0``. ``esbuild`` on ``PATH`` is not used: its version is anyone's
guess, and the fetch gives a known one.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from ._binary import binary_version, env_binary, platform_package, project_binary
from ._binary_cache import cached_binary_path, is_verified, store_binary
from ._errors import BinaryNotFound
from ._pinned import PINNED_VERSION, expected_sha256

__all__ = ["EsbuildBinary", "Origin", "find_esbuild", "find_binary", "install_pinned",
           "download_allowed"]

log = logging.getLogger("prebundle.esbuild")

Origin = Literal["env", "project", "cache", "fetched"]

_fetch_lock = threading.Lock()
"""One fetch at a time in this process (other processes are safe through the atomic rename)."""

_warned: set[Path] = set()
"""Project binaries already warned about for not being the pinned version (once per process)."""


@dataclass(frozen=True)
class EsbuildBinary:
    """An esbuild binary and where it came from."""

    path: Path
    origin: Origin
    """``env`` ($ESBUILD_BINARY_PATH), ``project`` (node_modules), ``cache`` (the machine-wide
    copy) or ``fetched`` (by npm, just now, into the machine-wide cache)."""

    @cached_property
    def version(self) -> str:
        """Known without a subprocess for a verified pinned copy or an npm-installed binary.

        The first time a project binary turns out not to be the pinned version, one warning.
        """
        if self.origin in ("cache", "fetched"):
            return PINNED_VERSION
        version = binary_version(self.path)
        if self.origin == "project" and version != PINNED_VERSION and self.path not in _warned:
            _warned.add(self.path)
            log.warning("using the project's esbuild %s (%s); prebundle is tested with %s "
                        "(npm install -D esbuild@%s to match)", version, self.path, PINNED_VERSION,
                        PINNED_VERSION)
        return version


def download_allowed() -> bool:
    """False when ``PREBUNDLE_ESBUILD_DOWNLOAD`` is ``0`` (or ``off``, ``false``, ``no``)."""
    setting = os.environ.get("PREBUNDLE_ESBUILD_DOWNLOAD", "").strip().lower()
    return setting not in ("0", "off", "false", "no")


def find_esbuild(root: str | os.PathLike | None = None, *,
                 download: bool | None = None) -> EsbuildBinary:
    """The esbuild binary for the project at ``root`` (default: the cwd), fetching the pinned
    one if none is found. ``download=None`` follows ``PREBUNDLE_ESBUILD_DOWNLOAD``.

    Raises ``BinaryNotFound`` (one line saying how to get esbuild) when there is none and the
    fetch is forbidden or fails.
    """
    path = env_binary()
    if path is not None:
        return EsbuildBinary(path, "env")
    path = project_binary(root)
    if path is not None:
        return EsbuildBinary(path, "project")
    cached = _verified_cached_binary()
    if cached is not None:
        return cached
    if not (download_allowed() if download is None else download):
        start = Path(root if root is not None else os.getcwd()).resolve()
        raise BinaryNotFound(
            f"esbuild was not found for {start} and PREBUNDLE_ESBUILD_DOWNLOAD=0 forbids fetching "
            f"it: run `npm install -D esbuild@{PINNED_VERSION}` or `prebundle esbuild install`, "
            "or set ESBUILD_BINARY_PATH")
    return install_pinned(root)


def find_binary(root: str | os.PathLike | None = None) -> Path:
    """The path of ``find_esbuild(root)``'s binary."""
    return find_esbuild(root).path


def install_pinned(root: str | os.PathLike | None = None) -> EsbuildBinary:
    """The pinned esbuild in the machine-wide cache, fetched with npm unless already there.

    ``root``: the project whose npm settings (``.npmrc``) apply. Origin ``cache`` when it was
    there, ``fetched`` when this call fetched it.
    """
    platform = platform_package()
    expected = expected_sha256(platform)
    if expected is None:
        raise BinaryNotFound(
            f"esbuild {PINNED_VERSION} has no binary for this platform ({platform}) that prebundle "
            "can check: install esbuild for it yourself and set ESBUILD_BINARY_PATH to the binary")

    with _fetch_lock:
        cached = _verified_cached_binary(report=False)
        if cached is not None:
            return cached
        target = cached_binary_path(PINNED_VERSION, platform)
        cwd = Path(root).resolve() if root is not None else None
        from ._npm_fetch import fetch_binary  # tarfile and tempfile: only to fetch esbuild

        store_binary(target, fetch_binary(platform, PINNED_VERSION, expected, cwd=cwd), expected)
    log.info("fetched esbuild %s (%s) with npm into %s", PINNED_VERSION, platform, _shown(target))
    return EsbuildBinary(target, "fetched")


def _verified_cached_binary(*, report: bool = True) -> EsbuildBinary | None:
    """The machine-wide pinned binary if it is there and intact; a corrupted one is reported."""
    platform = platform_package()
    expected = expected_sha256(platform)
    if expected is None:
        return None
    path = cached_binary_path(PINNED_VERSION, platform)
    if is_verified(path, expected):
        return EsbuildBinary(path, "cache")
    if report and path.exists():
        log.warning("the cached esbuild %s is not intact (wrong SHA-256 or not executable); "
                    "ignoring it", _shown(path))
    return None


def _shown(path: Path) -> str:
    """``path`` with the home folder as ``~``, as users write it."""
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home):] if home not in ("", "/") and text.startswith(home + os.sep) else text
