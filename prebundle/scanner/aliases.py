"""Aliases: the app file a non-relative import names through the tsconfig's ``paths`` or
``baseUrl`` (``@/components/Button`` -> ``src/components/Button.tsx``), before the crawl takes it
for a package.

Only the app's own files (under the root, outside ``node_modules``) are read with their nearest
tsconfig, as the daemon and esbuild read them; a target inside ``node_modules`` is left to
package resolution. What an answer rested on goes to the crawl's
:class:`~.evidence.Evidence`: the tsconfig files read, the folders looked in for the nearest one
(a new tsconfig changes their stamp), and the folders each candidate was probed in.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from ..app.dev_tsconfig import Tsconfig, TsconfigError, TsconfigFinder, is_app_path
from ..resolve import may_be_alias

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ..resolve import AliasMatch, PathAliases, Resolver
    from .evidence import Evidence

__all__ = ["AliasLinks", "Aliased"]


class Aliased(NamedTuple):
    """What a tsconfig made of an import."""

    file: str | None
    """The file it names; None when a ``paths`` key matched and no target is a file."""
    reason: str
    """Why nothing was found (``file`` None): what the tsconfig tried, for the report."""


class AliasLinks:
    """The alias resolutions of one crawl of ``root``; ``warn`` receives one line per tsconfig
    that cannot be read (its aliases are then not applied)."""

    def __init__(self, resolver: Resolver, evidence: Evidence, *, root: Path, warn: Callable[[str], None],
                 name: Callable[[str], str]) -> None:
        self.resolver = resolver
        self.evidence = evidence
        self.finder = TsconfigFinder(root)
        self._root = self.finder.root
        self._warn = warn
        self._name = name
        self._folders: dict[str, Tsconfig | None] = {}
        """Importer's folder -> its tsconfig (None: none, or outside the app)."""
        self._memo: dict[tuple[str, str], Aliased | None] = {}
        """(specifier, tsconfig) -> the answer."""
        self._broken: set[str] = set()
        """The tsconfig files warned about (once each)."""

    def target(self, specifier: str, folder: str) -> Aliased | None:
        """What ``specifier``, imported from a file in ``folder``, names through its tsconfig;
        None when no alias applies (a package, as before)."""
        if not may_be_alias(specifier):
            return None
        tsconfig = self._tsconfig(folder)
        aliases = None if tsconfig is None else tsconfig.aliases
        if aliases is None:
            return None
        key = (specifier, aliases.tsconfig)
        if key in self._memo:
            return self._memo[key]
        match = aliases.match(specifier)
        answer = None if match is None else self._probe(match, aliases)
        self._memo[key] = answer
        return answer

    def keeps_type_imports(self, folder: str) -> bool:
        """Whether the tsconfig of files in ``folder`` keeps imports used only as types
        (``verbatimModuleSyntax``, ``preserveValueImports``, ``importsNotUsedAsValues``
        ``preserve``/``error``): they are then runtime imports, as esbuild emits them."""
        tsconfig = self._tsconfig(folder)
        if tsconfig is None:
            return False
        options = tsconfig.options
        return (options.get("verbatimModuleSyntax") is True or options.get("preserveValueImports") is True
                or options.get("importsNotUsedAsValues") in ("preserve", "error"))

    def jsx_import_source(self, folder: str) -> str | None:
        """The tsconfig's ``jsxImportSource`` for files in ``folder`` (esbuild compiles their
        JSX with it: ``@emotion/react``), if it names one."""
        tsconfig = self._tsconfig(folder)
        source = tsconfig.options.get("jsxImportSource") if tsconfig is not None else None
        return source if isinstance(source, str) and source.strip() else None

    def _tsconfig(self, folder: str) -> Tsconfig | None:
        """The tsconfig of files in ``folder``, once per folder; None outside the app."""
        if folder in self._folders:
            return self._folders[folder]
        found_tsconfig = None
        if is_app_path(self._root, folder):
            found = self.finder.nearest(folder)
            self._stamp_search(folder, found)
            if found is not None:
                try:
                    tsconfig = self.finder.read(found)
                except TsconfigError as error:
                    self.evidence.provable = False  # what it would extend is not stamped
                    if found not in self._broken:
                        self._broken.add(found)
                        self._warn(f"{error}; its paths and baseUrl are not applied")
                else:
                    self.evidence.tree.update(tsconfig.files)
                    found_tsconfig = tsconfig
        self._folders[folder] = found_tsconfig
        return found_tsconfig

    def _stamp_search(self, folder: str, found: str | None) -> None:
        """The folders looked in for the nearest tsconfig: one appearing there changes the
        answer (and the folder's stamp)."""
        top = os.path.dirname(found) if found is not None else self._root
        current = folder
        while True:
            self.evidence.tree.add(current)
            if current == top or not current.startswith(self._root + os.sep):
                break
            current = os.path.dirname(current)

    def _probe(self, match: AliasMatch, aliases: PathAliases) -> Aliased | None:
        """The first candidate that names a file of the app; when none does, the reason for the
        report, or None when a miss is a package's to report (``baseUrl`` alone, a ``*`` key)."""
        evidence = self.evidence
        for candidate in match.candidates:
            folders = [os.path.dirname(candidate)]
            if evidence.is_dir(candidate):
                folders += [candidate, os.path.join(candidate, "package.json")]
            found = self.resolver.resolve_path(candidate)
            target = None if found is None else str(found)
            evidence.resolved(tuple(folders), target)
            if target is not None and "node_modules" not in found.parts:
                return Aliased(target, "")
        if not match.miss_is_error:
            return None
        tried = ", ".join(self._name(candidate) for candidate in match.candidates) or "no target"
        return Aliased(None, f"it matches {match.pattern!r} in the paths of {self._name(aliases.tsconfig)}, but no "
                             f"file is there (tried {tried}, with extensions and index files); fix the import or "
                             "the paths")
