"""Bare imports settled before a build starts, so that most of them never ask Python.

Nearly every bare import inside a package names another installed package and stays a bare
import (``imports``). Asking Python about each one costs a round trip on the service's pipe
while an esbuild goroutine waits; a cold build of a 40-package app asks about 2,000 times. So a
group's build gets, up front:

* ``external``: the names installed where the project root looks (its ``node_modules`` and
  those above it), which esbuild then leaves as bare imports, subpaths included, whatever the
  kind of import;
* ``filter``: the resolve callback's filter, matching the bare imports whose answer may differ
  from "external" and so need ``ImportPolicy``: Node builtins, the group's own packages (their
  self-imports are bundled), names a package's ``browser`` map replaces, names found in
  ``node_modules`` folders inside a package or on its own lookup path but not the root's (a
  nested copy is bundled), installed names that are symlinks (a workspace package), everything
  a CommonJS package declares as a dependency (its ``require()`` calls become facades), and
  declared dependencies that are not installed.

Those lists are a guess that can be wrong (an ES module package that calls ``require``, a
subpath no ``exports`` allows, a CSS ``@import`` of another package). :meth:`UpFront.disagreement`
checks the guess afterwards: the metafile lists every import of every file the build read and
what esbuild made of it, and each bare import esbuild settled alone must be what the policy
decides. If one is not, or the build failed, the group is built again the usual way, asking
Python about every bare import. So the output is the one asking about every import gives,
provided nothing else resolves bare imports: no plugins, and none of esbuild's ``alias``,
``external`` or ``packages`` options (the builder asks about every import then). A project
installed by pnpm (every package a symlink into ``.pnpm``) asks about every import too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..specifiers import NODE_BUILTINS, is_bare, split_package
from .imports import JS_KINDS, Decision
from .modules import DUAL_NS, REQUIRE_NS, dual_file, own_namespace

__all__ = ["Installed", "Member", "UpFront", "installed", "lookup_folders"]

RUNTIME = "<runtime>"
"""How the metafile names the import of esbuild's own helpers: it looks bare, but no resolve
callback ever sees it."""
_NOT_BARE = ("", ".", "/")
"""First characters of specifiers that are plainly not bare (relative, absolute): skipped before
the full test, as most imports in a build are relative."""
_BUILTIN_NAMES = frozenset(split_package(name)[0] for name in NODE_BUILTINS)
_DECLARED = ("dependencies", "peerDependencies", "optionalDependencies")
_UNESCAPED = frozenset("@/_~-")
"""ASCII punctuation a package name may hold that needs no backslash in a regular expression.
Other ASCII punctuation is escaped (Go's and Python's syntax both read a backslash before it as
the character itself); non-ASCII characters are left as they are (Go refuses to escape them)."""

Decide = Callable[[str, str, str], "tuple[Decision, Any] | None"]
"""(specifier, kind, importing folder) -> the policy's decision, or None for a file no
package of the group holds."""


class Member(NamedTuple):
    """A package of the group, as the guess needs it."""

    name: str
    folder: str
    """Its real folder."""
    browser: Mapping[str, Any]
    """Its ``browser`` map."""
    commonjs: bool
    """An id of it has a CommonJS entry."""


class Installed(NamedTuple):
    """What the project root sees installed."""

    folders: frozenset[str]
    """The ``node_modules`` folders it looks in (``lookup_folders``)."""
    names: frozenset[str]
    """Package names in them that are folders."""
    links: frozenset[str]
    """Package names in them that are symlinks (a workspace or linked package)."""
    pnpm: bool
    """One of them holds ``.pnpm``: every package is a symlink into it."""


@dataclass(frozen=True)
class UpFront:
    """What one group's build is told before it starts."""

    external: tuple[str, ...]
    """Package names esbuild leaves as bare imports (the ``external`` option)."""
    asked_names: frozenset[str]
    """The package names whose bare imports Python decides (``node:`` imports too)."""

    @property
    def filter(self) -> str:
        """The resolve callback's filter (a Go regular expression): ``asked_names`` and their
        subpaths, and ``node:`` imports."""
        names = "|".join(_literal(name) for name in sorted(self.asked_names))
        return f"^(?:node:|(?:{names})(?:/|$))"

    def is_asked(self, specifier: str) -> bool:
        """Whether the filter sends a bare ``specifier`` to Python (what :attr:`filter` matches)."""
        return specifier.startswith("node:") or split_package(specifier)[0] in self.asked_names

    @classmethod
    def for_group(cls, members: Iterable[Member], installed: Installed, *,
                  manifest_of: Callable[[str], Mapping[str, Any]],
                  listing: Callable[[str], tuple[set[str], set[str]]]) -> UpFront:
        """``manifest_of``: a folder's package.json; ``listing``: :func:`modules_listing`,
        cached by the caller (every group lists the same folders)."""
        asked = set(_BUILTIN_NAMES) | installed.links
        every = installed.names | installed.links
        for member in members:
            asked.add(member.name)
            asked.update(split_package(key)[0] for key in member.browser if is_bare(key))
            asked.update(_declared(manifest_of(member.folder), every, everything=member.commonjs))
            for copy_name, copy_folder in _other_copies(member.folder, installed.folders, listing):
                asked.add(copy_name)  # a copy the root does not see: bundled inside, whatever its syntax
                asked.update(_declared(manifest_of(copy_folder), every, everything=True))
        return cls(tuple(sorted(installed.names - asked)), frozenset(asked))

    def disagreement(self, metafile: Mapping[str, Any], *, root: str, decide: Decide) -> str | None:
        """The first bare import the build settled without asking that the policy decides
        otherwise, described for a debug line; None when every one agrees. ``root``: the build's
        working directory, which the metafile's paths are relative to."""
        for path, meta in (metafile.get("inputs") or {}).items():
            namespace = own_namespace(path) or "file"
            if namespace == DUAL_NS:  # a file
                namespace, path = "file", dual_file(path[len(DUAL_NS) + 1:], root)
            if namespace not in ("file", REQUIRE_NS):
                continue  # proxies import their entry by a relative path; stubs import nothing
            folder = os.path.dirname(os.path.normpath(os.path.join(root, path)))
            for item in meta.get("imports") or ():
                written = item.get("original") or item.get("path") or ""
                if written[:1] in _NOT_BARE or written == RUNTIME or self.is_asked(written) or not is_bare(written):
                    continue
                external, kind = bool(item.get("external")), item.get("kind")
                if kind == "require-resolve":
                    continue  # esbuild leaves `require.resolve(x)` as written, external or not
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


def installed(root: str, listing: Callable[[str], tuple[set[str], set[str]]]) -> Installed:
    """What the project root (a real path) sees installed."""
    folders = lookup_folders(root)
    names: set[str] = set()
    links: set[str] = set()
    for modules in folders:
        found, linked = listing(modules)
        names |= found
        links |= linked
    pnpm = any(os.path.isdir(os.path.join(modules, ".pnpm")) for modules in folders)
    return Installed(folders, frozenset(names - links), frozenset(links), pnpm)


def modules_listing(modules: str) -> tuple[set[str], set[str]]:
    """The entries of one ``node_modules`` folder as package names (``@scope/name`` for scoped
    ones), and which of them are symlinks; nothing when it cannot be listed. Hidden entries
    (``.bin``, ``.vite``, ``.pnpm``) are left out; a stray file counts as a name, harmlessly."""
    names: set[str] = set()
    links: set[str] = set()
    try:
        entries = list(os.scandir(modules))
    except OSError:
        return names, links
    for entry in entries:
        if entry.name.startswith("."):
            continue
        scoped = [entry]
        if entry.name.startswith("@"):
            try:
                scoped = [sub for sub in os.scandir(entry.path) if not sub.name.startswith(".")]
            except OSError:
                continue
        for package in scoped:
            name = package.name if package is entry else f"{entry.name}/{package.name}"
            names.add(name)
            if package.is_symlink():
                links.add(name)
    return names, links


def _literal(name: str) -> str:
    """``name`` as a regular expression that matches exactly it (see ``_UNESCAPED``)."""
    return "".join("\\" + char if char.isascii() and not char.isalnum() and char not in _UNESCAPED else char
                   for char in name)


def _declared(manifest: Mapping[str, Any], installed: frozenset[str], *, everything: bool) -> set[str]:
    """The dependencies a package.json declares: all of them (``everything``), else those not
    installed where the root looks (an optional one may be missing: a stub, not an error)."""
    names: set[str] = set()
    for field in _DECLARED:
        declared = manifest.get(field)
        if isinstance(declared, dict):
            names.update(name for name in declared if everything or name not in installed)
    return names


def _other_copies(folder: str, root_folders: frozenset[str],
                  listing: Callable[[str], tuple[set[str], set[str]]]) -> list[tuple[str, str]]:
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
        for name in sorted(listing(modules)[0]):
            copy = os.path.join(modules, name)
            copies.append((name, copy))
            if modules.startswith(folder + os.sep):  # a copy inside the package may hold its own
                pending.append(os.path.join(copy, "node_modules"))
    return copies
