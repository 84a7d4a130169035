"""Where the es-module-shims polyfill is: the package installed in the frontend's
``node_modules`` (the app serves it from its own origin, under ``base + POLYFILL_FILE``)."""

from __future__ import annotations

import json
from pathlib import Path

from .graph import AssetsError

__all__ = ["POLYFILL_FILE", "find_polyfill"]

POLYFILL_FILE = "_polyfill/es-module-shims.js"
"""Where the polyfill is served under ``base`` (no optimized file name has a ``/``)."""


def find_polyfill(root: Path | None, deps_dir: Path) -> Path:
    """The installed es-module-shims file of the project at ``root`` (or the one holding
    ``deps_dir``); ``AssetsError`` saying how to install it if absent."""
    modules = _node_modules(root, deps_dir)
    package = modules / "es-module-shims" if modules else None
    if package is None or not (package / "package.json").is_file():
        where = modules or (root or deps_dir)
        raise AssetsError(f"es-module-shims is not installed in {where}; install it with "
                          "`npm install es-module-shims` in the frontend folder, or drop the polyfill tag")
    try:
        meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    main = meta.get("main") if isinstance(meta.get("main"), str) else "dist/es-module-shims.js"
    path = (package / main).resolve()
    if not path.is_file():
        raise AssetsError(f"{path}: es-module-shims is installed but its file is missing; reinstall it")
    return path


def _node_modules(root: Path | None, deps_dir: Path) -> Path | None:
    if root is not None and (root / "node_modules").is_dir():
        return root / "node_modules"
    for folder in deps_dir.parents:
        if folder.name == "node_modules":
            return folder
        if (folder / "node_modules").is_dir():
            return folder / "node_modules"
    return None
