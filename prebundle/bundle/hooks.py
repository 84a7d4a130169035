"""Python plugins inside the bundle stage: ``resolve_id``, and ``load``/``transform`` of virtual
modules and of every file a build reads.

A callback to Python for every file would cost a round trip per file (lodash-es has 640), and
plugins leave most files alone. So a build runs first with no file callbacks; then every file it
read that the hooks have not seen goes to them in one batch (:func:`build_with_file_hooks`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import esbuild
from ..filetypes import read_text
from .modules import DUAL_NS, PROXY_NS, VIRTUAL_NS, dual_file, own_namespace

if TYPE_CHECKING:
    from ..esbuild import OnLoadArgs, OnResolveArgs, PluginBuild
    from ..plugins import PluginContainer

__all__ = ["FileHooks", "bridge_plugins", "build_with_file_hooks"]

LOADERS = {".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx", ".ts": "ts", ".mts": "ts", ".cts": "ts",
           ".tsx": "tsx", ".css": "css", ".json": "json"}
MAX_HOOK_PASSES = 4
"""Builds before the plugin hooks get a callback for every file instead."""
MAX_CHANGED_FILES = 200
"""Files the hooks changed, above which a callback for every file is cheaper than a filter."""


class FileHooks:
    """The plugins' code for the files of one build, computed once per file; ``only`` limits
    the callback to those files (whose code is known), else every file gets one."""

    def __init__(self, plugins: PluginContainer, done: dict[str, str | None], only: list[str] | None = None) -> None:
        self.plugins = plugins
        self.done = done
        self.filter = "^(?:" + "|".join(map(re.escape, only)) + ")$" if only else ".*"

    def code_of(self, path: str) -> str | None:
        """The file's new code, or None when the plugins leave it as it is."""
        if path not in self.done:
            self.done.update(self.plugins.load_and_transform([path], read_text))
        return self.done[path]


def build_with_file_hooks(build_once: Callable[[FileHooks | None], Any], plugins: PluginContainer, root: Path,
                          *, is_failure: Callable[[BaseException], bool]):
    """A build whose files all go through the plugins' ``load`` and ``transform``.

    The build runs, then every file it read and the hooks have not seen yet goes to them in one
    batch. When they leave all of those as they are, that build is the answer; otherwise it runs
    again with callbacks for just the files the hooks changed (their code kept from the batch:
    no hook sees a file twice), which may read new files, and so on. Many changed files, or a
    build that fails (a file type only a plugin can load), fall back to one build with a callback
    for every file. ``build_once(hooks)`` returns esbuild's result."""
    done: dict[str, str | None] = {}
    for _ in range(MAX_HOOK_PASSES):
        changed = sorted(path for path, code in done.items() if code is not None)
        if len(changed) > MAX_CHANGED_FILES:
            break
        try:
            result = build_once(FileHooks(plugins, done, only=changed) if changed else None)
        except Exception as error:  # noqa: BLE001 - only the failures the caller names
            if not is_failure(error):
                raise
            break
        unseen = [path for path in files_read(result.metafile, root) if path not in done]
        fresh = plugins.load_and_transform(unseen, read_text)
        done.update(fresh)
        if all(code is None for code in fresh.values()):
            return result
    return build_once(FileHooks(plugins, done))


def bridge_plugins(build: PluginBuild, plugins: PluginContainer, root: Path, file_hooks: FileHooks | None) -> None:
    """Python plugins' ``resolve_id`` and ``load``/``transform`` of virtual modules as esbuild
    callbacks; with ``file_hooks``, also ``load``/``transform`` of files."""
    if plugins.has("resolve_id"):
        # Bare and virtual specifiers only: a package's relative imports between its own files
        # are its business, and asking Python about each would cost a round trip.
        @build.on_resolve(filter=r"^[^./]")
        def plugin_resolve(args: OnResolveArgs):
            if args.kind == "entry-point" or args.path.startswith(PROXY_NS + ":"):
                return None
            importer = "\0" + args.importer if args.namespace == VIRTUAL_NS else (args.importer or None)
            resolved = plugins.resolve_id(args.path, importer, {"kind": args.kind})
            if resolved is None:
                return None
            if resolved.startswith("\0"):
                return esbuild.OnResolveResult(path=resolved[1:], namespace=VIRTUAL_NS)
            return esbuild.OnResolveResult(path=resolved)

    if plugins.has("load") or plugins.has("transform"):
        @build.on_load(filter=".*", namespace=VIRTUAL_NS)
        def plugin_virtual(args: OnLoadArgs):
            id_ = "\0" + args.path
            code = plugins.load(id_)
            if code is None:
                return None
            return esbuild.OnLoadResult(contents=plugins.transform(code, id_), loader="js", resolve_dir=str(root))

    if file_hooks is not None:
        @build.on_load(filter=file_hooks.filter, namespace="file")
        def plugin_file(args: OnLoadArgs):
            code = file_hooks.code_of(args.path)
            if code is None:
                return None  # untouched: esbuild reads the file itself
            return esbuild.OnLoadResult(contents=code, loader=LOADERS.get(Path(args.path).suffix, "js"))


def files_read(metafile: Mapping[str, Any] | None, root: Path) -> list[str]:
    """The absolute paths of the files a build loaded (its metafile inputs outside our own
    namespaces, which are written relative to the working directory, the root; ``DUAL_NS``
    holds files too: ``modules.dual_path``)."""
    files = []
    for key in (metafile or {}).get("inputs", {}):
        namespace = own_namespace(key)
        if namespace == DUAL_NS:
            files.append(dual_file(key[len(DUAL_NS) + 1:], str(root)))
        elif namespace is None:
            files.append(os.path.normpath(os.path.join(root, key)))
    return files
