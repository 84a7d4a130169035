"""Who may read from the daemon: the Host check, the Origin (CORS) policy and the deny list.

A developer leaves the daemon running while browsing; any page they visit may send requests to
127.0.0.1:5174. Like Vite's dev server after CVE-2025-24010 and its ``server.fs.deny`` advisories,
``DaemonGuard`` (ASGI middleware around every route) answers only:

* **Hosts** the daemon is meant to be reached by: ``localhost``, ``*.localhost``, IP literals, the
  configured ``server.host`` and ``server.allowed_hosts`` (``True``: any). Anything else is a DNS
  rebinding attempt (``evil.example`` resolving to 127.0.0.1) and gets a 403 saying how to allow it.
* **Origins** it trusts: requests without ``Origin``, the daemon's own pages, pages on localhost,
  127.0.0.1 and [::1] (any port, http or https) and ``server.cors``. An allowed cross-origin
  request gets ``Access-Control-Allow-Origin: <origin>`` (never ``*``) and its preflight is
  answered; any other ``Origin`` gets a 403 and no CORS headers, so a page of another site can
  read nothing: not the deps, the import map, the status, the events nor the app's files.
* **No-CORS loads from another site** (``<script src>``, ``<link rel=stylesheet>`` without
  ``crossorigin``, seen by their ``Sec-Fetch-Site: cross-site``) only when the ``Referer`` names an
  allowed origin: a classic script of the app's sources would otherwise run in, and leak into,
  the other site's page. Every answer carries ``X-Content-Type-Options: nosniff``.

A request target holding ``#`` or not starting with ``/`` is a 400, as in Vite. The deny list
of the app's files (``DEFAULT_DENY``, the config file, the daemon's token, ``server.fs_deny``)
is enforced by ``prebundle.static``; ``SitePolicy`` builds it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import CONFIG_FILE, Config
from ..denylist import DEFAULT_DENY, DenyList
from .pidfile import PIDFILE, TOKEN_FILE

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LOOPBACK_ORIGIN", "DaemonGuard", "SitePolicy", "exposure_warning", "is_ip_literal", "judge",
           "same_origin"]

LOOPBACK_ORIGIN = re.compile(r"^https?://(?:(?:[^:/?#@\s]+\.)?localhost|127\.0\.0\.1|\[::1\])(?::\d+)?$",
                             re.IGNORECASE)
"""Origins of pages served from this machine's loopback names, allowed by default (Vite's rule)."""

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def is_ip_literal(hostname: str) -> bool:
    """``127.0.0.1``, ``10.0.0.5`` or ``[::1]``: names DNS rebinding cannot point elsewhere."""
    if hostname.startswith("[") and hostname.endswith("]"):
        hostname = hostname[1:-1]
        try:
            return ipaddress.ip_address(hostname).version == 6
        except ValueError:
            return False
    try:
        return ipaddress.ip_address(hostname).version == 4
    except ValueError:
        return False


def _split_host(host: str) -> tuple[str, int | None] | None:
    """``("localhost", 5174)`` from a ``Host`` header value; None when malformed."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1:]
    else:
        name, _, port_text = host.partition(":")
        rest = ":" + port_text if port_text or host.endswith(":") else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return name, int(rest[1:]) if rest else None


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    """``(scheme, hostname, port)`` of an origin or URL, ports made explicit; None if unusable."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return scheme, host.lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def _origin_of(url: str) -> str | None:
    """The origin of a URL as a browser writes it (``http://localhost:8000``), or None."""
    parts = _origin_parts(url)
    if parts is None:
        return None
    scheme, host, port = parts
    return f"{scheme}://{host}" if port == _DEFAULT_PORTS.get(scheme) else f"{scheme}://{host}:{port}"


def exposure_warning(host: str, root: Path) -> str | None:
    """The one-line start-up warning when the daemon listens beyond this machine."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass
    return (f"warning: listening on {host}: the project's files ({root}) are reachable from the network; "
            "use --host 127.0.0.1 unless that is meant")


@dataclass(frozen=True)
class SitePolicy:
    """The daemon's rules for one ``Config`` (built again when the config file changes)."""

    allowed_hosts: bool | frozenset[str]
    """``True``, or host names (``.name`` also allows its subdomains) answered besides the defaults."""
    cors: bool | tuple[str | re.Pattern[str], ...]
    """``server.cors``: ``True`` any origin, ``False`` only the daemon's own pages, else extra origins."""
    app_deny: DenyList
    """Files of the project root never served."""
    deps_deny: DenyList
    """Files of the deps dir never served."""
    config_name: str
    """Where users change these rules, for the 403 texts."""

    @classmethod
    def from_config(cls, config: Config) -> SitePolicy:
        server = config.server
        hosts: bool | frozenset[str] = True
        if server.allowed_hosts is not True:
            hosts = frozenset(server.allowed_hosts)
            if server.host and not is_ip_literal(server.host) and server.host not in ("0.0.0.0", "::"):
                hosts |= {server.host.lower()}  # the user binds to that name: it is meant to answer
        paths = [os.path.relpath(config.cache_dir / name, config.root) for name in (PIDFILE, TOKEN_FILE)]
        if config.config_file is not None:
            paths.append(os.path.relpath(config.config_file, config.root))
        inside = [path for path in paths if not path.startswith("..") and not os.path.isabs(path)]
        deny = DenyList((*DEFAULT_DENY, *server.fs_deny))
        name = config.config_file.name if config.config_file is not None else CONFIG_FILE
        return cls(allowed_hosts=hosts, cors=server.cors, app_deny=deny.extended([CONFIG_FILE], inside),
                   deps_deny=deny, config_name=name)

    # -- Host ----------------------------------------------------------------------------------

    def host_allowed(self, host: str | None) -> bool:
        """Whether a request with this ``Host`` header is answered (DNS-rebinding check)."""
        if self.allowed_hosts is True:
            return True
        split = _split_host(host) if host else None
        if split is None:
            return False
        name = split[0]
        if is_ip_literal(name) or name == "localhost" or name.endswith(".localhost"):
            return True
        return any(name == allowed or (allowed.startswith(".") and (name == allowed[1:] or name.endswith(allowed)))
                   for allowed in self.allowed_hosts)

    def host_refusal(self, host: str | None) -> str:
        split = _split_host(host) if host else None
        shown = split[0] if split else (host or "")
        return (f'403: this prebundle daemon does not answer the host "{shown}" (a protection against DNS '
                f'rebinding); to allow it, add "{shown}" to server.allowed_hosts in {self.config_name}\n')

    # -- Origin --------------------------------------------------------------------------------

    def origin_allowed(self, origin: str) -> bool:
        """Whether pages of ``origin`` (another site's) may read the daemon's answers."""
        if self.cors is True:
            return True
        if self.cors is False:
            return False
        if LOOPBACK_ORIGIN.match(origin):
            return True
        lowered = origin.lower()
        for allowed in self.cors:
            if isinstance(allowed, re.Pattern):
                if allowed.fullmatch(origin):
                    return True
            elif allowed.startswith("^"):
                if re.fullmatch(allowed, origin):
                    return True
            elif allowed == lowered:
                return True
        return False

    def origin_refusal(self, origin: str, path: str) -> str:
        return (f"403: pages of {origin!r} may not read {path} from this prebundle daemon; to allow them, "
                f"add {origin!r} to server.cors in {self.config_name}\n")

    def no_cors_refusal(self, page: str | None, path: str) -> str:
        who = f"pages of {page!r}" if page else "pages of another site that send no Referer"
        return (f"403: {who} may not load {path} from this prebundle daemon without CORS; load it with "
                f"crossorigin, and add their origin to server.cors in {self.config_name}\n")


def same_origin(origin: str, host: str | None) -> bool:
    """Whether ``origin`` names the host and port this request was sent to (the daemon's own page)."""
    parts = _origin_parts(origin)
    split = _split_host(host) if host else None
    if parts is None or split is None:
        return False
    _, name, port = parts
    return name == split[0] and port == (split[1] if split[1] is not None else _DEFAULT_PORTS.get(parts[0], 0))


@dataclass(frozen=True)
class _Verdict:
    status: int = 0
    """0: go on; else the status of the refusal."""
    message: str = ""
    allow_origin: str | None = None
    """The origin to name in ``Access-Control-Allow-Origin``."""


def judge(policy: SitePolicy, method: str, target: str, headers: dict[bytes, bytes]) -> _Verdict:
    """What to do with one request, from its target (path and query) and headers alone."""
    if "#" in target or not (target.startswith("/") or (method == "OPTIONS" and target == "*")):
        return _Verdict(400, "400: the request target must be a path without '#'\n")
    path = target.split("?", 1)[0]
    host = _text(headers.get(b"host"))
    if not policy.host_allowed(host):
        return _Verdict(403, policy.host_refusal(host))
    origin = _text(headers.get(b"origin"))
    site = (_text(headers.get(b"sec-fetch-site")) or "").lower()
    if origin is None:
        mode = (_text(headers.get(b"sec-fetch-mode")) or "").lower()
        if site != "cross-site" or mode in ("navigate", ""):
            return _Verdict()  # not a browser, the daemon's own page, or a navigation
        page = _origin_of(_text(headers.get(b"referer")) or "")
        if page is not None and policy.origin_allowed(page):
            return _Verdict()
        return _Verdict(403, policy.no_cors_refusal(page, path))
    if site == "same-origin" or same_origin(origin, host):
        return _Verdict()
    if policy.origin_allowed(origin):
        return _Verdict(allow_origin=origin)
    return _Verdict(403, policy.origin_refusal(origin, path))


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


class DaemonGuard:
    """ASGI middleware applying ``judge`` to every request before any route (plugins' included)."""

    def __init__(self, app: ASGIApp, policy: Callable[[], SitePolicy]) -> None:
        self.app = app
        self.policy = policy
        """The current ``SitePolicy`` (it follows the daemon's config)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        raw = scope.get("raw_path")
        target = raw.decode("latin-1") if raw is not None else scope.get("path", "")
        query = scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        method = scope.get("method", "GET")
        verdict = judge(self.policy(), method, target, headers)
        if verdict.status:
            await _refuse(scope, receive, send, verdict)
            return
        origin = verdict.allow_origin
        if scope["type"] == "http" and method == "OPTIONS" and origin and b"access-control-request-method" in headers:
            await _preflight(send, origin, headers)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _add_headers(list(message.get("headers", ())), origin)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_headers(headers: list[tuple[bytes, bytes]], origin: str | None) -> list[tuple[bytes, bytes]]:
    names = {key.lower() for key, _ in headers}
    kept = [(key, value) for key, value in headers
            if key.lower() not in (b"access-control-allow-origin", b"vary")]
    vary = [value for key, value in headers if key.lower() == b"vary"]
    kept.append((b"vary", b", ".join([*vary, b"Origin"])))
    if origin is not None:
        kept.append((b"access-control-allow-origin", origin.encode("latin-1")))
    if b"x-content-type-options" not in names:
        kept.append((b"x-content-type-options", b"nosniff"))
    return kept


async def _preflight(send: Send, origin: str, headers: dict[bytes, bytes]) -> None:
    answer = [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-allow-methods", b"GET, HEAD, POST, OPTIONS"),
        (b"access-control-max-age", b"600"),
        (b"vary", b"Origin, Access-Control-Request-Headers"),
        (b"content-length", b"0"),
    ]
    asked = headers.get(b"access-control-request-headers")
    if asked:
        answer.append((b"access-control-allow-headers", asked))
    if headers.get(b"access-control-request-private-network", b"").lower() == b"true":
        answer.append((b"access-control-allow-private-network", b"true"))
    await send({"type": "http.response.start", "status": 204, "headers": answer})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(scope: Scope, receive: Receive, send: Send, verdict: _Verdict) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})
        return
    body = verdict.message.encode("utf-8")
    await send({"type": "http.response.start", "status": verdict.status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"), (b"vary", b"Origin"), (b"x-content-type-options", b"nosniff"),
    ]})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
