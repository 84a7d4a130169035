"""The team's remote cache of built packages, behind the machine-wide one (``shared_cache.py``).

A local miss asks the remote, and what it returns is stored locally by the caller
(read-through); a fresh build is packed and uploaded on a background thread (write-behind). A
slow, down, full or lying remote costs a run at most one ``timeout`` and one warning: it is then
skipped until the next run. Stores are reached through Apache OpenDAL.

- ``settings``: ``RemoteSettings`` (config file, then ``PREBUNDLE_REMOTE_CACHE*`` variables);
- ``stores``: the URL schemes (S3, GCS, Azure Blob, WebDAV, Redis, a folder) and their credentials;
- ``artifact``: one package (or a whole deps dir) as one verified, optionally signed blob;
- ``tier``: ``RemoteTier`` (``fetch``, ``fetch_opened``, ``fetch_many``, ``upload``, ``flush``) and ``open_remote``.

OpenDAL is imported only when a remote is configured (import ``prebundle.remote`` lazily).
"""

from __future__ import annotations

from .artifact import Artifact
from .settings import RemoteConfigError, RemoteSettings
from .tier import RemoteStats, RemoteTier, open_remote

__all__ = ["Artifact", "RemoteConfigError", "RemoteSettings", "RemoteStats", "RemoteTier", "open_remote"]
