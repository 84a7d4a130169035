"""Keep esbuild's source map true after the daemon edits the code it maps.

The edits are small: import specifiers replaced by longer or shorter URLs, and lines added
before the code. A segment's generated column is stored relative to the previous segment of the
same line, so an edit only changes the first field of the segments after it on its line; the
other fields, and every other line, are copied as they are. Columns count UTF-16 code units,
as in every source map.
"""

from __future__ import annotations

import base64
import json
from typing import NamedTuple

__all__ = ["ColumnShift", "inline_comment", "shift_map"]

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUES = {char: index for index, char in enumerate(_B64)}


class ColumnShift(NamedTuple):
    """Text from ``column`` on (0-based, UTF-16 units) of generated ``line`` (0-based) moved by
    ``delta`` units."""

    line: int
    column: int
    delta: int


def shift_map(source_map: str, shifts: list[ColumnShift], *, lines_before: int = 0) -> str:
    """``source_map`` (JSON text) after ``shifts`` on the code it maps and ``lines_before`` new
    lines above it."""
    data = json.loads(source_map)
    mappings = data.get("mappings", "")
    if shifts:
        lines = mappings.split(";")
        by_line: dict[int, list[ColumnShift]] = {}
        for shift in shifts:
            by_line.setdefault(shift.line, []).append(shift)
        for number, line_shifts in by_line.items():
            if number < len(lines) and lines[number]:
                lines[number] = _shift_line(lines[number], line_shifts)
        mappings = ";".join(lines)
    data["mappings"] = ";" * lines_before + mappings
    return json.dumps(data, separators=(",", ":"))


def inline_comment(source_map: str) -> str:
    """The ``//# sourceMappingURL=data:...`` line that carries ``source_map`` in the code."""
    encoded = base64.b64encode(source_map.encode("utf-8")).decode("ascii")
    return "//# sourceMappingURL=data:application/json;base64," + encoded


def _shift_line(line: str, shifts: list[ColumnShift]) -> str:
    segments = line.split(",")
    out = []
    column = 0  # absolute, before the shifts
    previous_new = 0  # absolute, after them
    for segment in segments:
        relative, rest = _decode_first(segment)
        column += relative
        moved = column + sum(shift.delta for shift in shifts if shift.column < column)
        out.append(_encode(moved - previous_new) + rest)
        previous_new = moved
    return ",".join(out)


def _decode_first(segment: str) -> tuple[int, str]:
    """The first VLQ value of ``segment`` and the text after it."""
    value = shift = 0
    for index, char in enumerate(segment):
        digit = _B64_VALUES[char]
        value += (digit & 31) << shift
        if not digit & 32:
            number = -(value >> 1) if value & 1 else value >> 1
            return number, segment[index + 1:]
        shift += 5
    raise ValueError(f"a truncated source map segment: {segment!r}")


def _encode(number: int) -> str:
    value = (-number << 1) | 1 if number < 0 else number << 1
    out = ""
    while True:
        digit = value & 31
        value >>= 5
        if value:
            out += _B64[digit | 32]
        else:
            return out + _B64[digit]
