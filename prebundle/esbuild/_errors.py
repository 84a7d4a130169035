"""Exceptions of the esbuild client. All derive from ``EsbuildError``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..errors import PrebundleError

if TYPE_CHECKING:  # pragma: no cover
    from ._types import Message

__all__ = [
    "EsbuildError",
    "BuildFailure",
    "TransformFailure",
    "ServiceError",
    "ServiceStopped",
    "BinaryNotFound",
    "ProtocolError",
]

_SHOWN_ERRORS = 5
"""How many errors the exception text lists before ``...`` (the JS client's limit)."""


class EsbuildError(Exception):
    """Base of every error raised by ``prebundle.esbuild``."""


class BuildFailure(EsbuildError):
    """A build, rebuild or context ended with errors; ``errors``/``warnings`` hold the messages."""

    prefix = "Build failed"

    def __init__(self, errors: Sequence[Message], warnings: Sequence[Message] = ()) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings)
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.errors)
        if not count:
            return self.prefix
        lines = [f"{self.prefix} with {count} error{'s' if count > 1 else ''}:"]
        for message in self.errors[:_SHOWN_ERRORS]:
            plugin = f"[plugin: {message.plugin_name}] " if message.plugin_name else ""
            loc = message.location
            if loc is None:
                lines.append(f"error: {plugin}{message.text}")
            else:
                lines.append(f"{loc.file}:{loc.line}:{loc.column}: ERROR: {plugin}{message.text}")
        if count > _SHOWN_ERRORS:
            lines.append("...")
        return "\n".join(lines)

    def __reduce__(self):
        return (type(self), (self.errors, self.warnings))


class TransformFailure(BuildFailure):
    """A transform ended with errors."""

    prefix = "Transform failed"


class ServiceError(EsbuildError):
    """The service answered a request with ``{"error": ...}`` (bad flag, bad filter, ...)."""


class ServiceStopped(EsbuildError):
    """The service process exited; ``returncode`` and ``stderr`` (its tail) say how."""

    def __init__(self, reason: str, returncode: int | None = None, stderr: str = "") -> None:
        self.returncode = returncode
        self.stderr = stderr
        text = reason
        if returncode is not None:
            text += f" (exit code {returncode})"
        if stderr.strip():
            text += "\n" + stderr.rstrip()
        super().__init__(text)


class BinaryNotFound(EsbuildError, PrebundleError, FileNotFoundError):
    """No usable esbuild binary: none installed and the fetch was forbidden or failed. One line
    saying how to get one; a ``PrebundleError``, so the CLI shows it as ``error: ...``."""


class ProtocolError(EsbuildError):
    """A malformed packet, or a version handshake that did not match."""
