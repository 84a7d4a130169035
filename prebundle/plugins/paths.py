"""``normalize_path``: the form every id handed to a hook takes (POSIX separators)."""

from __future__ import annotations

import os
import posixpath
import re
from functools import lru_cache

__all__ = ["normalize_path"]

_VOLUME = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")


def normalize_path(path: str | os.PathLike[str]) -> str:
    """``C:\\\\app\\\\src\\\\a.js`` -> ``C:/app/src/a.js``; ``/a/./b/../c`` -> ``/a/c``.

    Backslashes become slashes, ``.``/``..`` segments are folded, a Windows volume is kept.
    Virtual ids (``\\0...``) and URLs are returned unchanged.
    """
    return _normalize(os.fspath(path))


@lru_cache(maxsize=8192)
def _normalize(text: str) -> str:
    """``normalize_path`` of a string, remembered: hooks see the same ids again and again."""
    if text.startswith("\0") or _SCHEME.match(text):
        return text
    text = text.replace("\\", "/")
    volume = ""
    if _VOLUME.match(text):
        volume, text = text[:2].upper(), text[2:]
    normalized = posixpath.normpath(text) if text else text
    if text.startswith("//") and not normalized.startswith("//"):
        normalized = "/" + normalized
    return volume + normalized
