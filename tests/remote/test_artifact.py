"""The artifact format as tables: round trips, the signature rules, and blobs damaged or forged
in every way a store or a stranger could, each refused with a reason."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest
import zstandard

from prebundle.remote.artifact import MAGIC, Artifact, ArtifactError, pack, unpack

KEY = "3f2a9c0d11e4b5a6"
OTHER_KEY = "77aa00bb11cc22dd"
SECRET = b"0123456789abcdef-team-secret"
FILES = {"react.js": b"export default 1;\n", "chunk-A.js.map": b"{}", "deep/er/x.js": b"", "\u00e9t\u00e9.js": b"x"}
RECORD = {"format": 3, "name": "react", "nested": {"list": [1, 2, None]}, "text": "ünïcode ✓"}


def forge(raw: bytes, *, raw_size: int | None = None, version: int = 1, codec: int = 1, signed: int = 0,
          payload: bytes | None = None) -> bytes:
    """A blob with a valid digest around ``raw`` (what a writer without the key can make),
    laid out as artifact.py documents it; compressed with zlib (codec 1) or Zstandard (2)."""
    if payload is None:
        payload = zstandard.ZstdCompressor().compress(raw) if codec == 2 else zlib.compress(raw)
    header = struct.pack(">10sBBBxQ32s", MAGIC, version, codec, signed,
                         len(raw) if raw_size is None else raw_size, hashlib.sha256(payload).digest())
    return header + bytes(32) + payload


def raw_payload(record: bytes = b"{}", files: list[tuple[bytes, bytes]] = (), *, count: int | None = None,
                sizes: list[int] | None = None) -> bytes:
    index = [struct.pack(">I", len(record)), record, struct.pack(">I", len(files) if count is None else count)]
    for number, (name, data) in enumerate(files):
        size = len(data) if sizes is None else sizes[number]
        index += [struct.pack(">H", len(name)), name, struct.pack(">Q", size)]
    return b"".join(index + [data for _, data in files])


def test_round_trip():
    artifact = unpack(KEY, pack(KEY, FILES, RECORD))
    assert artifact == Artifact(files=FILES, record=RECORD)


def test_paths_are_read_when_packed(tmp_path):
    (tmp_path / "a.js").write_bytes(b"from disk")
    assert unpack(KEY, pack(KEY, {"a.js": tmp_path / "a.js"}, {})).files == {"a.js": b"from disk"}


def test_an_empty_package_round_trips():
    assert unpack(KEY, pack(KEY, {}, {})) == Artifact(files={}, record={})


def test_real_bundles_shrink(build_files, build_record):
    blob = pack(KEY, build_files, build_record)
    assert len(blob) < sum(map(len, build_files.values())) / 3
    assert unpack(KEY, blob).files == build_files


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../up.js", "a/../../up.js", "a\\b.js", "nul\0.js", "a//b.js",
                                  "./a.js", "a/.", "C:/x.js", "dir/"])
def test_unsafe_names_are_not_packed(name):
    with pytest.raises(ValueError, match="file name"):
        pack(KEY, {name: b"x"}, {})


# The signature rules.

def test_signed_artifacts_verify_with_the_key():
    assert unpack(KEY, pack(KEY, FILES, RECORD, SECRET), SECRET, require_signature=True).files == FILES


def test_another_key_is_refused():
    blob = pack(KEY, FILES, RECORD, b"another-secret-of-16+")
    with pytest.raises(ArtifactError, match="bad signature"):
        unpack(KEY, blob, SECRET)


def test_unsigned_is_refused_only_when_signatures_are_required():
    blob = pack(KEY, FILES, RECORD)
    assert unpack(KEY, blob, SECRET).files == FILES
    with pytest.raises(ArtifactError, match="unsigned"):
        unpack(KEY, blob, SECRET, require_signature=True)


def test_a_signed_artifact_replayed_under_another_key_is_refused():
    with pytest.raises(ArtifactError, match="bad signature"):
        unpack(OTHER_KEY, pack(KEY, FILES, RECORD, SECRET), SECRET)


def test_a_signed_artifact_with_its_signature_stripped_is_refused_when_required():
    blob = bytearray(pack(KEY, FILES, RECORD, SECRET))
    blob[12] = 0  # the "signed" flag
    blob[54:86] = bytes(32)  # and the signature
    with pytest.raises(ArtifactError, match="unsigned"):
        unpack(KEY, bytes(blob), SECRET, require_signature=True)


def test_a_reader_without_the_key_takes_signed_artifacts():
    assert unpack(KEY, pack(KEY, FILES, RECORD, SECRET)).record == RECORD


# Damage: every byte of the header and the payload matters.

GOOD = pack(KEY, FILES, RECORD, SECRET)
DAMAGED = {
    "empty": b"",
    "html error page": b"<html><body>502 Bad Gateway</body></html>",
    "header only": GOOD[:86],
    "truncated": GOOD[: len(GOOD) // 2],
    "one byte short": GOOD[:-1],
    "trailing garbage": GOOD + b"\0",
    **{f"bit flipped at {offset}": GOOD[:offset] + bytes([GOOD[offset] ^ 0x01]) + GOOD[offset + 1:]
       for offset in (0, 10, 11, 12, 14, 21, 22, 53, 54, 85, 86, len(GOOD) // 2, len(GOOD) - 1)},
}


@pytest.mark.parametrize("blob", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_blobs_are_refused(blob):
    with pytest.raises(ArtifactError):
        unpack(KEY, blob, SECRET)


@pytest.mark.parametrize("codec", [1, 2], ids=["zlib (what earlier versions wrote)", "zstd"])
def test_both_codecs_are_read(codec):
    raw = raw_payload(b'{"a": 1}', [(b"x.js", b"export {}")])
    assert unpack(KEY, forge(raw, codec=codec)) == Artifact(files={"x.js": b"export {}"}, record={"a": 1})


def test_bytes_after_the_zstd_frame_are_never_read():
    raw = raw_payload(b"{}", [(b"x.js", b"1")])
    blob = forge(raw, codec=2, payload=zstandard.ZstdCompressor().compress(raw) + b"not part of the frame")
    assert unpack(KEY, blob).files == {"x.js": b"1"}


def test_zstd_is_written():
    assert pack(KEY, FILES, RECORD)[11] == 2


def test_a_newer_format_is_refused_by_name():
    with pytest.raises(ArtifactError, match="format 2"):
        unpack(KEY, forge(raw_payload(), version=2))


# Forged blobs: valid digest, hostile content (what a writer without the key can upload).

FORGED = {
    "unsafe name ..": (forge(raw_payload(files=[(b"../../evil.js", b"x")])), "unsafe file name"),
    "absolute name": (forge(raw_payload(files=[(b"/tmp/evil.js", b"x")])), "unsafe file name"),
    "backslash": (forge(raw_payload(files=[(b"..\\evil.js", b"x")])), "unsafe file name"),
    "NUL": (forge(raw_payload(files=[(b"a\0.js", b"x")])), "unsafe file name"),
    "twice the same name": (forge(raw_payload(files=[(b"a.js", b"1"), (b"a.js", b"2")])), "twice"),
    "sizes beyond the payload": (forge(raw_payload(files=[(b"a.js", b"12")], sizes=[3])), "add up"),
    "sizes short of the payload": (forge(raw_payload(files=[(b"a.js", b"12")], sizes=[1])), "add up"),
    "more files than listed": (forge(raw_payload(files=[(b"a.js", b"1")], count=5)), "index"),
    "record not an object": (forge(raw_payload(record=b"[1, 2]")), "not a JSON object"),
    "record not JSON": (forge(raw_payload(record=b"{nope")), "index"),
    "name not UTF-8": (forge(raw_payload(files=[(b"\xff.js", b"1")])), "index"),
    "size field lies (bomb)": (forge(b"\0" * 10_000_000, raw_size=100), "size mismatch"),
    "size field too big": (forge(raw_payload(), raw_size=1 << 40), "header"),
    "payload not zlib": (forge(b"{}", payload=b"not zlib at all"), "payload"),
    "payload not zstd": (forge(b"{}", codec=2, payload=b"not zstd at all"), "payload"),
    "zstd frame states another size": (forge(raw_payload(), codec=2, raw_size=len(raw_payload()) + 1), "size mismatch"),
    "zstd bomb (size field lies)": (forge(b"\0" * 10_000_000, codec=2, raw_size=100), "size mismatch"),
    "zstd frame without its size": (
        forge(raw_payload(), codec=2,
              payload=zstandard.ZstdCompressor(write_content_size=False).compress(raw_payload())), "size mismatch"),
    "zstd frame cut short": (
        forge(raw_payload(), codec=2, payload=zstandard.ZstdCompressor().compress(raw_payload())[:-3]), "payload"),
    "unknown codec": (forge(raw_payload(), codec=9), "header"),
}


@pytest.mark.parametrize(("blob", "reason"), FORGED.values(), ids=FORGED.keys())
def test_forged_blobs_are_refused(blob, reason):
    with pytest.raises(ArtifactError, match=reason):
        unpack(KEY, blob)


def test_a_forged_signature_flag_without_a_valid_signature_is_refused():
    with pytest.raises(ArtifactError, match="bad signature"):
        unpack(KEY, forge(raw_payload(), signed=1), SECRET)
