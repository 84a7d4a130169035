"""tsconfig ``paths`` and ``baseUrl``: the files a non-relative import may name, as TypeScript
finds them.

``@/components/Button`` is the app's own file when the nearest tsconfig (or jsconfig) maps it:

* ``paths``: an exact key wins, else the wildcard key (one ``*``) with the longest prefix; its
  targets are tried in order, ``*`` replaced by what it matched, relative to ``baseUrl``, else
  to the folder of the tsconfig that holds ``paths`` (``extends`` followed). When a key
  matches and no target names a file, TypeScript goes on to ``node_modules``, not to
  ``baseUrl``; when that finds no package either, the report names the tsconfig's key (but
  for a key of ``*`` alone, which matches every package name);
* ``baseUrl`` alone: ``components/Button`` is ``<baseUrl>/components/Button`` when that file
  exists, else a package as before.

Each candidate is then probed as a relative import is (:meth:`Resolver.resolve_path`): the exact
file, ``.ts`` for ``.js``, the extensions, a folder's ``index``. This module only maps
specifiers to candidates; the scan and the daemon probe them, each with its own memo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..specifiers import is_bare

__all__ = ["AliasMatch", "PathAliases", "may_be_alias", "path_aliases"]

CONFIG_DIR = "${configDir}"
"""TypeScript 5.5's placeholder for the folder of the tsconfig that applies."""


def may_be_alias(specifier: str) -> bool:
    """Whether ``paths`` or ``baseUrl`` may map ``specifier``: any non-relative name that is not
    a URL (``@/x``, ``~/x``, ``components/x``, ``#x``)."""
    return is_bare(specifier) or (specifier.startswith("#") and len(specifier) > 1)


@dataclass(frozen=True, slots=True)
class AliasMatch:
    """What a tsconfig makes of one specifier."""

    pattern: str | None
    """The ``paths`` key that matched (``@/*``); None when only ``baseUrl`` applies."""
    candidates: tuple[str, ...]
    """Absolute paths to probe, in order; the first that names a file wins."""

    @property
    def miss_is_error(self) -> bool:
        """Whether no file behind the match is an error (unless the name is an installed
        package): a ``paths`` key matched, and not ``*`` alone, which matches every package name
        (a miss there is a package's, with its own report)."""
        return self.pattern is not None and self.pattern != "*"


@dataclass(frozen=True, slots=True)
class PathAliases:
    """The ``paths`` and ``baseUrl`` of one tsconfig, with absolute targets."""

    tsconfig: str
    """The tsconfig that applies (the nearest one; ``paths`` may come from one it extends)."""
    base_url: str | None
    """``baseUrl`` as an absolute folder."""
    exact: Mapping[str, tuple[str, ...]]
    """Keys without ``*`` -> their absolute targets."""
    wildcards: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    """(key, prefix, suffix, absolute targets) of each key with one ``*``, longest prefix first."""

    def match(self, specifier: str) -> AliasMatch | None:
        """The candidates for ``specifier`` (its ``?query`` and ``#hash`` left out); None when
        neither ``paths`` nor ``baseUrl`` applies."""
        name = specifier.split("?", 1)[0]
        if not name.startswith("#"):
            name = name.split("#", 1)[0]
        if not name:
            return None
        targets = self.exact.get(name)
        if targets is not None:
            return AliasMatch(name, targets)
        for key, prefix, suffix, targets in self.wildcards:
            if len(name) >= len(prefix) + len(suffix) and name.startswith(prefix) and name.endswith(suffix):
                star = name[len(prefix):len(name) - len(suffix)]
                return AliasMatch(key, tuple(os.path.normpath(t.replace("*", star, 1)) for t in targets))
        if self.base_url is not None and is_bare(name):
            return AliasMatch(None, (os.path.normpath(os.path.join(self.base_url, name)),))
        return None


def path_aliases(tsconfig: str, options: Mapping[str, Any], *, base_url_from: str | None,
                 paths_from: str | None) -> PathAliases | None:
    """The aliases of merged ``compilerOptions``; ``base_url_from`` and ``paths_from`` are the
    folders of the files that set ``baseUrl`` and ``paths`` (each is relative to its own file).
    None when there are none."""
    config_dir = os.path.dirname(tsconfig)
    base_url = options.get("baseUrl")
    base = None
    if isinstance(base_url, str) and base_url_from is not None:
        base = os.path.normpath(os.path.join(base_url_from, base_url.replace(CONFIG_DIR, config_dir)))
    paths = options.get("paths")
    if not isinstance(paths, dict) or paths_from is None:
        paths = {}
    relative_to = base or paths_from or config_dir
    exact: dict[str, tuple[str, ...]] = {}
    wildcards: list[tuple[str, str, str, tuple[str, ...]]] = []
    for key, values in paths.items():
        if not isinstance(values, list) or key.count("*") > 1:
            continue  # TypeScript rejects these
        targets = tuple(os.path.join(relative_to, value.replace(CONFIG_DIR, config_dir))
                        for value in values if isinstance(value, str) and value)
        if "*" in key:
            prefix, _star, suffix = key.partition("*")
            wildcards.append((key, prefix, suffix, targets))
        else:
            exact[key] = tuple(os.path.normpath(target) for target in targets)
    if base is None and not exact and not wildcards:
        return None
    wildcards.sort(key=lambda item: -len(item[1]))  # stable: the first of equal prefixes wins
    return PathAliases(tsconfig, base, exact, tuple(wildcards))
