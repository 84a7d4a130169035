"""The packet codec as a table: values, golden bytes, and round trips."""

from __future__ import annotations

import pytest

from prebundle.esbuild._codec import (
    decode_packet, decode_value, encode_packet, encode_value,
)

ROUND_TRIPS = [
    None,
    True,
    False,
    0,
    1,
    -1,
    -(2**31),
    2**31 - 1,
    "",
    "héllo ✓",
    "bad \udcff utf-8",  # non-UTF-8 bytes from Go survive as surrogate escapes
    b"",
    b"\x00\xff raw",
    [],
    [1, "a", b"b", None, True, [2, [3]]],
    {},
    {"a": {"b": {"c": [1, {"d": -5}]}}, "": False},
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=repr)
def test_round_trip(value):
    decoded = decode_value(encode_value(value))
    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize(
    ("value", "golden"),
    [
        (None, b"\x00"),
        (True, b"\x01\x01"),
        (False, b"\x01\x00"),
        (1, b"\x02\x01\x00\x00\x00"),
        (-1, b"\x02\xff\xff\xff\xff"),
        (2**32 - 1, b"\x02\xff\xff\xff\xff"),
        ("ab", b"\x03\x02\x00\x00\x00ab"),
        (b"ab", b"\x04\x02\x00\x00\x00ab"),
        ([None], b"\x05\x01\x00\x00\x00\x00"),
        ({"k": 0}, b"\x06\x01\x00\x00\x00\x01\x00\x00\x00k\x02\x00\x00\x00\x00"),
    ],
    ids=repr,
)
def test_golden_bytes(value, golden):
    assert encode_value(value) == golden


def test_bool_is_not_int():
    assert encode_value(True)[0] == 1
    assert encode_value(1)[0] == 2


def test_unsigned_ints_decode_signed():
    assert decode_value(encode_value(2**32 - 1)) == -1


def test_non_utf8_string_from_go():
    assert decode_value(b"\x03\x02\x00\x00\x00\xff\xfe") == "\udcff\udcfe"


@pytest.mark.parametrize("value", [2**32, -(2**31) - 1, 1.5, object(), {1: "x"}], ids=repr)
def test_rejects_values_the_service_cannot_take(value):
    with pytest.raises((TypeError, ValueError)):
        encode_value(value)


def test_ping_packet_matches_the_reference_bytes():
    ping = bytes.fromhex("1d000000" "00000000" "06" "01000000" "07000000") + b"command" + \
        bytes.fromhex("03" "04000000") + b"ping"
    assert encode_packet(0, True, {"command": "ping"}) == ping
    assert encode_packet(0, False, {}) == bytes.fromhex("09000000 01000000 06 00000000")
    assert decode_packet(ping[4:]) == (0, True, {"command": "ping"})
    assert decode_packet(encode_packet(12345, False, {"x": 1})[4:]) == (12345, False, {"x": 1})


@pytest.mark.parametrize("data", [b"", b"\x03\x05\x00\x00\x00ab", b"\x09", b"\x00\x00"])
def test_rejects_malformed_input(data):
    with pytest.raises(ValueError):
        decode_value(data)


def test_a_metafile_naming_a_lone_surrogate_is_read_as_json_reads_it():
    """orjson reads metafiles; what it refuses (a file name that is not UTF-8, escaped as a
    lone surrogate) is read by ``json``, not lost."""
    import json

    from prebundle.esbuild._types import parse_metafile

    plain = '{"inputs": {"src/a.js": {"bytes": 12, "imports": []}}, "outputs": {}}'
    odd = '{"inputs": {"src/\\udcff.js": {"bytes": 1.5e3}}}'
    assert parse_metafile(plain) == json.loads(plain)
    assert parse_metafile(plain.encode()) == json.loads(plain)
    assert parse_metafile(odd) == json.loads(odd) == {"inputs": {"src/\udcff.js": {"bytes": 1500.0}}}
