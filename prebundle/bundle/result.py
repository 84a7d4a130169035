"""What the bundle stage hands on: per package, its built entries, chunks and files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..metadata import FileInfo, externals_reached
from ..plan import PlannedPackage
from .install_layout import Placement

__all__ = ["BuiltEntry", "BundleError", "Chunk", "PackageBuild"]


class BundleError(Exception):
    """esbuild failed; ``failures`` pairs each package label with one ``file:line:col`` message."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        super().__init__("\n".join(f"{label}: {message}" for label, message in failures))


@dataclass(frozen=True, slots=True)
class BuiltEntry:
    id: str
    file: str
    """Output file, relative to the deps dir."""
    src: Path
    needs_interop: bool
    imports: tuple[str, ...]
    """Chunk files it statically imports."""
    css: tuple[str, ...]
    assets: tuple[str, ...]
    externals: tuple[str, ...]
    """Other packages' ids it imports (bare), statically or with ``import()``."""
    dynamic_imports: tuple[str, ...] = ()
    """Chunk files it loads with ``import()``."""


@dataclass(frozen=True, slots=True)
class Chunk:
    file: str
    imports: tuple[str, ...]
    css: tuple[str, ...]
    externals: tuple[str, ...]
    dynamic_imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackageBuild:
    package: PlannedPackage
    key: str
    entries: Mapping[str, BuiltEntry]
    chunks: Mapping[str, Chunk]
    files: Mapping[str, bytes | Path] = field(repr=False)
    """Every output file by name (entries, chunks, CSS, assets): fresh bytes, or the path of a
    reused file. A chunk of esbuild's runtime helpers may be listed by several packages built
    together: the same name, the same bytes."""
    warnings: tuple[str, ...] = ()
    undeclared: tuple[Placement, ...] = ()
    """The packages its code imports that its ``package.json`` does not declare, as they were
    installed when it was built (``install_layout``)."""
    reused: bool = False
    checked: Mapping[str, FileInfo] = field(default_factory=dict, repr=False)
    """Size and hash of reused files, checked when they were reused (hashed, or found unchanged
    since a stamp of the machine-wide cache's entry: ``entry_stamps``), not read again."""

    @cached_property
    def file_infos(self) -> dict[str, FileInfo]:
        """Size and ``fileHash`` of every output file."""
        infos = {}
        for name, content in self.files.items():
            info = self.checked.get(name)
            if info is None:
                info = FileInfo.of(content.read_bytes() if isinstance(content, Path) else content)
            infos[name] = info
        return infos

    @property
    def output_size(self) -> int:
        """The bytes of every output file, without the hashes ``file_infos`` computes."""
        if "file_infos" in self.__dict__:
            return sum(info.size for info in self.file_infos.values())
        size = 0
        for name, content in self.files.items():
            info = self.checked.get(name)
            if info is None:
                size += content.stat().st_size if isinstance(content, Path) else len(content)
            else:
                size += info.size
        return size

    @property
    def externals(self) -> frozenset[str]:
        found: set[str] = set()
        for entry in self.entries.values():
            found.update(entry.externals)
        for chunk in self.chunks.values():
            found.update(chunk.externals)
        return frozenset(found)

    def externals_of(self, id_: str) -> frozenset[str]:
        """The other packages' ids that loading ``id_`` may import: its entry's and those of
        every chunk the entry reaches, statically or with ``import()``."""
        return externals_reached(self.entries[id_], self.chunks)
