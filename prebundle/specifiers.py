"""What kind of thing an import specifier is: bare, relative, URL, virtual; and its package name."""

from __future__ import annotations

import re

__all__ = [
    "NODE_BUILTINS",
    "is_bare",
    "is_node_builtin",
    "split_package",
]

NODE_BUILTINS: frozenset[str] = frozenset(
    """assert assert/strict async_hooks buffer child_process cluster console constants crypto
    dgram diagnostics_channel dns dns/promises domain events fs fs/promises http http2 https
    inspector inspector/promises module net os path path/posix path/win32 perf_hooks process
    punycode querystring readline readline/promises repl stream stream/consumers
    stream/promises stream/web string_decoder sys timers timers/promises tls trace_events tty
    url util util/types v8 vm wasi worker_threads zlib test sqlite sea""".split()
)
"""Node.js core modules, importable also as ``node:<name>``."""

_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z\d+.-]*:")
_DRIVE_RE = re.compile(r"^[a-zA-Z]:[\\/]")


def is_node_builtin(specifier: str) -> bool:
    """True for ``fs``, ``node:fs``, ``fs/promises`` and the like."""
    if specifier.startswith("node:"):
        return True
    return specifier in NODE_BUILTINS


def is_bare(specifier: str) -> bool:
    """True when a specifier names a package rather than a file, URL or virtual module.

    Relative (``./``, ``../``), absolute (``/``, ``C:\\``), URLs (``https:``, ``data:``,
    ``node:``...), virtual ids (``virtual:``, ``\\0``) and subpath imports (``#x``) are not bare.
    Whether a bare builtin name (``events``) counts is decided by the caller, which knows
    whether a browser package of that name is installed.
    """
    if not specifier or specifier[0] in "./\\#\0":
        return False
    if specifier.startswith("//") or _DRIVE_RE.match(specifier):
        return False
    if _URL_RE.match(specifier):
        return False
    return True


def split_package(specifier: str) -> tuple[str, str]:
    """Split a bare specifier into ``(package name, subpath)``.

    ``react`` -> (``react``, ``.``); ``react-dom/client`` -> (``react-dom``, ``./client``);
    ``@scope/pkg/a/b`` -> (``@scope/pkg``, ``./a/b``). A lone ``@scope`` gives (``@scope``, ``.``).
    """
    parts = specifier.split("/")
    count = 2 if specifier.startswith("@") and len(parts) > 1 else 1
    name = "/".join(parts[:count])
    rest = "/".join(parts[count:])
    return name, ("./" + rest) if rest else "."
