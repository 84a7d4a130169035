"""The plugin API: Vite-shaped hooks in Python, for scanning, bundling and the daemon.

See docs/plugins.md. A plugin is a ``Plugin`` (or any object or dict with a ``name`` and hooks);
``virtual_module`` makes a ``virtual:`` module in one line; ``normalize_path`` is the id form
hooks receive; ``current_context()`` is the running hook's ``PluginContext`` (Rollup's ``this``).
"""

from __future__ import annotations

from ..lazy_names import lazy_names


TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .container import PluginContainer, PluginError, call_hook
    from .context import PluginContext, current_context
    from .html import IndexHtmlContext, apply_tags, render_tag
    from .module_info import ModuleInfo
    from .paths import normalize_path
    from .plugin import HOOKS, Plugin
    from .virtual import id_to_url, url_to_id, virtual_module

__all__ = [
    "HOOKS",
    "IndexHtmlContext",
    "ModuleInfo",
    "Plugin",
    "PluginContainer",
    "PluginContext",
    "PluginError",
    "apply_tags",
    "call_hook",
    "current_context",
    "id_to_url",
    "normalize_path",
    "render_tag",
    "url_to_id",
    "virtual_module",
]

_LAZY = {
    "HOOKS": ".plugin",
    "IndexHtmlContext": ".html",
    "ModuleInfo": ".module_info",
    "Plugin": ".plugin",
    "PluginContainer": ".container",
    "PluginContext": ".context",
    "PluginError": ".plugin",
    "apply_tags": ".html",
    "call_hook": ".container",
    "current_context": ".context",
    "id_to_url": ".virtual",
    "normalize_path": ".paths",
    "render_tag": ".html",
    "url_to_id": ".virtual",
    "virtual_module": ".virtual",
}


# The package's names, imported on first use: a run whose config has no plugins reads
# ``lifecycle``, ``module_info`` and ``cache_key`` only, and never loads the container, its hook
# loop and asyncio.
__getattr__ = lazy_names(__name__, _LAZY, globals())
