"""A package's names imported on first use (PEP 562's module ``__getattr__``): the CLI is timed
from process start, and a run that needs one name of a package should not load all of its
modules. Each package says which module holds which name; this module does the rest.

It imports nothing at run time beyond ``importlib`` (not even ``typing``): the CLI's fast path
loads it.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: a name of ``modules`` (name -> relative module) is
    imported from its module when first asked for, and kept in ``namespace`` (the package's
    globals) so the next lookup is a plain one."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__
