"""A Python client of the esbuild binary's ``--service`` protocol (no Node.js at run time).

``build``, ``context``, ``transform``, ... use a default ``Service`` per binary, started on first
use and closed at exit; ``get_service(root)`` returns the one for a project. The binary is the
project's own esbuild or the pinned one (``PINNED_VERSION``), fetched with npm on first need
(``find_esbuild``, ``install_pinned``; docs/esbuild.md). Options are
esbuild's own, in snake_case: ``build(entry_points=["src/a.js"], bundle=True, outdir="out")``.

Threading: sync calls may come from any thread (not from a Future callback on the reader
thread). Plugin callbacks run on a pool thread and may call ``build.resolve()``.

Finding the binary and its version (``find_esbuild``) and the errors load with the package; the
client itself (``Service`` and the protocol, plugin and result types) on first use: every
optimize run needs the version for its cache keys, and only a run that builds needs the client.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..lazy_names import lazy_names
from ._errors import (
    BinaryNotFound, BuildFailure, EsbuildError, ProtocolError, ServiceError, ServiceStopped,
    TransformFailure,
)
from ._locate import EsbuildBinary, find_binary, find_esbuild, install_pinned
from ._pinned import PINNED_VERSION

if TYPE_CHECKING:
    from ._context import BuildContext
    from ._plugins import (
        OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult, OnStartResult, Plugin,
        PluginBuild, ResolveResult,
    )
    from ._service import SUPPORTED_VERSIONS, Service
    from ._types import (
        BuildResult, Location, Message, Note, OutputFile, ServeResult, TransformResult,
    )

__all__ = [
    "build", "context", "transform", "format_messages", "analyze_metafile", "build_async",
    "context_async", "transform_async", "stop", "version", "get_service", "find_binary",
    "find_esbuild", "install_pinned", "EsbuildBinary", "PINNED_VERSION",
    "Service", "BuildContext", "Plugin", "PluginBuild", "OnResolveArgs", "OnResolveResult",
    "OnLoadArgs", "OnLoadResult", "OnStartResult", "ResolveResult", "BuildResult",
    "TransformResult", "OutputFile", "Message", "Location", "Note", "ServeResult",
    "EsbuildError", "BuildFailure", "TransformFailure", "ServiceError", "ServiceStopped",
    "BinaryNotFound", "ProtocolError", "SUPPORTED_VERSIONS",
]

_LAZY = {
    "BuildContext": "._context",
    "OnLoadArgs": "._plugins",
    "OnLoadResult": "._plugins",
    "OnResolveArgs": "._plugins",
    "OnResolveResult": "._plugins",
    "OnStartResult": "._plugins",
    "Plugin": "._plugins",
    "PluginBuild": "._plugins",
    "ResolveResult": "._plugins",
    "SUPPORTED_VERSIONS": "._service",
    "Service": "._service",
    "BuildResult": "._types",
    "Location": "._types",
    "Message": "._types",
    "Note": "._types",
    "OutputFile": "._types",
    "ServeResult": "._types",
    "TransformResult": "._types",
}

__getattr__ = lazy_names(__name__, _LAZY, globals())

_services: dict[str, Service] = {}
_services_lock = threading.Lock()


def get_service(root: str | os.PathLike | None = None) -> Service:
    """The default ``Service`` for the binary found from ``root`` (default: the cwd), fetching
    the pinned esbuild if the project has none (see ``find_esbuild``)."""
    from ._service import Service

    found = find_esbuild(root)
    binary = str(found.path)
    with _services_lock:
        service = _services.get(binary)
        if service is None:
            service = _services[binary] = Service(binary, version=found.version)
        return service


def _service_for(options: Mapping) -> Service:
    return get_service(options.get("abs_working_dir"))


def build(**options: Any) -> BuildResult:
    """Run one build. Raises ``BuildFailure`` when it has errors."""
    return _service_for(options).build(**options)


def context(**options: Any) -> BuildContext:
    """Create an incremental build context (``rebuild()``, ``cancel()``, ``dispose()``)."""
    return _service_for(options).context(**options)


def transform(code: str | bytes, **options: Any) -> TransformResult:
    """Transform one file's source (``loader="tsx"``, ``target=...``, ...)."""
    return get_service().transform(code, **options)


def format_messages(messages: Iterable[Message | Mapping], *, kind: str = "error",
                    color: bool = False, terminal_width: int | None = None) -> list[str]:
    return get_service().format_messages(messages, kind=kind, color=color,
                                         terminal_width=terminal_width)


def analyze_metafile(metafile: str | Mapping, *, verbose: bool = False, color: bool = False) -> str:
    return get_service().analyze_metafile(metafile, verbose=verbose, color=color)


async def build_async(**options: Any) -> BuildResult:
    return await _service_for(options).build_async(**options)


async def context_async(**options: Any) -> BuildContext:
    return await _service_for(options).context_async(**options)


async def transform_async(code: str | bytes, **options: Any) -> TransformResult:
    return await get_service().transform_async(code, **options)


def version(root: str | os.PathLike | None = None) -> str:
    """The version of the esbuild binary found from ``root``."""
    return find_esbuild(root).version


def stop() -> None:
    """Stop every default service (they restart on the next call)."""
    with _services_lock:
        services = list(_services.values())
        _services.clear()
    for service in services:
        service.close()
