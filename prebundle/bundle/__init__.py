"""The bundle stage: esbuild builds of packages into browser ESM, one output per package.

``PackageBundler.build_group`` builds several packages in one esbuild build and splits the
result per package (``PackageBuild``); ``imports`` decides where each bare import inside a
package goes, ``modules`` holds the small virtual modules it uses, ``output`` splits a build,
``hooks`` runs the plugins' hooks on the files a build reads.
"""

from __future__ import annotations

from .builder import PackageBundler
from .result import BuiltEntry, BundleError, Chunk, PackageBuild

__all__ = ["BuiltEntry", "BundleError", "Chunk", "PackageBuild", "PackageBundler"]
