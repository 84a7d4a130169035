"""An app module the daemon cannot serve: where, why, and the code around it.

``AppCodeError`` is one line for the terminal (``src/App.tsx:3:11: Expected ";" but found "x"``);
its ``problem`` carries what the page's overlay shows besides: the URL the page asked for and a
code frame. Lines count from 1, columns from 1 in characters, as editors show them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import PrebundleError

__all__ = ["AppCodeError", "AppCodeProblem", "code_frame", "column_of_byte"]

FRAME_CONTEXT = 2
"""Lines shown above and below the one at fault."""


@dataclass(frozen=True)
class AppCodeProblem:
    """Why one app module could not be served."""

    file: str
    """The file, relative to the root (POSIX separators)."""
    url: str
    """The URL path the page asked for (``/src/App.tsx``)."""
    line: int
    column: int
    text: str
    """What is wrong (esbuild's message, or the daemon's)."""
    frame: str = ""
    """The source lines around ``line``, with a caret under ``column``."""

    @property
    def headline(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.text}"

    def to_event(self) -> dict[str, Any]:
        """The ``error`` event's data: ``message`` as every error event has, plus the rest."""
        message = self.headline + (f"\n\n{self.frame}" if self.frame else "")
        return {"kind": "app", "message": message, **asdict(self)}


class AppCodeError(PrebundleError):
    """An app module that does not compile or import something missing; the page gets a 500
    for it and the overlay says why."""

    def __init__(self, problem: AppCodeProblem) -> None:
        self.problem = problem
        super().__init__(f"{problem.headline} (the app's code: fix it and save, the page reloads)")


def column_of_byte(line_text: str, byte_column: int) -> int:
    """The 0-based character column of a 0-based UTF-8 byte column of ``line_text``."""
    return len(line_text.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))


def code_frame(source: str, line: int, column: int) -> str:
    """``source``'s lines around ``line`` (from 1) with a caret under ``column`` (from 1)."""
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    first, last = max(1, line - FRAME_CONTEXT), min(len(lines), line + FRAME_CONTEXT)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        text = lines[number - 1].replace("\t", " ")
        out.append(f"{'>' if number == line else ' '} {number:>{width}} | {text}")
        if number == line:
            out.append(f"  {'':>{width}} | {' ' * max(0, column - 1)}^")
    return "\n".join(out)
