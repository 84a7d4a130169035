"""How the packages a package imports are installed, as its bundle depends on it.

A package's bundle keeps another hoisted package external (the import map resolves it),
bundles a nested copy inside, bundles the CommonJS file of a dual package its ``require()``
loads, and turns a package that is not installed into a module that throws. So the bundle
stays right only while each package it imports has the same version and the same place. The
packages a ``package.json`` declares are part of the package's cache key; the ones its code
imports without declaring them (select2's ``require("jquery")``) are known only once it was
built: their layout is recorded with the build and compared before the build is reused.
(This module is part of the bundle code's fingerprint, ``hashing.code_fingerprint``: records
made under other rules are never compared.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..resolve import Resolver

__all__ = ["Placement", "install_layout"]

Placement = tuple[str, "str | None", "bool | None"]
"""(name, installed version, whether the copy the package sees is the hoisted one); version and
place None when the package sees no copy."""


def install_layout(resolver: Resolver, root: str, package_dir: str, names: Iterable[str]) -> tuple[Placement, ...]:
    """Each of ``names`` (sorted) as the package in ``package_dir`` sees it installed now."""
    layout: list[Placement] = []
    for name in sorted(set(names)):
        found = resolver.find_package_path(name, package_dir)
        if found is None:
            layout.append((name, None, None))
            continue
        hoisted = resolver.find_package_path(name, root)
        same = hoisted is not None and resolver.realpath(hoisted) == resolver.realpath(found)
        layout.append((name, resolver.package_json(found).get("version"), same))
    return tuple(layout)
