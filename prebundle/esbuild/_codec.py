"""The service's packet format: a length, an id word, and one tagged value.

Kept pure (bytes in, values out) so it can be tested as a table without a process.
Integers are 32 bits on the wire; Go reads them unsigned, we decode them signed so that
``detail: -1`` comes back as -1.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["encode_value", "decode_value", "encode_packet", "decode_packet", "MAX_ID"]

MAX_ID = (1 << 31) - 1
"""Ids share a word with the request/response bit, so they must fit in 31 bits."""

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_NULL, _BOOL, _INT, _STR, _BYTES, _ARRAY, _MAP = range(7)


def _encode(value: Any, out: bytearray) -> None:
    # bool before int: bool is a subclass of int and has its own tag.
    if value is None:
        out.append(_NULL)
    elif value is True or value is False:
        out.append(_BOOL)
        out.append(1 if value else 0)
    elif isinstance(value, int):
        if not -(1 << 31) <= value < (1 << 32):
            raise ValueError(f"integer {value} does not fit in 32 bits")
        out.append(_INT)
        out += _U32.pack(value & 0xFFFFFFFF)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
        out.append(_STR)
        out += _U32.pack(len(data))
        out += data
    elif isinstance(value, (bytes, bytearray, memoryview)):
        out.append(_BYTES)
        out += _U32.pack(len(value))
        out += value
    elif isinstance(value, (list, tuple)):
        out.append(_ARRAY)
        out += _U32.pack(len(value))
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        out.append(_MAP)
        out += _U32.pack(len(value))
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"map keys must be str, got {type(key).__name__}")
            data = key.encode("utf-8", "surrogateescape")
            out += _U32.pack(len(data))
            out += data
            _encode(item, out)
    else:
        raise TypeError(f"cannot send a value of type {type(value).__name__} to esbuild")


def encode_value(value: Any) -> bytes:
    """Encode one value with its tag."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _decode(buf: memoryview, pos: int) -> tuple[Any, int]:
    tag = buf[pos]
    pos += 1
    if tag == _NULL:
        return None, pos
    if tag == _BOOL:
        return buf[pos] != 0, pos + 1
    if tag == _INT:
        return _I32.unpack_from(buf, pos)[0], pos + 4
    if tag in (_STR, _BYTES):
        (size,) = _U32.unpack_from(buf, pos)
        pos += 4
        raw = bytes(buf[pos : pos + size])
        if len(raw) != size:
            raise ValueError("truncated value")
        if tag == _STR:
            return raw.decode("utf-8", "surrogateescape"), pos + size
        return raw, pos + size
    if tag == _ARRAY:
        (count,) = _U32.unpack_from(buf, pos)
        pos += 4
        items = []
        for _ in range(count):
            item, pos = _decode(buf, pos)
            items.append(item)
        return items, pos
    if tag == _MAP:
        (count,) = _U32.unpack_from(buf, pos)
        pos += 4
        result = {}
        for _ in range(count):
            (size,) = _U32.unpack_from(buf, pos)
            pos += 4
            key = bytes(buf[pos : pos + size]).decode("utf-8", "surrogateescape")
            pos += size
            result[key], pos = _decode(buf, pos)
        return result, pos
    raise ValueError(f"unknown value tag {tag}")


def decode_value(data: bytes | memoryview) -> Any:
    """Decode one tagged value that fills ``data`` exactly."""
    buf = memoryview(data)
    try:
        value, pos = _decode(buf, 0)
    except (IndexError, struct.error) as exc:
        raise ValueError("truncated value") from exc
    if pos != len(buf):
        raise ValueError(f"{len(buf) - pos} trailing bytes after value")
    return value


def encode_packet(id: int, is_request: bool, value: Any) -> bytes:
    """A whole packet, length prefix included. The low bit of the id word is set for responses."""
    if not 0 <= id <= MAX_ID:
        raise ValueError(f"packet id {id} out of range")
    body = bytearray(8)
    _U32.pack_into(body, 4, (id << 1) | (0 if is_request else 1))
    _encode(value, body)
    _U32.pack_into(body, 0, len(body) - 4)
    return bytes(body)


def decode_packet(body: bytes | memoryview) -> tuple[int, bool, Any]:
    """Decode a packet *without* its length prefix into ``(id, is_request, value)``."""
    if len(body) < 5:
        raise ValueError("packet too short")
    (word,) = _U32.unpack_from(body, 0)
    return word >> 1, not (word & 1), decode_value(memoryview(body)[4:])
