"""Files plugins emit with ``current_context().emit_file(...)``: where they go and their names.

prebundle writes no bundle of the app, so an emitted asset cannot wait for a bundle to be
written: it is written at once, to ``<cache_dir>/assets/<file name>``, which no run replaces
(the deps dir is swapped whole on every run, and would lose it). The daemon serves that folder
at ``/@prebundle/assets/``; a backend serves it as static files. The file name is
``file_name`` when the plugin gives one, else ``name``'s stem and extension around a hash of
the content (``logo-1a2b3c4d.svg``), as Rollup's ``assets/[name]-[hash][extname]``.
"""

from __future__ import annotations

import hashlib
import posixpath
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..commit import atomic_write

__all__ = ["ASSETS_DIR", "EmittedAssets"]

ASSETS_DIR = "assets"
"""The folder of the cache dir that holds emitted files."""


class EmittedAssets:
    """The assets emitted under one cache dir, by reference id."""

    def __init__(self, cache_dir: Path) -> None:
        self.directory = cache_dir / ASSETS_DIR
        """Where emitted files are written."""
        self._names: dict[str, str] = {}
        """Reference id → file name (the reference id is the file name; kept apart, as in Rollup)."""
        self._lock = threading.Lock()

    def emit(self, file: Mapping[str, Any]) -> str:
        """Write an asset now and return its reference id; ``ValueError`` for a file that is
        not an asset, or a name that would leave the folder."""
        if file.get("type", "asset") != "asset":
            raise ValueError(f"emit_file: only {{'type': 'asset'}} files can be emitted, not {file.get('type')!r}")
        source = file.get("source")
        if isinstance(source, str):
            source = source.encode("utf-8")
        if not isinstance(source, (bytes, bytearray)):
            raise ValueError("emit_file: 'source' must be str or bytes")
        fixed = file.get("file_name") or file.get("fileName")
        name = _checked(fixed) if fixed else _hashed_name(file.get("name"), bytes(source))
        target = self.directory / name
        with self._lock:
            if not _holds(target, bytes(source)):
                atomic_write(target, bytes(source))
            self._names[name] = name
        return name

    def file_name(self, reference_id: str) -> str:
        """The file name of an emitted asset, inside ``directory``."""
        try:
            return self._names[reference_id]
        except KeyError:
            raise ValueError(f"get_file_name: no file was emitted with reference id {reference_id!r}") from None


def _hashed_name(name: Any, source: bytes) -> str:
    digest = hashlib.sha256(source).hexdigest()[:8]
    if not name:
        return f"asset-{digest}"
    stem, ext = posixpath.splitext(posixpath.basename(str(name).replace("\\", "/")))
    return _checked(f"{stem or 'asset'}-{digest}{ext}")


def _checked(name: Any) -> str:
    """``name`` when it is a plain relative path that stays inside the folder."""
    text = str(name).replace("\\", "/")
    parts = text.split("/")
    if (not text or text.startswith("/") or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
            or "\0" in text or ":" in parts[0]):
        raise ValueError(f"emit_file: {name!r} is not a file name inside the assets folder "
                         "(no '..', no leading '/', no hidden names)")
    return text


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` already has exactly ``data`` (then it is not written again)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
