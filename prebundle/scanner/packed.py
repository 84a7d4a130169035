"""The scan cache's file format: a file of independent parts, each read only when needed.

A fixed header gives the number of parts and the size and CRC of each; each part is one
marshal blob. The snapshot's file has two: its *head* (stamps and the result: all a scan with
nothing changed reads) and its *detail* (content digests and record hashes: read when a file's
stamp changed); the index's file has one. Each part is valid on its own (everything in it is
checked against stamps before use), so parts read from different versions of a file still make
a correct cache.

marshal is built in (no import on the warm path) and decodes tuples of str and int several
times faster than pickle. A CRC per part turns a damaged file into a cold cache, never a wrong
one. Writes go to a temp file renamed into place: a reader sees the old file or the new one.
This module imports nothing from prebundle: the CLI's fast path reads these files first thing.
"""

from __future__ import annotations

import marshal
import os
from zlib import crc32

__all__ = ["HEAD", "DETAIL", "MAGIC", "decode", "encode", "read_parts", "write_parts"]

MAGIC = b"PBSCAN\x00\x05"
"""File signature and format; another value is a cold cache."""
HEAD, DETAIL = 0, 1
"""The parts of a snapshot's file, in file order (an index's file has one part)."""
_MAX_PARTS = 8
_MARSHAL_VERSION = 4


def decode(blob: bytes | None) -> object:
    """The value of a part; None for an empty, missing or undecodable one."""
    if not blob:
        return None
    try:
        return marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return None


def encode(value: object) -> bytes:
    """A part's blob (None encodes as empty)."""
    return b"" if value is None else marshal.dumps(value, _MARSHAL_VERSION)


def read_parts(path: str, wanted: tuple[int, ...]) -> dict[int, bytes] | None:
    """The blobs of the ``wanted`` parts of the file at ``path`` (a part that is damaged or
    absent is left out); None when the file is missing or not of this format."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC) + 1)
            if len(head) < len(MAGIC) + 1 or not head.startswith(MAGIC) or head[-1] > _MAX_PARTS:
                return None
            count = head[-1]
            table = handle.read(12 * count)
            if len(table) < 12 * count:
                return None
            at = len(head) + len(table)
            spans = []
            for i in range(count):
                size = int.from_bytes(table[12 * i:12 * i + 8], "little")
                spans.append((at, size, int.from_bytes(table[12 * i + 8:12 * i + 12], "little")))
                at += size
            out: dict[int, bytes] = {}
            for part in sorted(wanted):
                if part >= count:
                    continue
                start, size, check = spans[part]
                handle.seek(start)
                blob = handle.read(size)
                if len(blob) == size and crc32(blob) == check:
                    out[part] = blob
            return out
    except (OSError, ValueError):
        return None


def write_parts(path: str, blobs: list[bytes]) -> None:
    """Replace the file at ``path`` atomically with these part blobs (in part order); raises
    OSError (callers treat the cache as best effort)."""
    header = [MAGIC, bytes([len(blobs)])]
    for blob in blobs:
        header.append(len(blob).to_bytes(8, "little"))
        header.append(crc32(blob).to_bytes(4, "little"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        with open(temp, "xb") as handle:
            handle.write(b"".join(header))
            for blob in blobs:
                handle.write(blob)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
