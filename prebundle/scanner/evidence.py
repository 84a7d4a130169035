"""What a crawl's answer depended on, besides the files it read: the evidence a snapshot stamps.

* relative and root-absolute imports: the folder the candidate is probed in and, when the
  candidate is a folder, the folder and its ``package.json`` (the resolution's *proof*, also
  kept with each remembered link so a later crawl reuses the answer while the proof holds);
* every folder from an importer up to the folder whose ``node_modules`` its bare imports use;
* bare imports: each ``node_modules`` (and ``@scope``) folder looked in on the way up, the
  package found and its ``package.json``, the package and entry file of the answer.

An answer that rests on something else (a symlink, a folder's ``package.json`` pointing
elsewhere, a file that could not be read) makes the crawl *unprovable*: no snapshot is saved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..specifiers import split_package

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..resolve import Resolver

__all__ = ["CONSTANT_PREFIXES", "Evidence", "ctime"]

CONSTANT_PREFIXES = ("virtual:", "\0", "data:", "http:", "https:", "//", "#")
"""Non-bare specifiers that never resolve to a crawled file, whatever is on disk."""


def ctime(path: str) -> int:
    """The ctime of a folder (or file) in ns; -1 when it is missing. The ctime, not the mtime:
    it also moves when a ``chmod`` changes what can be listed."""
    try:
        return os.stat(path).st_ctime_ns
    except (OSError, ValueError):  # ValueError: a NUL byte in a garbled specifier
        return -1


class Evidence:
    """The evidence gathered by one crawl of ``root``."""

    def __init__(self, root: Path, *, provable: bool) -> None:
        self.root = str(root)
        self.root_prefix = self.root + os.sep
        self.provable = provable
        """Whether every answer so far rests on stamped evidence (a snapshot may be saved)."""
        self.tree: set[str] = set()
        """Folders (and a few files) whose listing or presence the answer depended on."""
        self.listings: set[str] = set()
        """node_modules (and @scope) folders bare resolution looked in."""
        self.packages: set[str] = set()
        """package.json and entry files of the packages bare resolution found."""
        self._ctimes: dict[str, int] = {}
        self._dirs: dict[str, bool] = {}
        self._chained: set[str] = set()

    def ctime(self, path: str) -> int:
        """:func:`ctime`, once per crawl."""
        found = self._ctimes.get(path)
        if found is None:
            found = self._ctimes[path] = ctime(path)
        return found

    def is_dir(self, path: str) -> bool:
        found = self._dirs.get(path)
        if found is None:
            try:
                found = os.path.isdir(path)
            except ValueError:  # a NUL byte in a garbled specifier
                found = False
            self._dirs[path] = found
        return found

    # -- relative imports --------------------------------------------------------------------

    def proof_folders(self, specifier: str, folder: str, is_dir: Callable[[str], bool]) -> tuple[str, ...]:
        """The paths whose stamps decide a non-bare import's resolution: the folder the
        candidate is probed in (its listing decides extension probing) and, when the candidate
        is a folder, the folder and its package.json (index probing, ``main``); for ``/x``
        both under the root and on the file system. ``()`` when nothing on disk decides it.
        (A file's own stamp is not among them: editing it changes no resolution.) ``is_dir``:
        how to tell a folder (the crawl's listings)."""
        if specifier.startswith(CONSTANT_PREFIXES):
            return ()
        path = specifier.split("?", 1)[0].split("#", 1)[0]
        if path.startswith(("./", "../")) or path in (".", ".."):
            candidates = [os.path.normpath(os.path.join(folder, path))]
        elif path.startswith("/") and not path.startswith("//"):
            inside = os.path.normpath(os.path.join(self.root, path.lstrip("/")))
            candidates = [inside, os.path.normpath(path)]
        else:
            return ()
        out: list[str] = []
        for candidate in candidates:
            items = [os.path.dirname(candidate)]
            if is_dir(candidate):  # appearing as a folder changes the parent's stamp
                items += [candidate, os.path.join(candidate, "package.json")]
            out.extend(item for item in items if item not in out)
        return tuple(out)

    def proof(self, folders: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        """The stamps of ``folders`` now: take them before the folders are read."""
        return tuple((folder, self.ctime(folder)) for folder in folders)

    def holds(self, proof: tuple[tuple[str, int | None], ...]) -> bool:
        """Whether a remembered proof still holds (a racy stamp, stored as None, never does)."""
        return all(stamp is not None and self.ctime(folder) == stamp for folder, stamp in proof)

    def resolved(self, folders: tuple[str, ...], resolved: str | None) -> bool:
        """Note what a resolution rested on; False when ``resolved`` lies outside the folders
        that prove it (a symlink, a ``main`` elsewhere): the crawl is then unprovable."""
        if resolved is not None and os.path.dirname(resolved) not in folders:
            self.provable = False
            return False
        if self.provable:
            self.tree.update(folders)
        return True

    # -- bare imports ------------------------------------------------------------------------

    def chain(self, folder: str, owner: str) -> None:
        """Stamp the folders from an importer's up to its ``node_modules`` owner: a new
        ``node_modules`` (or file) in one of them changes its stamp."""
        while folder not in self._chained:
            self._chained.add(folder)
            self.tree.add(folder)
            parent = os.path.dirname(folder)
            if folder == owner or parent == folder:
                break
            folder = parent

    def bare(self, specifier: str, owner: str, importer: str, answer: object, resolver: Resolver) -> None:
        """Note what resolving ``specifier`` from ``owner`` depended on: every ``node_modules``
        (and ``@scope``) on the way up, the package found there and its ``package.json``, the
        package and entry the answer (a resolution or an error) names."""
        name = split_package(specifier)[0]
        scope = name.split("/", 1)[0] if name.startswith("@") and "/" in name else None
        starts = [owner]
        if not (importer + os.sep).startswith(self.root_prefix):  # a linked package's file
            starts.append(self.root)
        for start in starts:
            folder = start
            while True:
                modules = os.path.join(folder, "node_modules")
                self.listings.add(modules)
                if scope:
                    self.listings.add(os.path.join(modules, scope))
                parent = os.path.dirname(folder)
                if parent == folder:
                    break
                folder = parent
            found = resolver.find_package_dir(name, Path(start))
            if found is not None:
                self.packages.add(os.path.join(found, "package.json"))
        package_dir = getattr(answer, "package_dir", None)
        if package_dir is not None:
            self.packages.add(os.path.join(package_dir, "package.json"))
        entry = getattr(answer, "entry", None)
        if entry is not None:
            self.packages.add(str(entry))
