"""Interop analysis: is a package entry ESM or CommonJS, and which names does a CommonJS entry
export? The answers drive the proxy entry (:func:`proxy_entry_source`) that gives a bundled
CommonJS package real ES named exports.

Names come from two sources. Static: Node's ``cjs-module-lexer`` rules on the syntax tree, with
reexports followed and ``NODE_ENV`` branches chosen by ``mode`` (:mod:`.lexer`). Dynamic: when
the static answer is empty or ``module.exports`` is assigned an opaque value (UMD,
``module.exports = factory()``), the module runs in a QuickJS sandbox and its keys are read
(:mod:`.evaluate`). The result is the union of both, minus ``default``, ``__esModule`` and
``module.exports``; whole answers, the sandbox's included, are cached by content (:mod:`.cache`).
"""

from __future__ import annotations

from ..lazy_names import lazy_names

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Interop, analyze
    from .cache import ANALYZER_VERSION, InteropCache
    from .format import has_module_syntax, needs_interop
    from .lexer import ResolveRequire
    from .proxy import DefaultRule, proxy_entry_source

__all__ = [
    "ANALYZER_VERSION",
    "DefaultRule",
    "Interop",
    "InteropCache",
    "ResolveRequire",
    "analyze",
    "has_module_syntax",
    "needs_interop",
    "proxy_entry_source",
]

_LAZY = {
    "ANALYZER_VERSION": ".cache",
    "DefaultRule": ".proxy",
    "Interop": ".analysis",
    "InteropCache": ".cache",
    "ResolveRequire": ".lexer",
    "analyze": ".analysis",
    "has_module_syntax": ".format",
    "needs_interop": ".format",
    "proxy_entry_source": ".proxy",
}


# The package's names, imported on first use: a run whose packages all come from a cache asks
# only ``needs_interop`` (``format``), and never loads the lexer or the sandbox.
__getattr__ = lazy_names(__name__, _LAZY, globals())
