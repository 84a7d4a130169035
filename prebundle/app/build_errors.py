"""What can stop ``prebundle build``, as one line per problem."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import PrebundleError

if TYPE_CHECKING:
    from ..esbuild import Message

__all__ = ["AppBuildError", "message_lines"]


class AppBuildError(PrebundleError):
    """The app's code did not build: a syntax error, a missing file, a bad entry. The previous
    output folder is left as it was."""


def message_lines(messages: Iterable[Message]) -> list[str]:
    """esbuild's messages as one line each: ``file:line:col: text`` (esbuild's own position)."""
    return [message.one_line() for message in messages]
