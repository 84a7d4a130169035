"""Bare imports settled before a build starts, so that most of them never ask Python.

Nearly every bare import inside a package names another installed package and stays a bare
import (``imports``). Asking Python about each one costs a round trip on the service's pipe
while an esbuild goroutine waits; a cold build of a 40-package app asks about 2,000 times. So a
group's build gets, up front:

* ``external``: the names installed where the project root looks (its ``node_modules`` and
  those above it), which esbuild then leaves as bare imports, subpaths included;
* ``asked``: a filter for the resolve callback, matching the bare imports whose answer may
  differ from "external" and so need ``ImportPolicy``: Node builtins, the group's own packages
  (their self-imports are bundled), names a package's ``browser`` map replaces, names found in
  ``node_modules`` folders inside a package or on its own lookup path but not the root's (a
  nested copy is bundled), everything a CommonJS package declares as a dependency (its
  ``require()`` calls become facades), and declared dependencies that are not installed.

Those lists are a guess that can be wrong (an ES module package that calls ``require``, a
subpath no ``exports`` allows). :meth:`UpFront.disagreement` checks the guess afterwards: the
metafile lists every import of every file the build read and what esbuild made of it, and
each bare import esbuild settled alone must be what the policy decides. If one is not, or the
build failed, the group is built again the usual way, asking Python about every bare import:
the output is the same either way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..specifiers import NODE_BUILTINS, is_bare, split_package
from .imports import JS_KINDS, Decision
from .modules import OWN_NAMESPACES, REQUIRE_NS

__all__ = ["UpFront", "installed_names", "lookup_folders", "modules_listing"]

RUNTIME = "<runtime>"
"""How the metafile names esbuild's own helpers, which no resolve callback sees."""
_NOT_BARE = ("", ".", "/")
"""First characters of specifiers that are plainly not bare (relative, absolute): skipped before
the full test, as most imports in a build are relative."""
_BUILTIN_NAMES = frozenset(split_package(name)[0] for name in NODE_BUILTINS)
_DECLARED = ("dependencies", "peerDependencies", "optionalDependencies")
_LITERAL = re.compile(r"[^A-Za-z0-9@/_~-]")
"""Characters of a package name that a regular expression must escape (Go's and Python's
syntax both read a backslash before punctuation as the character itself)."""

Decide = Callable[[str, str, str], "tuple[Decision, Any] | None"]
"""(specifier, kind, importing folder) -> the policy's decision, or None for a file no
package of the group holds."""


@dataclass(frozen=True)
class UpFront:
    """What one group's build is told before it starts."""

    external: tuple[str, ...]
    """Package names esbuild leaves as bare imports (the ``external`` option)."""
    asked_names: frozenset[str]
    """The package names whose bare imports Python decides (``node:`` imports too)."""

    @property
    def asked(self) -> str:
        """The resolve callback's filter (a Go regular expression): ``asked_names`` and their
        subpaths, and ``node:`` imports."""
        names = "|".join(_LITERAL.sub(lambda m: "\\" + m.group(), name) for name in sorted(self.asked_names))
        return f"^(?:node:|(?:{names})(?:/|$))"

    def is_asked(self, specifier: str) -> bool:
        """Whether the filter sends a bare ``specifier`` to Python (what :attr:`asked` matches)."""
        return specifier.startswith("node:") or split_package(specifier)[0] in self.asked_names

    @classmethod
    def for_group(cls, packages: Iterable[tuple[str, str, Mapping[str, Any], bool]], *,
                  installed: frozenset[str], root_folders: frozenset[str],
                  manifest_of: Callable[[str], Mapping[str, Any]]) -> UpFront:
        """``packages``: each package of the group as (name, real folder, browser map,
        CommonJS entry); ``installed``: :func:`installed_names` of the root; ``root_folders``:
        :func:`lookup_folders` of the root; ``manifest_of``: a folder's package.json."""
        asked = set(_BUILTIN_NAMES)
        for name, folder, browser, commonjs in packages:
            asked.add(name)
            asked.update(split_package(key)[0] for key in browser if is_bare(key))
            asked.update(_declared(manifest_of(folder), installed, everything=commonjs))
            for copy_name, copy_folder in _other_copies(folder, root_folders):
                asked.add(copy_name)  # a copy the root does not see: bundled inside, whatever its syntax
                asked.update(_declared(manifest_of(copy_folder), installed, everything=True))
        return cls(tuple(sorted(installed - asked)), frozenset(asked))

    def disagreement(self, metafile: Mapping[str, Any], *, root: str, decide: Decide) -> str | None:
        """The first bare import the build settled without asking that the policy decides
        otherwise, described for a debug line; None when every one agrees."""
        for path, meta in (metafile.get("inputs") or {}).items():
            namespace, colon, _rest = path.partition(":")
            if not (colon and namespace in OWN_NAMESPACES):
                namespace = "file"
            if namespace not in ("file", REQUIRE_NS):
                continue  # proxies import their entry by a relative path; stubs import nothing
            folder = os.path.dirname(os.path.normpath(os.path.join(root, path)))
            for item in meta.get("imports") or ():
                written = item.get("original") or item.get("path") or ""
                if written[:1] in _NOT_BARE or written == RUNTIME or self.is_asked(written) or not is_bare(written):
                    continue
                external, kind = bool(item.get("external")), item.get("kind")
                if namespace == REQUIRE_NS:  # a facade imports its package, always external
                    expected: tuple[Decision, Any] | None = (Decision.EXTERNAL, written)
                elif kind not in JS_KINDS:
                    expected = None  # CSS and asset URLs: esbuild's own resolution
                else:
                    expected = decide(written, kind, folder)
                if expected is None:
                    if external:
                        return f"{path}: {kind} {written!r} was left external"
                    continue
                decision, target = expected
                if decision is Decision.EXTERNAL and external and item.get("path") == target:
                    continue
                if decision is Decision.BUNDLE and not external:
                    continue
                return f"{path}: {kind} {written!r} is {decision.value}, not {'external' if external else 'bundled'}"
        return None


def lookup_folders(folder: str) -> frozenset[str]:
    """The ``node_modules`` folders Node looks in for a bare import made in ``folder``."""
    found = []
    while True:
        if os.path.basename(folder) != "node_modules":
            found.append(os.path.join(folder, "node_modules"))
        parent = os.path.dirname(folder)
        if parent == folder:
            return frozenset(found)
        folder = parent


def installed_names(root_folders: Iterable[str]) -> frozenset[str]:
    """Every package name in the given ``node_modules`` folders."""
    names: set[str] = set()
    for modules in root_folders:
        names.update(modules_listing(modules))
    return frozenset(names)


def modules_listing(modules: str) -> set[str]:
    """The package names in one ``node_modules`` folder (``@scope/name`` for scoped ones); none
    when it cannot be listed."""
    names: set[str] = set()
    try:
        entries = list(os.scandir(modules))
    except OSError:
        return names
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .bin, .package-lock.json, .vite (this output), .pnpm
        if not entry.name.startswith("@"):
            names.add(entry.name)
            continue
        try:
            names.update(f"{entry.name}/{scoped.name}" for scoped in os.scandir(entry.path)
                         if not scoped.name.startswith("."))
        except OSError:
            continue
    return names


def _declared(manifest: Mapping[str, Any], installed: frozenset[str], *, everything: bool) -> set[str]:
    """The dependencies a package.json declares: all of them (``everything``), else those not
    installed where the root looks (an optional one may be missing: a stub, not an error)."""
    names: set[str] = set()
    for field in _DECLARED:
        declared = manifest.get(field)
        if isinstance(declared, dict):
            names.update(name for name in declared if everything or name not in installed)
    return names


def _other_copies(folder: str, root_folders: frozenset[str]) -> list[tuple[str, str]]:
    """(name, folder) of the packages that this package's files may import instead of the
    root's copy: those in ``node_modules`` folders inside the package (and inside those copies),
    and in ``node_modules`` folders on the package's own lookup path that the root does not
    look in."""
    copies: list[tuple[str, str]] = []
    pending = [modules for modules in lookup_folders(folder) if modules not in root_folders]
    seen: set[str] = set()
    while pending:
        modules = pending.pop()
        if modules in seen:
            continue
        seen.add(modules)
        for name in sorted(modules_listing(modules)):
            copy = os.path.join(modules, name)
            copies.append((name, copy))
            if modules.startswith(folder + os.sep):  # a copy inside the package may hold its own
                pending.append(os.path.join(copy, "node_modules"))
    return copies
