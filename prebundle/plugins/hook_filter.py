"""Vite's object form of a hook: ``{"handler": fn, "order": "pre" | "post", "filter": {...}}``.

``order`` moves the hook before (``"pre"``) or after (``"post"``) the same hook of the other
plugins. ``filter`` (for ``resolve_id``, ``load`` and ``transform``) says which calls the
handler wants, so the others pass it by without calling it:

* ``"id"``: matched against the id (for ``resolve_id``, the specifier): a string is a
  shell-style pattern (``"**/*.tmd"``, ``*`` crossing ``/``), a compiled ``re.Pattern`` is
  searched, a list matches when any does, and ``{"include": ..., "exclude": ...}`` matches
  what it includes (everything, without ``include``) and does not exclude.
* ``"code"`` (``transform`` only): a string is looked for in the code, a pattern searched.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["FILTERED_HOOKS", "ORDERS", "filtered"]

ORDERS = ("pre", None, "post")
FILTERED_HOOKS = ("resolve_id", "load", "transform")

Matcher = Callable[[str], bool]


def filtered(hook: str, handler: Callable[..., Any], spec: Any) -> Callable[..., Any]:
    """``handler``, passing (None) on the calls ``spec`` leaves out; ``ValueError`` for a
    filter it cannot read."""
    if spec is None:
        return handler
    if hook not in FILTERED_HOOKS:
        raise ValueError(f"filter applies to {', '.join(FILTERED_HOOKS)}, not {hook}")
    if not isinstance(spec, Mapping) or set(spec) - {"id", "code"}:
        raise ValueError('filter must be a dict with "id" and/or "code"')
    if "code" in spec and hook != "transform":
        raise ValueError('a "code" filter applies to transform only')
    wants_id = _matcher(spec.get("id"), _id_pattern)
    wants_code = _matcher(spec.get("code"), _code_pattern)
    if hook == "resolve_id":
        return lambda source, importer, options: handler(source, importer, options) if wants_id(source) else None
    if hook == "load":
        return lambda id_: handler(id_) if wants_id(id_) else None
    return lambda code, id_: handler(code, id_) if wants_id(id_) and wants_code(code) else None


def _matcher(value: Any, pattern: Callable[[Any], Matcher]) -> Matcher:
    if value is None:
        return lambda text: True
    if isinstance(value, Mapping):
        if set(value) - {"include", "exclude"}:
            raise ValueError('an id or code filter dict takes "include" and "exclude"')
        include = _any(value.get("include"), pattern) if value.get("include") is not None else None
        exclude = _any(value.get("exclude"), pattern) if value.get("exclude") is not None else None
        return lambda text: (exclude is None or not exclude(text)) and (include is None or include(text))
    return _any(value, pattern)


def _any(value: Any, pattern: Callable[[Any], Matcher]) -> Matcher:
    matchers = [pattern(item) for item in (value if isinstance(value, (list, tuple)) else [value])]
    return lambda text: any(match(text) for match in matchers)


def _id_pattern(item: Any) -> Matcher:
    if isinstance(item, re.Pattern):
        return lambda text: item.search(text) is not None
    if isinstance(item, str):
        return re.compile(fnmatch.translate(item)).match
    raise ValueError(f"an id filter is a string pattern or re.Pattern, not {type(item).__name__}")


def _code_pattern(item: Any) -> Matcher:
    if isinstance(item, re.Pattern):
        return lambda text: item.search(text) is not None
    if isinstance(item, str):
        return lambda text: item in text
    raise ValueError(f"a code filter is a string or re.Pattern, not {type(item).__name__}")
