"""``get_module_info`` from the plugin context: what the last scan knows about a module.

prebundle does not build a module graph of the app the way Rollup does: the scan records the
files it crawled, the entries, and for each bare import the files that make it. A
``ModuleGraph`` answers from that record, so a hook can ask which files import ``react`` or
which packages a file imports; the relative imports between the app's files are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .paths import normalize_path

if TYPE_CHECKING:
    from ..config import Config
    from ..scanner.result import ScanResult

__all__ = ["ModuleGraph", "ModuleInfo", "record_scan"]


@dataclass(frozen=True)
class ModuleInfo:
    """One module as the last scan saw it: a file of the app, or a bare import."""

    id: str
    """A normalized file path, or the bare specifier as written (``react-dom/client``)."""
    is_entry: bool
    """A scan entry (an HTML page, or a file of ``entries``)."""
    importers: tuple[str, ...]
    """For a bare import: the files that import it. Empty for a file: the scan does not keep
    the relative imports between files."""
    imported_ids: tuple[str, ...]
    """For a file: the bare imports it makes, as written. Empty for a bare import."""
    resolved: str | None
    """For a bare import: the file it resolves to; for a file: the file itself."""


class ModuleGraph:
    """The modules of one scan, by id."""

    def __init__(self, modules: Mapping[str, ModuleInfo]) -> None:
        self._modules = dict(modules)

    @classmethod
    def from_scan(cls, result: ScanResult) -> ModuleGraph:
        root = normalize_path(result.root).rstrip("/") + "/"
        entries = {normalize_path(entry) for entry in result.entries}
        imported: dict[str, list[str]] = {}
        modules: dict[str, ModuleInfo] = {}
        for records in (result.deps, result.linked, result.excluded):
            for spec, dep in records.items():
                importers = tuple(root + name for name in dep.importers)
                for importer in importers:
                    imported.setdefault(importer, []).append(spec)
                modules[spec] = ModuleInfo(spec, False, importers, (),
                                           normalize_path(dep.src) if dep.src is not None else None)
        for file in result.files:
            id_ = normalize_path(file)
            modules[id_] = ModuleInfo(id_, id_ in entries, (), tuple(sorted(imported.get(id_, ()))), id_)
        return cls(modules)

    def get(self, id_: str) -> ModuleInfo | None:
        return self._modules.get(id_) or self._modules.get(normalize_path(id_))


def record_scan(config: Config, result: ScanResult) -> None:
    """Let ``config``'s plugins ask about the modules of ``result`` (the scan of this run)."""
    if config.plugins:
        config.plugin_container.record_scan(result)
