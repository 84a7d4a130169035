"""Project trees for the tests: small file trees, copies of the committed fixtures, and apps over
the installed npm packages of ``fixtures/npm`` or ``fixtures/compat`` (one :func:`make_app`)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

__all__ = ["COMPAT", "DOCUMENT", "FIXTURES", "HAND_MODULES", "NPM_DIR", "NPM_MODULES", "REPO", "TINY_PACKAGE",
           "compat_page", "copy_fixture", "drop_from_lockfile", "make_app", "require_installed", "write_tree"]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
NPM_DIR = FIXTURES / "npm"
"""Real npm packages from a committed lockfile (``make test`` runs ``npm ci`` here)."""
NPM_MODULES = NPM_DIR / "node_modules"
HAND_MODULES = FIXTURES / "optimize" / "node_modules"
"""Hand-written packages (odd shapes the real ones lack); copied into apps, never linked."""
COMPAT = FIXTURES / "compat"
"""The 55-package compatibility app (its own ``npm ci``)."""

DOCUMENT = ('<!doctype html>\n<html><head><title>t</title></head><body>\n'
            '<script type="module" src="/src/main.js"></script>\n</body></html>\n')
"""A whole HTML document loading ``/src/main.js`` (the daemon injects into its ``<head>``)."""

TINY_PACKAGE = {
    "package.json": json.dumps({"name": "tiny-dep", "version": "1.0.0", "type": "module", "main": "index.js"}),
    "index.js": "export const tiny = 'tiny ok';\nexport default function hello() { return 'hello'; }\n",
}
"""``tiny-dep``, a package a test may edit (the real ones are shared links)."""


def require_installed(modules: Path = NPM_MODULES, probe: str = "react") -> Path:
    """``modules``, or fail (not skip) the test when ``npm ci`` has not run there."""
    if not (modules / probe / "package.json").is_file():
        pytest.fail(f"{modules.parent.relative_to(REPO)} is not installed: run `make test` (it runs `npm ci` there)")
    return modules


def write_tree(root: Path, files: Mapping[str, str | bytes], *, npm: bool = False) -> Path:
    """Write ``files`` (relative path → text or bytes) under ``root`` and return ``root``; with
    ``npm=True`` also link the real npm packages in as ``node_modules``. May be called again on
    the same root to add files."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if npm:
        (root / "node_modules").symlink_to(NPM_MODULES, target_is_directory=True)
    return root


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy ``fixtures/<name>`` to ``dest`` (symlinks kept as symlinks) and return it."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def drop_from_lockfile(path: Path, names: Iterable[str]) -> None:
    """``npm uninstall``'s change to one lockfile: remove the packages' ``node_modules/<name>``
    records and their entries in the root's dependency lists."""
    names = tuple(names)
    data = json.loads(path.read_text())
    packages = data.get("packages", {})
    for key in list(packages):
        if any(key == f"node_modules/{name}" or key.startswith(f"node_modules/{name}/") for name in names):
            del packages[key]
    for field in ("dependencies", "devDependencies", "optionalDependencies"):
        for name in names:
            (packages.get("", {}).get(field) or {}).pop(name, None)
    path.write_text(json.dumps(data, indent=2) + "\n")


def compat_page(script: str, css: list[str]) -> str:
    """A page of the compat app: the results list, ``css`` links, and ``script`` as a module."""
    links = "".join(f'<link rel="stylesheet" href="{href}">\n' for href in css)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\n" + links + "</head>\n<body>\n"
            f'<ul id="results"></ul>\n<script type="module" src="{script}"></script>\n</body></html>\n')


def make_app(root: Path, source: str | None = None, *, compat: bool = False, entry: str = "src/main.js",
             html: str | None = None, extra: Mapping[str, str | bytes] | None = None,
             packages: Iterable[str] | None = None, hand_packages: bool = True, tiny_dep: bool = False,
             lockfile: bool = True, dependencies: Mapping[str, str] | None = None,
             install_state: bool = False, npm_layout: bool = False, esbuild: bool = True,
             real_packages: Iterable[str] = ()) -> Path:
    """An app at ``root`` over installed npm packages; returns ``root``.

    By default (``compat=False``) an app over ``fixtures/npm``: ``entry`` holds ``source``,
    ``index.html`` (``html``, or a bare module script tag of ``entry``) loads it, ``node_modules``
    links the real packages (``packages``: only those; the links keep their realpath inside a
    ``node_modules``), and

    - ``hand_packages``: copies the hand-written packages of ``fixtures/optimize``;
    - ``tiny_dep``: adds an editable copy of ``tiny-dep`` (in the lockfile and ``package.json`` too);
    - ``lockfile``: writes fixtures/npm's ``package-lock.json``; ``package.json`` lists
      ``dependencies``, or else the lockfile's.

    With ``compat=True``, a copy of fixtures/compat's app files (no ``source``): its packages
    linked in one by one, one HTML page per case (``cases/<name>.html``) and per budget page
    (``budget/<name>.html``), and

    - ``install_state``: a copy of ``node_modules/.package-lock.json``, so the install state can change;
    - ``npm_layout``: each ``@scope`` a real folder of per-package links, as ``npm ci`` leaves it.

    Either kind: ``esbuild=False`` leaves esbuild out entirely (``node_modules/esbuild``,
    ``@esbuild``, ``package.json``, the lockfiles), as in an app that never installed it;
    ``real_packages`` are copied instead of linked, so a test may edit them; ``extra`` files
    (relative path → content) are written last.
    """
    if compat:
        if source is not None or tiny_dep or packages is not None or dependencies is not None or html is not None:
            raise TypeError("make_app(compat=True) takes the compat app's own sources, pages and packages")
        _compat_app(root, install_state=install_state, npm_layout=npm_layout)
    else:
        if source is None:
            raise TypeError("make_app() needs the source of its entry (or compat=True)")
        if install_state or npm_layout:
            raise TypeError("install_state and npm_layout are options of the compat app")
        _npm_app(root, source, entry=entry, html=html, packages=packages, hand_packages=hand_packages,
                 tiny_dep=tiny_dep, lockfile=lockfile, dependencies=dependencies)
    modules = root / "node_modules"
    if not esbuild:
        _drop_esbuild(root)
    if npm_layout:
        for scope in sorted(modules.iterdir()):  # npm's layout: @scope is a folder, not a link
            if scope.name.startswith("@") and scope.is_symlink():
                target = scope.resolve()
                scope.unlink()
                scope.mkdir()
                for package in sorted(target.iterdir()):
                    (scope / package.name).symlink_to(package, target_is_directory=True)
    for name in real_packages:
        link = modules / name
        target = link.resolve()
        link.unlink()
        shutil.copytree(target, link, symlinks=True)
    if extra:
        write_tree(root, extra)
    return root


def _npm_app(root: Path, source: str, *, entry: str, html: str | None, packages: Iterable[str] | None,
             hand_packages: bool, tiny_dep: bool, lockfile: bool, dependencies: Mapping[str, str] | None) -> None:
    require_installed()
    (root / entry).parent.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(html if html is not None else f'<script type="module" src="/{entry}"></script>\n')
    (root / entry).write_text(source)
    modules = root / "node_modules"
    modules.mkdir(exist_ok=True)
    wanted = [NPM_MODULES / name for name in packages] if packages is not None else sorted(NPM_MODULES.iterdir())
    for entry_dir in wanted:
        if not entry_dir.name.startswith(".") and not (modules / entry_dir.name).exists():
            (modules / entry_dir.name).symlink_to(entry_dir, target_is_directory=True)
    if hand_packages:
        shutil.copytree(HAND_MODULES, modules, symlinks=True, dirs_exist_ok=True)
    if tiny_dep:
        write_tree(modules / "tiny-dep", TINY_PACKAGE)
    deps = dict(dependencies or {})
    if lockfile:
        lock = json.loads((NPM_DIR / "package-lock.json").read_text())
        if tiny_dep:
            lock["packages"]["node_modules/tiny-dep"] = {"version": "1.0.0"}
        (root / "package-lock.json").write_text(json.dumps(lock, indent=2))
        if dependencies is None:
            deps = dict(lock["packages"][""]["dependencies"])
    if tiny_dep and dependencies is None:
        deps["tiny-dep"] = "1.0.0"
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": deps}))


def _compat_app(root: Path, *, install_state: bool, npm_layout: bool) -> None:
    modules = require_installed(COMPAT / "node_modules")
    root.mkdir(parents=True, exist_ok=True)
    for name in ("src", "data.json", "sockjs", "package.json", "package-lock.json"):
        source = COMPAT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    (root / "node_modules").mkdir()
    for entry in modules.iterdir():
        if not entry.name.startswith("."):
            (root / "node_modules" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for folder in ("cases", "budget"):
        (root / folder).mkdir()
        for script in sorted((root / "src" / folder).glob("*.js")):
            css = re.findall(r"^// @css (\S+)$", script.read_text(), flags=re.M)
            (root / folder / f"{script.stem}.html").write_text(compat_page(f"/src/{folder}/{script.name}", css))
    if install_state:
        shutil.copy2(modules / ".package-lock.json", root / "node_modules" / ".package-lock.json")


def _drop_esbuild(root: Path) -> None:
    modules = root / "node_modules"
    for name in ("esbuild", "@esbuild"):
        path = modules / name
        if path.is_symlink():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
    manifest = json.loads((root / "package.json").read_text())
    for field in ("dependencies", "devDependencies", "optionalDependencies"):
        (manifest.get(field) or {}).pop("esbuild", None)
    (root / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for lock in (root / "package-lock.json", modules / ".package-lock.json"):
        if lock.is_file():
            drop_from_lockfile(lock, ("esbuild", "@esbuild"))
