"""``why``: the chains of imports that bring a package into the browser.

A chain starts at an app file's import (``src/main.jsx:3``) and follows the bare imports that
the optimized bundles make (``react-dom/client`` imports ``scheduler``) to one of the package's
ids: ``src/main.jsx:3 → react-dom/client → scheduler``. Every shortest chain is given (the
fewest packages in between), for each app import that starts one; a package the app imports
itself has chains of one step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .resolve import ResolveError
from .specifiers import split_package

if TYPE_CHECKING:
    from .config import Config
    from .inventory import Inventory, PackageEntry
    from .resolve import Resolver

__all__ = ["MAX_CHAINS", "Answer", "why"]

MAX_CHAINS = 200
"""Chains listed at most (``count`` says how many there are)."""


@dataclass(frozen=True)
class Answer:
    """Why ``asked`` is (or is not) in the browser."""

    asked: str
    """A package name, or one of its ids."""
    packages: tuple[PackageEntry, ...]
    """The optimized copies of it (a nested copy is a package of its own)."""
    served_as_is: tuple[str, ...]
    """Its ids that pages load from its own files (excluded or linked)."""
    chains: tuple[tuple[str, ...], ...]
    """Each shortest chain: an app ``file:line``, then ids, the last one the package's; sorted."""
    count: int
    """How many shortest chains there are (``chains`` lists ``MAX_CHAINS`` at most)."""
    included: bool
    """It is optimized although nothing the app loads imports it: ``include`` names it, or a
    package ``include`` names imports it."""
    installed: str | None
    """Its installed version (``""`` when its ``package.json`` has none); None when it is not
    installed."""

    @property
    def reaches(self) -> bool:
        """Pages can load it: something imports it, or ``include`` puts it in the import map."""
        return bool(self.chains) or self.included

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.asked, "reaches": self.reaches,
            "versions": sorted({p.version for p in self.packages if p.version}),
            "ids": sorted({id_ for p in self.packages for id_ in p.ids} | set(self.served_as_is)),
            "chains": [list(chain) for chain in self.chains], "count": self.count,
            "importers": {"app": sorted({place for p in self.packages for place in p.importers.app}),
                          "packages": sorted({name for p in self.packages for name in p.importers.packages})},
            "included": self.included, "servedAsIs": list(self.served_as_is),
            "installed": self.installed is not None, "installedVersion": self.installed or None,
        }


def why(inventory: Inventory, asked: str, config: Config, resolver: Resolver) -> Answer:
    """The chains that bring ``asked`` (a package name, or an id) into the browser."""
    packages = tuple(p for p in inventory.packages if p.name == asked or asked in p.ids)
    served = tuple(item.id for item in inventory.served_as_is if item.name == asked or item.id == asked)
    named = any(p.name == asked for p in packages) or any(item.name == asked for item in inventory.served_as_is)
    targets = {id_ for p in packages for id_ in p.ids} | set(served) if named else {asked}
    starts = {id_: places for p in inventory.packages for id_, places in p.importers.app_by_id.items()}
    starts.update((item.id, item.importers) for item in inventory.served_as_is if item.importers)
    edges = {id_: imported for p in inventory.packages for id_, imported in p.edges.items()}
    chains, count = shortest_chains(starts, edges, targets)
    included = not chains and bool(packages)  # the optimizer keeps only what the app or `include` asks for
    return Answer(asked, packages, served, chains, count, included, _installed(asked, config, resolver))


def shortest_chains(starts: Mapping[str, Iterable[str]], edges: Mapping[str, Iterable[str]],
                    targets: set[str]) -> tuple[tuple[tuple[str, ...], ...], int]:
    """``(chains, count)``: every shortest chain from an app import to one of ``targets``
    (``MAX_CHAINS`` at most, sorted) and how many there are. ``starts``: ids the app imports ->
    the places importing them; ``edges``: id -> the ids loading it imports."""
    depth = {id_: 0 for id_, places in starts.items() if places}
    parents: dict[str, list[str]] = {}
    queue = deque(sorted(depth))
    while queue:
        id_ = queue.popleft()
        for imported in edges.get(id_, ()):
            if imported not in depth:
                depth[imported] = depth[id_] + 1
                queue.append(imported)
            if depth[imported] == depth[id_] + 1:
                parents.setdefault(imported, []).append(id_)
    reached = [id_ for id_ in targets if id_ in depth]
    if not reached:
        return (), 0
    best = min(depth[id_] for id_ in reached)
    ends = sorted(id_ for id_ in reached if depth[id_] == best)

    @lru_cache(maxsize=None)
    def count(id_: str) -> int:
        if depth[id_] == 0:
            return len(tuple(starts[id_]))
        return sum(count(parent) for parent in parents[id_])

    def paths(id_: str) -> Iterable[tuple[str, ...]]:
        if depth[id_] == 0:
            for place in starts[id_]:
                yield (place, id_)
            return
        for parent in sorted(parents[id_]):
            for path in paths(parent):
                yield (*path, id_)

    chains: list[tuple[str, ...]] = []
    for end in ends:
        for chain in paths(end):
            if len(chains) >= MAX_CHAINS:
                break
            chains.append(chain)
    return tuple(sorted(chains)), sum(count(end) for end in ends)


def _installed(asked: str, config: Config, resolver: Resolver) -> str | None:
    """The installed version of ``asked``'s package as the app would resolve it; None when
    none is installed."""
    name = split_package(asked)[0]
    folder = resolver.find_package_dir(name, config.root)
    if folder is None:
        return None
    try:
        return str(resolver.package_json(folder).get("version") or "")
    except ResolveError:  # a package.json that is not JSON: installed, of no known version
        return ""
