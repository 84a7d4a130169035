"""The hashes that decide whether output is still valid (CONTRACT.md "Cache validity").

``lockfile_hash`` covers what is installed (install state, else lockfiles), the dependency
lists of ``package.json`` and the contents of ``patches/``; ``config_hash`` covers every config
field that changes output plus the prebundle and esbuild versions. Both are cheap: reading a few
files, no bundling. Each package also gets its own ``package_key`` (its install identity, its
ids, ``build_hash`` and, for a package with a CommonJS entry, the interop settings), so a changed
lockfile rebuilds only the packages that changed, and a changed ``interop`` only those with a
CommonJS entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .interop.format import esm_by_text

if TYPE_CHECKING:
    from .interop import DefaultRule
    from .plan import PlannedPackage

log = logging.getLogger("prebundle.hashing")

__all__ = [
    "INSTALL_STATE_FILES",
    "LOCKFILES",
    "CacheHashes",
    "InstallState",
    "build_hash",
    "cache_hashes",
    "config_hash",
    "find_lockfile_dir",
    "hash_of",
    "interop_key",
    "interop_rule",
    "lockfile_hash",
    "package_key",
]

INSTALL_STATE_FILES = (
    "node_modules/.package-lock.json",
    "node_modules/.pnpm/lock.yaml",
    "node_modules/.yarn-state.yml",
)
"""What the package manager last installed: preferred over the lockfiles when present."""
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb")
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies",
                     "overrides", "resolutions", "pnpm")


def hash_of(*parts: str | bytes) -> str:
    """The first 8 hex digits of the SHA-256 of the parts, as Vite writes its hashes."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:8]


@dataclass(frozen=True)
class CacheHashes:
    """The hashes that decide whether a deps dir is still valid, as ``_metadata.json`` records them."""

    config_hash: str
    """``configHash``: the config fields that change output, and the tool versions."""
    lockfile_hash: str
    """``lockfileHash``: what is installed, the dependency lists and the patches."""
    hash: str
    """``hash``: both together; a deps dir of another ``hash`` is out of date."""
    build_hash: str
    """The part of ``configHash`` in every package's key (``build_hash``)."""
    build_digest: str = ""
    """``build_hash`` at full length (64 hex digits): what package keys hold, since the caches
    they name may be shared by a whole team, where 8 digits could meet by chance."""
    digest: str = ""
    """``hash`` at full length: the inputs of the whole deps dir (its snapshot's key)."""


def cache_hashes(config: Config, *, esbuild_version: str, prebundle_version: str) -> CacheHashes:
    """The hashes of the project as it is now, for ``config`` and those tool versions."""
    build_text = _build_settings(config, esbuild_version=esbuild_version, prebundle_version=prebundle_version)
    build_value = hash_of(build_text)
    config_value = _with_selective_settings(build_value, config)
    lockfile_full = _lockfile_digest(config.root)
    lockfile_value = lockfile_full[:8]
    build_digest = _full_digest(build_text)
    return CacheHashes(config_value, lockfile_value, hash_of(config_value, lockfile_value), build_value,
                       build_digest, _full_digest(build_digest, _selective_settings(config), lockfile_full))


def _full_digest(*parts: str) -> str:
    """The whole SHA-256 of the parts (``hash_of`` keeps 8 digits)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def find_lockfile_dir(root: Path) -> Path:
    """The nearest folder at or above ``root`` with a lockfile or install state (monorepos)."""
    for folder in (root, *root.parents):
        if any((folder / name).is_file() for name in (*INSTALL_STATE_FILES, *LOCKFILES)):
            return folder
    return root


def lockfile_hash(root: Path) -> str:
    """Hash of the install state (or lockfiles), ``package.json`` dependency lists and patches."""
    return _lockfile_digest(root)[:8]


def _lockfile_digest(root: Path) -> str:
    """:func:`lockfile_hash` at full length."""
    folder = find_lockfile_dir(root)
    parts: list[str | bytes] = []
    state = [name for name in INSTALL_STATE_FILES if (folder / name).is_file()]
    for name in state or [name for name in LOCKFILES if (folder / name).is_file()]:
        parts += [name, (folder / name).read_bytes()]
    for package_json in dict.fromkeys([root / "package.json", folder / "package.json"]):
        parts += ["package.json", _dependency_lists(package_json)]
    for patch in _patch_files(folder):
        parts += [patch.name, patch.read_bytes()]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _dependency_lists(path: Path) -> str:
    data = read_json_file(path, ignored="its dependency lists are ignored")
    if not isinstance(data, dict):
        return ""
    return json.dumps({key: data.get(key) for key in DEPENDENCY_FIELDS}, sort_keys=True)


def read_json_file(path: Path, *, ignored: str) -> Any:
    """The JSON in ``path``; None when it is absent, and also when it is unreadable or not valid
    JSON, after a one-line warning naming the file, the fault and what is ``ignored``."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_json_cached(str(path), stat.st_mtime_ns, stat.st_size, ignored)


@lru_cache(maxsize=32)
def _read_json_cached(path: str, _mtime_ns: int, _size: int, ignored: str) -> Any:
    """Cached by file stamp: read once per change, and warned about once (the daemon reads
    these files on every run)."""
    try:
        return json.loads(Path(path).read_bytes())
    except OSError as error:
        fault = error.strerror or type(error).__name__
    except ValueError as error:
        fault = f"not valid JSON ({error})"
    except RecursionError:
        fault = "not valid JSON (nested too deeply)"
    log.warning("warning: %s: %s; %s", path, fault, ignored)
    return None


def _patch_files(folder: Path) -> list[Path]:
    patches = folder / "patches"
    if not patches.is_dir():
        return []
    return sorted(path for path in patches.rglob("*") if path.is_file())


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that decides what a bundle contains (bundler, interop, shims), so a
    changed prebundle never reuses bundles an older one built, even at the same version. At
    full length: builds are shared between machines that may run other checkouts."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("bundle/*.py"), *package.glob("interop/*"), *package.glob("shims/*")]):
        if path.is_file():
            content = path.read_bytes()
            digest.update(f"{path.relative_to(package).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()


def config_hash(config: Config, *, esbuild_version: str, prebundle_version: str) -> str:
    """Hash of the config fields that change output, and of the tool versions (``configHash``)."""
    build_value = build_hash(config, esbuild_version=esbuild_version, prebundle_version=prebundle_version)
    return _with_selective_settings(build_value, config)


def _with_selective_settings(build_value: str, config: Config) -> str:
    """``build_value`` with the settings that change only the plan (``no_discovery``,
    ``include``, ``exclude``: which ids are built, each package's key holding its own ids), only
    the import map (``base``), or only the bundles of packages with a CommonJS entry (the
    interop rule and ``needs_interop``, which those packages' keys hold themselves): a change
    of one re-optimizes, and rebuilds only the packages whose keys changed."""
    return hash_of(build_value, _selective_settings(config))


def _selective_settings(config: Config) -> str:
    return json.dumps({"no_discovery": config.no_discovery, "interop": interop_rule(config),
                       "needs_interop": sorted(config.needs_interop), "include": sorted(config.include),
                       "exclude": sorted(config.exclude), "base": config.base}, sort_keys=True)


def build_hash(config: Config, *, esbuild_version: str, prebundle_version: str) -> str:
    """Hash of the config fields that change every package's bundle, and of the tool versions:
    the part of ``configHash`` each ``package_key`` holds, so a setting that changes only some
    bundles (``interop``) leaves the others' keys, here and in the machine-wide cache, as they were."""
    return hash_of(_build_settings(config, esbuild_version=esbuild_version, prebundle_version=prebundle_version))


def _build_settings(config: Config, *, esbuild_version: str, prebundle_version: str) -> str:
    """The JSON text ``build_hash`` hashes."""
    relevant: dict[str, Any] = {
        "mode": config.mode,
        "define": dict(sorted(config.define.items())),
        "target": list(config.target),
        "conditions": list(config.conditions),
        "main_fields": list(config.main_fields),
        "esbuild_options": _jsonable(config.esbuild_options),
        "plugins": _plugin_keys(config),
        "esbuild": esbuild_version,
        "prebundle": prebundle_version,
        "code": code_fingerprint(),
    }
    return json.dumps(relevant, sort_keys=True, default=repr)


def interop_rule(config: Config) -> DefaultRule:
    """The ``default`` rule of ``__esModule`` CommonJS modules for this project: the key
    ``interop``, where ``auto`` is ``node`` when the root ``package.json`` has ``"type":
    "module"`` (Node's semantics for an ESM app, as Vite 8 gives ESM importers), else ``bundler``.
    Read on every run, so an edit of ``package.json`` applies; an unreadable one means ``bundler``."""
    if config.interop != "auto":
        return "node" if config.interop == "node" else "bundler"
    manifest = read_json_file(config.root / "package.json", ignored='interop "auto" takes the bundler rule')
    return "node" if isinstance(manifest, dict) and manifest.get("type") == "module" else "bundler"


def _plugin_keys(config: Config) -> list[dict[str, Any]]:
    """Each active plugin's name, order, ``apply`` and cache key (or fingerprint)."""
    if not config.plugins:
        return []
    # the plugin package loads its machinery (asyncio, for async hooks): only configs with plugins pay
    from .plugins.cache_key import plugin_cache_key

    return [plugin_cache_key(plugin) for plugin in config.plugin_container.plugins]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


class InstallState:
    """What the lockfile says about each installed package: its integrity, for package keys."""

    def __init__(self, root: Path, *, realpath: Callable[[str], str] = os.path.realpath) -> None:
        self.folder = find_lockfile_dir(root)
        self._packages = _read_npm_packages(self.folder)
        self._patches = _patch_files(self.folder)
        self._realpath = realpath
        """The run's cached ``realpath`` (the resolver's): a key is computed for every package."""
        self._real_folder = realpath(str(self.folder.absolute()))
        self._below_folder = self._real_folder.rstrip(os.sep) + os.sep

    def identity(self, package_dir: Path, name: str, version: str | None) -> str:
        """A string that changes whenever the installed bytes of that package may have changed."""
        real = self._realpath(str(package_dir.absolute()))
        if real.startswith(self._below_folder) or real == self._real_folder:
            relative = real[len(self._below_folder):].replace(os.sep, "/") or "."
        else:  # installed through a symlink from elsewhere: the hoisted record
            relative = f"node_modules/{name}"
        record = self._packages.get(relative, {})
        integrity = record.get("integrity") or record.get("resolved") or ""
        if not integrity:  # no lockfile record (linked, pnpm, yarn): fall back to its package.json
            integrity = _package_json_digest(package_dir)
        patch_prefix = name.replace("/", "+") + "+"
        patches = [hashlib.sha256(p.read_bytes()).hexdigest()[:16]
                   for p in self._patches if p.name.startswith(patch_prefix)]
        return json.dumps([name, version, relative, integrity, patches])


def _read_npm_packages(folder: Path) -> dict[str, dict]:
    """The ``packages`` table of npm's install state or lockfile (package integrity)."""
    for name in ("node_modules/.package-lock.json", "package-lock.json", "npm-shrinkwrap.json"):
        path = folder / name
        if not path.exists():
            continue
        data = read_json_file(path, ignored="packages are keyed by their package.json instead of its integrity")
        packages = data.get("packages") if isinstance(data, dict) else None
        return packages if isinstance(packages, dict) else {}
    return {}


def _package_json_digest(package_dir: Path) -> str:
    try:
        return hashlib.sha256((package_dir / "package.json").read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def package_key(identity: str, ids: Iterable[str], config_hash_value: str, *, interop: str = "") -> str:
    """The cache key of one package's build: same key, same files. ``config_hash_value`` is the
    ``build_hash``; ``interop`` the interop settings that shape this package's bundle, if any.

    32 hex digits (128 bits), not the 8 of Vite's hashes: the key names a build in caches that
    a whole team's machines share (``remote/``), where two builds must never meet under one name."""
    digest = hashlib.sha256()
    for part in (identity, json.dumps(sorted(ids)), config_hash_value, interop):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def interop_key(package: PlannedPackage, config: Config, rule: DefaultRule) -> str:
    """The interop settings that may shape ``package``'s bundle, for its cache key: the
    ``default`` rule and its ids in ``needs_interop``; nothing for a package whose entries are
    all ES modules by name or text (``esm_by_text``), which those settings leave as it is (so
    its build stays shared with projects of the other rule).

    Asked without a parse: the key is computed for every package of every run, and parsing the
    few entries whose text leaves it open (a big ESM file with CommonJS words in it) cost a
    fully cached run more than all its reuse. Such a package gets the rule in its key: correct,
    only shared less."""
    if all(planned.id not in config.needs_interop and esm_by_text(planned.src) for planned in package.ids):
        return ""
    return json.dumps([rule, [planned.id for planned in package.ids if planned.id in config.needs_interop]])
