"""The bundle stage: esbuild builds of packages into browser ESM, one output per package.

``PackageBundler.build_group`` builds several packages in one esbuild build and splits the
result per package (``PackageBuild``); ``imports`` decides where each bare import inside a
package goes, ``modules`` holds the small virtual modules it uses, ``output`` splits a build,
``hooks`` runs the plugins' hooks on the files a build reads.
"""

from __future__ import annotations

from ..lazy_names import lazy_names

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .builder import PackageBundler
    from .result import BuiltEntry, BundleError, Chunk, PackageBuild

__all__ = ["BuiltEntry", "BundleError", "Chunk", "PackageBuild", "PackageBundler"]

_LAZY = {
    "BuiltEntry": ".result",
    "BundleError": ".result",
    "Chunk": ".result",
    "PackageBuild": ".result",
    "PackageBundler": ".builder",
}

# The package's names, imported on first use: a run whose packages all come from a cache reads
# their records into ``PackageBuild`` (``result``), and never loads the bundler and with it the
# esbuild client.
__getattr__ = lazy_names(__name__, _LAZY, globals())
