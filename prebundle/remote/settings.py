"""How the remote tier is configured: one URL plus a few switches, from the config file and the
environment, the environment winning (CI jobs set variables, not files).

==========================================  =================================================
``PREBUNDLE_REMOTE_CACHE``                  the store's URL (see ``stores.py``); ``off``,
                                            ``0`` or empty: no remote
``PREBUNDLE_REMOTE_CACHE_MODE``             ``read-write`` (default) or ``read-only`` (jobs
                                            that must not publish: pull requests, forks)
``PREBUNDLE_REMOTE_CACHE_TIMEOUT``          seconds per request (default 2)
``PREBUNDLE_REMOTE_CACHE_KEY``              the HMAC-SHA256 key that signs uploads and checks
                                            signed downloads; from the environment only, so
                                            it never lands in a committed file
``PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE``  ``1``/``true``: refuse unsigned artifacts
==========================================  =================================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import ConfigError

__all__ = ["RemoteConfigError", "RemoteSettings"]

URL_VARIABLE = "PREBUNDLE_REMOTE_CACHE"
MODE_VARIABLE = "PREBUNDLE_REMOTE_CACHE_MODE"
TIMEOUT_VARIABLE = "PREBUNDLE_REMOTE_CACHE_TIMEOUT"
KEY_VARIABLE = "PREBUNDLE_REMOTE_CACHE_KEY"
REQUIRE_SIGNATURE_VARIABLE = "PREBUNDLE_REMOTE_CACHE_REQUIRE_SIGNATURE"

MIN_KEY_BYTES = 16
"""Shorter signing keys are refused: an HMAC is only as strong as its key."""

_OFF = ("", "0", "off", "false", "no", "none")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class RemoteConfigError(ConfigError):
    """A remote cache URL or setting that cannot work. The message is one line saying what,
    where and what to do, and never holds a password or key."""


@dataclass(frozen=True)
class RemoteSettings:
    url: str
    """The store's URL (``stores.py`` lists the schemes); empty: no remote."""
    read_only: bool = False
    """Read from the remote, never write to it (untrusted jobs)."""
    timeout: float = 2.0
    """Seconds a request may take before the remote is skipped for the run."""
    signing_key: bytes | None = field(default=None, repr=False)
    """HMAC-SHA256 key: uploads are signed with it and signed downloads checked against it."""
    require_signature: bool = False
    """Refuse artifacts without a valid signature (needs ``signing_key``)."""

    def __post_init__(self) -> None:
        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout) and self.timeout > 0):
            raise RemoteConfigError(f"remote cache timeout {self.timeout!r} is not a positive number of seconds; "
                                    "set e.g. 2")
        if self.url and self.require_signature and not self.signing_key:
            raise RemoteConfigError(f"the remote cache requires signatures but no key is set; set {KEY_VARIABLE} "
                                    f"(the same secret as the jobs that upload), or unset {REQUIRE_SIGNATURE_VARIABLE}")
        if self.signing_key is not None and len(self.signing_key) < MIN_KEY_BYTES:
            raise RemoteConfigError(f"{KEY_VARIABLE} is too short ({len(self.signing_key)} bytes); use at least "
                                    f"{MIN_KEY_BYTES} random bytes, e.g. the output of `openssl rand -hex 32`")

    def __repr__(self) -> str:
        # The URL may carry a password (and its query a key): show only where it points.
        parts = urlsplit(self.url)
        where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}" if parts.scheme else ""
        return (f"RemoteSettings(url={where!r}, read_only={self.read_only}, timeout={self.timeout}, "
                f"signed={self.signing_key is not None}, require_signature={self.require_signature})")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, *, url: str = "", read_only: bool = False,
                 timeout: float = 2.0, require_signature: bool = False) -> RemoteSettings:
        """The settings of the config file (the keyword arguments) overridden by the
        ``PREBUNDLE_REMOTE_CACHE*`` variables of ``environ`` (the URL itself is checked by
        ``open_remote``)."""
        if URL_VARIABLE in environ:
            url = environ[URL_VARIABLE].strip()
        if url.lower() in _OFF:
            url = ""
        mode = environ.get(MODE_VARIABLE, "").strip().lower()
        if mode:
            if mode not in ("read-write", "read-only"):
                raise RemoteConfigError(f"{MODE_VARIABLE}={mode!r} is not a mode; set read-write or read-only")
            read_only = mode == "read-only"
        raw_timeout = environ.get(TIMEOUT_VARIABLE, "").strip()
        if raw_timeout:
            try:
                timeout = float(raw_timeout)
            except ValueError:
                timeout = math.nan
            if not (math.isfinite(timeout) and timeout > 0):
                raise RemoteConfigError(f"{TIMEOUT_VARIABLE}={raw_timeout!r} is not a positive number of seconds; "
                                        "set e.g. 2")
        require = environ.get(REQUIRE_SIGNATURE_VARIABLE, "").strip().lower()
        if require:
            if require not in _TRUE + _FALSE:
                raise RemoteConfigError(f"{REQUIRE_SIGNATURE_VARIABLE}={require!r} is not a yes or no; set 1 or 0")
            require_signature = require in _TRUE
        key = environ.get(KEY_VARIABLE, "")
        return cls(url=url, read_only=read_only, timeout=timeout,
                   signing_key=key.encode() if key else None, require_signature=require_signature)
