"""What every reliability scenario needs: the apps, running the real CLI, and the check of what
a web server would serve from a deps dir.

``served_problems(deps_dir)`` is the consistency check: it reads the folder the way a server
and a browser would (the import map, then every URL in it) and lists what is wrong, empty when
the folder is fine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREBUNDLE = Path(sys.executable).parent / "prebundle"
BASE = "/node_modules/.vite/deps/"
DOCUMENTS = ("_metadata.json", "importmap.json", "manifest.json", "package.json")
TEMP_PREFIXES = ("deps_temp_", "deps_old_", ".build-")
_RELATIVE_IMPORT = re.compile(rb"""(?:^|;)[ \t]*(?:import|export)\b[^;"'`]*?"\./([^"\n]+)"|\bimport\("\./([^"\s]+\.js)"\)""",
                              re.M)
"""esbuild's own import statements (at a line start or after ``;``) and dynamic imports of
relative files; not the code examples in comments."""

__all__ = ["BASE", "PREBUNDLE", "REPO", "CliRun", "compat_root", "deps_snapshot", "file_hash",
           "run_cli", "served_problems", "small_app"]


def file_hash(data: bytes) -> str:
    """First 8 hex digits of the SHA-256: ``fileHash`` and ``?v=``, computed independently."""
    return hashlib.sha256(data).hexdigest()[:8]


# -- the consistency check --------------------------------------------------------------------


def _load_json(path: Path, problems: list[str]):
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        problems.append(f"{path.name} is missing")
    except (OSError, ValueError, RecursionError) as error:
        problems.append(f"{path.name} is unreadable: {type(error).__name__}: {error}")
    return None


def served_problems(deps: Path, *, base: str = BASE, must_exist: bool = True) -> list[str]:
    """Everything wrong with what a server would serve from ``deps`` (empty: consistent).

    Every URL of ``importmap.json`` must name an existing, non-empty file of the folder whose
    content hash equals its ``?v=`` and its ``fileHash`` in ``_metadata.json``; the import map,
    ``_metadata.json`` and ``manifest.json`` must describe the same ids, files and chunks;
    every relative import inside a served file must exist; the sizes and hashes
    ``_metadata.json`` records must hold; and nothing else may be in the folder (no staging
    leftovers, no half-written temp files)."""
    if not deps.exists():
        return ["the deps dir is missing"] if must_exist else []
    if not deps.is_dir():
        return ["the deps dir is not a folder"]
    problems: list[str] = []
    importmap = _load_json(deps / "importmap.json", problems)
    metadata = _load_json(deps / "_metadata.json", problems)
    manifest = _load_json(deps / "manifest.json", problems)
    if problems:
        return problems
    try:
        imports = importmap["imports"]
        optimized = metadata["optimized"]
        chunks = metadata["chunks"]
        assert isinstance(imports, dict) and isinstance(optimized, dict) and isinstance(manifest, dict)
    except (KeyError, TypeError, AssertionError):
        return ["importmap.json, _metadata.json or manifest.json has the wrong shape"]
    if set(imports) != set(optimized):
        problems.append(f"import map and metadata name other ids: {sorted(set(imports) ^ set(optimized))[:5]}")
    served: set[str] = set()
    for id_, url in imports.items():
        problems += _check_url(deps, id_, url, optimized.get(id_), base, served)
    problems += _check_manifest(deps, manifest, optimized, chunks)
    problems += _check_recorded(deps, metadata)
    problems += _check_imports_inside(deps, served | {c.get("file", "") for c in chunks.values()})
    problems += _check_nothing_else(deps, metadata, manifest)
    return problems


def _check_url(deps: Path, id_: str, url: object, record: dict | None, base: str, served: set[str]) -> list[str]:
    if not isinstance(url, str) or not url.startswith(base) or "?v=" not in url:
        return [f"{id_}: URL {url!r} is not {base}<file>?v=<hash>"]
    name, version = url[len(base):].split("?v=", 1)
    served.add(name)
    path = deps / name
    try:
        data = path.read_bytes()
    except OSError as error:
        return [f"{id_}: {name} cannot be read ({error.strerror or error})"]
    problems = []
    if not data:
        problems.append(f"{id_}: {name} is empty")
    actual = file_hash(data)
    if actual != version:
        problems.append(f"{id_}: {name} has hash {actual}, the import map says ?v={version}")
    if record is None or record.get("file") != name or record.get("fileHash") != actual:
        problems.append(f"{id_}: _metadata.json says {record and (record.get('file'), record.get('fileHash'))}, "
                        f"the file is ({name}, {actual})")
    return problems


def _check_manifest(deps: Path, manifest: dict, optimized: dict, chunks: dict) -> list[str]:
    problems = []
    entry_keys = {key for key in manifest if not key.startswith("_")}
    if entry_keys != set(optimized):
        problems.append(f"manifest and metadata name other ids: {sorted(entry_keys ^ set(optimized))[:5]}")
    chunk_keys = {key[1:] for key in manifest if key.startswith("_")}
    chunk_files = {c.get("file") for c in chunks.values() if isinstance(c, dict)}
    if chunk_keys != chunk_files:
        problems.append(f"manifest and metadata name other chunks: {sorted(chunk_keys ^ chunk_files)[:5]}")
    for key, record in manifest.items():
        if not isinstance(record, dict):
            problems.append(f"manifest {key}: not an object")
            continue
        file = record.get("file")
        if key in optimized and optimized[key].get("file") != file:
            problems.append(f"manifest {key}: file {file}, metadata says {optimized[key].get('file')}")
        if key.startswith("_") and key != "_" + str(file):
            problems.append(f"manifest {key}: file {file}")
        for other in record.get("imports", []):
            if other not in manifest:
                problems.append(f"manifest {key}: imports {other}, which has no record")
        for name in [file, *record.get("css", []), *record.get("assets", [])]:
            if not isinstance(name, str) or not (deps / name).is_file():
                problems.append(f"manifest {key}: {name} is missing")
    return problems


def _check_recorded(deps: Path, metadata: dict) -> list[str]:
    """The sizes and hashes ``_metadata.json`` records for every file and document."""
    problems = []
    section = metadata.get("prebundle")
    if not isinstance(section, dict):
        return ["_metadata.json has no prebundle section"]
    recorded = {name: info for package in section.get("packages", {}).values()
                for name, info in package.get("files", {}).items()}
    recorded.update(section.get("documents", {}))
    for name, info in recorded.items():
        try:
            data = (deps / name).read_bytes()
        except OSError:
            problems.append(f"{name}: recorded in _metadata.json, missing")
            continue
        if len(data) != info.get("size") or file_hash(data) != info.get("hash"):
            problems.append(f"{name}: size/hash {len(data)}/{file_hash(data)}, recorded {info}")
    return problems


def _check_imports_inside(deps: Path, names: set[str]) -> list[str]:
    """A browser that loads a served file also loads the files it imports relatively."""
    problems = []
    for name in sorted(names):
        try:
            data = (deps / name).read_bytes()
        except OSError:
            continue  # reported by the URL or manifest check
        for static, dynamic in _RELATIVE_IMPORT.findall(data):
            target = (static or dynamic).decode("utf-8", "replace")
            if not (deps / name).parent.joinpath(target).is_file():
                problems.append(f"{name} imports ./{target}, which is missing")
    return problems


def _check_nothing_else(deps: Path, metadata: dict, manifest: dict) -> list[str]:
    known = set(DOCUMENTS)
    for package in metadata.get("prebundle", {}).get("packages", {}).values():
        known |= set(package.get("files", {}))
    for record in manifest.values():
        if isinstance(record, dict):
            known |= {record.get("file"), *record.get("css", []), *record.get("assets", [])}
    problems = []
    for path in deps.rglob("*"):
        rel = path.relative_to(deps).as_posix()
        if path.is_dir():
            if any(part.startswith(TEMP_PREFIXES) for part in rel.split("/")):
                problems.append(f"staging leftover served: {rel}/")
            continue
        plain = rel[:-3] if rel.endswith((".gz", ".br")) else rel
        if plain not in known:
            problems.append(f"file not described by _metadata.json served: {rel}")
    return problems


def deps_snapshot(deps: Path) -> dict[str, str]:
    """Every file of a deps dir by name, with its full SHA-256: equal snapshots, same output."""
    if not deps.is_dir():
        return {}
    return {p.relative_to(deps).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(deps.rglob("*")) if p.is_file()}


# -- running the CLI --------------------------------------------------------------------------


@dataclass(frozen=True)
class CliRun:
    code: int
    output: str
    """stderr then stdout."""
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]

    @property
    def first_line(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.output


def run_cli(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300,
            preexec_fn=None) -> CliRun:
    started = time.perf_counter()
    done = subprocess.run([str(PREBUNDLE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          errors="replace", timeout=timeout, preexec_fn=preexec_fn)
    return CliRun(done.returncode, done.stderr + done.stdout, time.perf_counter() - started)


def cli_env(shared_cache: Path | str) -> dict[str, str]:
    """The environment of a CLI run: its own machine-wide cache, no colours, no terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREBUNDLE_")}
    env.update(PREBUNDLE_CACHE_DIR=str(shared_cache), NO_COLOR="1", TERM="dumb", PYTHONUNBUFFERED="1")
    return env


# -- the apps ---------------------------------------------------------------------------------


def compat_root(root: Path) -> Path:
    """A copy of the 55-package compat app (fixtures/compat): ``node_modules`` a real folder of
    per-package symlinks plus a copy of ``.package-lock.json``, so the install state can change.
    (``make_app`` with these options; bench/reliability.py uses this name too.)"""
    sys.path.insert(0, str(REPO))
    from tests.support.apps import make_app

    return make_app(root, compat=True, install_state=True)


def small_app(root: Path, source: str = "import React from 'react'\nimport cn from 'classnames'\n"
              "import dayjs from 'dayjs'\n") -> Path:
    """A small app over the real packages of fixtures/npm (``make_app`` with a default source;
    bench/reliability.py uses this name too)."""
    sys.path.insert(0, str(REPO))
    from tests.support.apps import make_app

    return make_app(root, source)
