"""Code frames for a failed optimize's one-line errors (``file:line:col: text``, a missing
package's ``file:line``), so the overlay shows the lines that are wrong, as it does for the
app's own code. Only files inside the project (its ``node_modules`` among them) are read."""

from __future__ import annotations

import re
from pathlib import Path

from ..app.dev_errors import code_frame

__all__ = ["error_frames"]

_LOCATION = re.compile(r"(?<![\w/.-])(?P<file>[\w@.][\w@./+-]*\.[A-Za-z0-9]+):(?P<line>\d+)(?::(?P<column>\d+))?")
MAX_FRAMES = 3
"""Frames shown for one error: the first few places are enough to act on."""
MAX_FILE_BYTES = 8 * 1024 * 1024
"""Larger files are not read for a frame."""


def error_frames(message: str, root: Path) -> str:
    """The code frames of the first ``MAX_FRAMES`` places ``message`` names, each under its
    ``file:line`` title; empty when it names none that can be read."""
    frames: list[str] = []
    seen: set[tuple[str, int]] = set()
    base = root.resolve()
    for match in _LOCATION.finditer(message):
        file, line = match["file"], int(match["line"])
        if (file, line) in seen:
            continue
        seen.add((file, line))
        path = (base / file).resolve()
        if not path.is_relative_to(base) or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        column = int(match["column"]) + 1 if match["column"] else 1  # esbuild's columns count from 0
        frame = code_frame(source, line, column)
        if frame:
            frames.append(f"{file}:{line}\n{frame}")
        if len(frames) == MAX_FRAMES:
            break
    return "\n\n".join(frames)
