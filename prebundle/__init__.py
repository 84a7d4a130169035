"""prebundle: pre-bundle npm dependencies into browser ES modules served through an import map.

The public API is small and importable; the ``prebundle`` command only parses flags and calls it.
Heavy modules are imported lazily so that ``prebundle`` starts fast.
"""

from __future__ import annotations

from .lazy_names import lazy_names

TYPE_CHECKING = False  # not `from typing import ...`: typing costs a no-op run ~5 ms

__version__ = "0.1.0"

__all__ = [
    "Config", "Plugin", "define_config", "load_config", "normalize_path", "optimize", "scan", "serve",
    "virtual_module", "__version__",
    # results users read
    "OptimizeResult", "ScanResult", "Dependency", "MissingImport",
    # errors users catch (all are PrebundleError)
    "PrebundleError", "ConfigError", "MissingDependencyError", "ResolveError", "PluginError",
    "DaemonRunning", "DaemonServing",
]

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config, define_config, load_config
    from .daemon import DaemonRunning, serve
    from .errors import ConfigError, DaemonServing, MissingDependencyError, PrebundleError
    from .optimizer import OptimizeResult, optimize
    from .plugins import Plugin, PluginError, normalize_path, virtual_module
    from .resolve import ResolveError
    from .scanner import Dependency, MissingImport, ScanResult, scan

_LAZY = {
    "Config": ".config",
    "define_config": ".config",
    "load_config": ".config",
    "optimize": ".optimizer",
    "Plugin": ".plugins",
    "normalize_path": ".plugins",
    "virtual_module": ".plugins",
    "scan": ".scanner",
    "serve": ".daemon",
    "OptimizeResult": ".optimizer",
    "ScanResult": ".scanner",
    "Dependency": ".scanner",
    "MissingImport": ".scanner",
    "PrebundleError": ".errors",
    "ConfigError": ".errors",
    "MissingDependencyError": ".errors",
    "DaemonServing": ".errors",
    "ResolveError": ".resolve",
    "PluginError": ".plugins",
    "DaemonRunning": ".daemon",
}


__getattr__ = lazy_names(__name__, _LAZY, globals())
