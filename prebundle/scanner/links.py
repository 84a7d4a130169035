"""Relative links: what a relative or root-absolute import, or an ``import.meta.glob``, points at.

Each answer is remembered within a scan by (specifier, importer's folder), and across scans in
the index's links while the folders that decided it keep their stamps (no file was added,
removed or renamed there, so extension and index probing would answer the same). What the
answers rested on goes to the crawl's :class:`~.evidence.Evidence`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import Link
from .evidence import CONSTANT_PREFIXES, Evidence
from .files import CRAWLED_SUFFIXES
from .globs import glob_files

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..resolve import Resolver

__all__ = ["RelativeLinks"]

_NODE_MODULES = f"{os.sep}node_modules{os.sep}"


class RelativeLinks:
    """The relative resolutions of one crawl. ``remembered``: the last crawl's links;
    ``any_suffix``: plugins take part, so a file of any suffix may be a module."""

    def __init__(self, resolver: Resolver, evidence: Evidence, remembered: dict[tuple[str, str], Link], *,
                 root: Path, any_suffix: bool, package_of: Callable[[str], str | None] | None = None) -> None:
        self.resolver = resolver.with_listings(evidence.ctime)
        """Probes each folder's files in one listing, stamped before it is read (the stamps
        the proofs carry, so a folder changed after its listing shows as changed)."""
        self.evidence = evidence
        self.remembered = remembered
        self.kept: dict[tuple[str, str], Link] = {}
        """Links of this crawl that its stamps prove, for the next index."""
        self._root = root
        self._root_importer = str(root / "index.html")
        """A stand-in importer for root-relative imports: only its folder is used."""
        self._any_suffix = any_suffix
        self._package_of = package_of or _no_package
        """The excluded package whose files a folder holds (None: the app's, or another
        package's): within node_modules, only those packages' files are crawled."""
        self._memo: dict[tuple[str, str], str | None] = {}

    def target(self, specifier: str, importer: str, folder: str) -> str | None:
        """The crawled file a non-bare import of ``importer`` (in ``folder``) points at; None
        when there is none (unresolved, in node_modules outside the importer's excluded package,
        or not a module)."""
        key = (specifier, folder)
        if key in self._memo:
            return self._memo[key]
        evidence = self.evidence
        folders = evidence.proof_folders(specifier, folder, self.resolver.is_folder)
        if not folders:  # an answer that does not depend on the disk
            self._memo[key] = None
            return None
        link = self.remembered.get(key)
        if link is not None and evidence.holds(link.proof):
            target = link.target or None
            self.kept[key] = link
            evidence.resolved(folders, None)
        else:
            proof = evidence.proof(folders)  # before the folders are read
            found = self._resolve(specifier, importer)
            target = found if found is not None and self._crawled(found, folder) else None
            if evidence.resolved(folders, found):
                self.kept[key] = Link(target or "", proof)
        self._memo[key] = target
        return target

    def glob(self, importer: str, patterns: list[str]) -> list[str]:
        """The crawled files one ``import.meta.glob(...)`` call matches (``!`` patterns
        exclude), the importer itself left out."""
        rooted = [p for p in patterns if p.lstrip("!").startswith("/")]
        base = self._root if rooted else Path(os.path.dirname(importer))
        cleaned = [("!" if p.startswith("!") else "") + p.lstrip("!").lstrip("/") if rooted else p
                   for p in patterns]
        walked: list[str] = []
        matches = [str(match) for match in glob_files(cleaned, base, walked=walked)
                   if match.suffix in CRAWLED_SUFFIXES and str(match) != importer]
        self.evidence.tree.update(walked)
        return matches

    def saved(self, racy_after: int) -> dict[tuple[str, str], Link]:
        """The links for the next index; a stamp taken at or after ``racy_after`` is stored as
        None, so the link is resolved again rather than trusted."""
        return {key: link if _settled(link, racy_after) else _unsettled(link, racy_after)
                for key, link in self.kept.items()}

    def _resolve(self, specifier: str, importer: str) -> str | None:
        """The file a relative or root-absolute import resolves to, if any."""
        if specifier.startswith(CONSTANT_PREFIXES):
            return None
        target = None
        if specifier.startswith("/"):  # root-relative first (`<script src="/src/main.js">`)
            target = self.resolver.resolve_source("." + specifier, self._root_importer)
        if target is None:
            target = self.resolver.resolve_source(specifier, importer)
        return target

    def _crawled(self, target: str, folder: str) -> bool:
        """Whether the crawl follows a resolved file's imports (of a file in ``folder``)."""
        suffix = os.path.splitext(target)[1]
        if _NODE_MODULES in target:  # only within the excluded package the importer is in
            package = self._package_of(folder)
            same = package is not None and package == self._package_of(os.path.dirname(target))
            return same and suffix in CRAWLED_SUFFIXES
        # without plugins, nothing turns other files into modules
        return self._any_suffix or suffix in CRAWLED_SUFFIXES


def _no_package(folder: str) -> None:
    """No folder holds an excluded package's files."""
    return None


def _settled(link: Link, racy_after: int) -> bool:
    """Whether every stamp of ``link``'s proof is older than ``racy_after`` (or racy already)."""
    for _folder, stamp in link.proof:
        if stamp is not None and stamp >= racy_after:
            return False
    return True


def _unsettled(link: Link, racy_after: int) -> Link:
    """``link`` with its stamps from ``racy_after`` on stored as None (racy: never trusted)."""
    return Link(link.target, tuple((d, m if m is None or m < racy_after else None) for d, m in link.proof))
