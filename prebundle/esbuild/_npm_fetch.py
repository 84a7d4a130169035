"""Fetching the pinned ``@esbuild/<platform>`` package with the user's own npm client.

``npm pack`` (not a download of our own) so the user's registry, proxy, auth and CA settings
apply, from their project's ``.npmrc`` too: npm runs in the project folder and only writes the
tarball into a temp folder. The tarball is never extracted to disk: the one binary is read from
it in memory, so no member name can write anywhere, and its SHA-256 must match the pinned table.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ._errors import BinaryNotFound
from ._pinned import binary_subpath

__all__ = ["fetch_binary"]

_NPM_TIMEOUT = 600
"""Seconds ``npm pack`` may take (a slow proxy); a hang is reported, not waited on forever."""

_MAX_BINARY = 256 << 20
"""A tarball member bigger than this is not an esbuild binary (they are about 10 MB)."""

_NOISE = ("at ", "syscall ", "errno ", "A complete log", "{", "}")
"""Lines of npm's error output that are not its message: stack, details, the log path."""


def _how(version: str) -> str:
    return f"install it with `npm install -D esbuild@{version}`, or set ESBUILD_BINARY_PATH"


def fetch_binary(platform: str, version: str, expected: str, *, cwd: Path | None) -> bytes:
    """The verified bytes of ``@esbuild/<platform>@<version>``'s binary, fetched by ``npm pack``.

    ``cwd``: where npm runs (the project, so its ``.npmrc`` applies). Raises ``BinaryNotFound``
    with one line when npm is missing or fails, the tarball is broken, or the hash differs.
    """
    spec = f"@esbuild/{platform}@{version}"
    npm = shutil.which("npm")
    if npm is None:
        raise BinaryNotFound(f"esbuild {version} is needed and npm was not found to fetch {spec}: "
                             f"install Node.js/npm, or {_how(version)}")
    with tempfile.TemporaryDirectory(prefix="prebundle-esbuild-") as temp:
        where = cwd if cwd is not None and cwd.is_dir() else Path(temp)
        tarball = _npm_pack(npm, spec, Path(temp), where, version)
        data = _read_binary(tarball, binary_subpath(platform), spec)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise BinaryNotFound(f"refusing the esbuild binary from {spec}: its SHA-256 is {actual}, "
                             f"expected {expected} (check your npm registry or mirror)")
    return data


def _npm_pack(npm: str, spec: str, dest: Path, cwd: Path, version: str) -> Path:
    command = [npm, "pack", spec, f"--pack-destination={dest}", "--ignore-scripts",
               "--loglevel=error", "--no-fund", "--no-audit"]
    env = {key: value for key, value in os.environ.items() if key.lower() != "npm_config_global"}
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=_NPM_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BinaryNotFound(f"`npm pack {spec}` did not finish in {_NPM_TIMEOUT} s: check your network "
                             f"or npm registry settings, or {_how(version)}") from None
    except OSError as exc:
        raise BinaryNotFound(f"could not run {npm} to fetch {spec} ({exc.strerror or exc}): "
                             f"{_how(version)}") from None
    tarballs = sorted(dest.glob("*.tgz"))
    if done.returncode != 0 or len(tarballs) != 1:
        reason = _npm_reason(done.stderr) or f"exit code {done.returncode}, no tarball written"
        raise BinaryNotFound(f"could not fetch esbuild with `npm pack {spec}` ({reason}): check "
                             f"your network or npm registry settings, or {_how(version)}")
    return tarballs[0]


def _npm_reason(stderr: str) -> str:
    """npm's error in a few words: its code and first message line, without the stack or log path."""
    code, message = "", ""
    for raw in stderr.splitlines():
        line = raw.strip()
        for prefix in ("npm error", "npm ERR!"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if not line:
            continue
        if line.startswith("code ") and not code:
            code = line[5:].strip()
        elif not message and not line.startswith(_NOISE) and not line.endswith(","):
            message = line
    text = ": ".join(part for part in (code, message) if part)
    return text[:300]


def _read_binary(tarball: Path, subpath: str, spec: str) -> bytes:
    """The regular file ``package/<subpath>`` of the tarball, read in memory."""
    wanted = f"package/{subpath}"
    member = data = None
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            member = next((m for m in archive.getmembers() if m.name.removeprefix("./") == wanted), None)
            if member is not None and member.isreg() and member.size <= _MAX_BINARY:
                handle = archive.extractfile(member)
                data = handle.read() if handle is not None else None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BinaryNotFound(f"the tarball npm gave for {spec} is not readable ({exc}): check your "
                             "npm registry or mirror") from None
    if data is None:
        what = "has no" if member is None else "has an unusable (not a regular file)"
        raise BinaryNotFound(f"the tarball npm gave for {spec} {what} {wanted}: check your npm "
                             "registry or mirror")
    return data
