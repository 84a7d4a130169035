"""The artifact format as tables: round trips, the signature rules, and blobs damaged or forged
in every way a store or a stranger could, each refused with a reason."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest
import zstandard

from prebundle.remote.artifact import FRAME_SIZE, MAGIC, Artifact, ArtifactError, open_artifact, pack, unpack

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


def framed(index: bytes, runs: list[tuple[bytes, int]] = (), *, table: list[tuple[int, int, int]] | None = None,
           count: int | None = None) -> bytes:
    """A codec 3 payload: ``index`` in the first frame, then a frame per ``(contents, files)``
    run; ``table`` and ``count`` replace the frame table's entries and count (forgeries)."""
    frames = [zstandard.ZstdCompressor().compress(raw) for raw in [index] + [raw for raw, _ in runs]]
    entries = [(len(frames[0]), len(index), 0)] + [(len(f), len(raw), n) for f, (raw, n) in zip(frames[1:], runs, strict=True)]
    entries = entries if table is None else table
    head = struct.pack(">I", len(entries) if count is None else count)
    return head + b"".join(struct.pack(">QQI", *entry) for entry in entries) + b"".join(frames)


def index_of(record: bytes = b"{}", files: list[tuple[bytes, int]] = ()) -> bytes:
    """The index part of a payload: the record and each file's name and size."""
    parts = [struct.pack(">I", len(record)), record, struct.pack(">I", len(files))]
    for name, size in files:
        parts += [struct.pack(">H", len(name)), name, struct.pack(">Q", size)]
    return b"".join(parts)


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


@pytest.mark.parametrize("codec", [1, 2, 3], ids=["zlib (what earlier versions wrote)", "zstd (as well)", "zstd frames"])
def test_every_codec_is_read(codec):
    raw = raw_payload(b'{"a": 1}', [(b"x.js", b"export {}")])
    payload = framed(index_of(b'{"a": 1}', [(b"x.js", 9)]), [(b"export {}", 1)]) if codec == 3 else None
    assert unpack(KEY, forge(raw, codec=codec, payload=payload)) == Artifact(files={"x.js": b"export {}"},
                                                                            record={"a": 1})


def test_bytes_after_the_zstd_frame_are_never_read():
    raw = raw_payload(b"{}", [(b"x.js", b"1")])
    blob = forge(raw, codec=2, payload=zstandard.ZstdCompressor().compress(raw) + b"not part of the frame")
    assert unpack(KEY, blob).files == {"x.js": b"1"}


def test_zstd_frames_are_written():
    assert pack(KEY, FILES, RECORD)[11] == 3


def big_files() -> dict[str, bytes]:
    """Files enough for several frames, one of them larger than a frame (never split)."""
    files = {f"chunk-{number}.js": f"export const n{number} = {number};\n".encode() * 20_000 for number in range(12)}
    files["huge.js"] = bytes(range(256)) * (FRAME_SIZE // 100)
    files["empty.js"] = b""
    return files


def test_a_large_artifact_is_packed_in_frames_of_whole_files_read_part_by_part():
    files = big_files()
    blob = pack(KEY, files, RECORD)
    opened = open_artifact(KEY, blob)
    assert opened.names == tuple(files)
    assert len(opened.parts) >= 4
    assert max(len(part.entries) for part in opened.parts) < len(files)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:  # parts are read on several threads, in any order
        read = {}
        for part_files in pool.map(lambda part: part.files(), reversed(opened.parts)):
            read.update(part_files)
    assert read == files
    assert unpack(KEY, blob) == Artifact(files=files, record=RECORD)


@pytest.mark.parametrize("codec", [1, 2])
def test_a_one_stream_artifact_is_read_in_parts_too(codec):
    files = big_files()
    raw = raw_payload(b"{}", [(name.encode(), data) for name, data in files.items()])
    opened = open_artifact(KEY, forge(raw, codec=codec))
    assert len(opened.parts) >= 4
    assert {name: bytes(data) for part in opened.parts for name, data in part.files().items()} == files


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
A_JS = index_of(files=[(b"a.js", 2)])
"""The index of one file, ``a.js`` of 2 bytes (``12``)."""
FRAME_FORGERIES = {
    "no frame": (framed(A_JS, [(b"12", 1)], count=0), "frame table"),
    "more frames than the table holds": (framed(A_JS, [(b"12", 1)], count=40_000), "frame table"),
    "compressed sizes short of the payload": (framed(A_JS, [(b"12", 1)], table=[(9, len(A_JS), 0), (9, 2, 1)]),
                                              "frame table"),
    "files in the index's frame": (framed(A_JS, [(b"12", 1)], table=[
        (len(zstandard.ZstdCompressor().compress(A_JS)), len(A_JS), 1),
        (len(zstandard.ZstdCompressor().compress(b"12")), 2, 0)]), "frame table"),
    "a frame claims more files than listed": (framed(A_JS, [(b"12", 2)]), "add up"),
    "a frame holds other bytes than its files": (framed(index_of(files=[(b"a.js", 3)]), [(b"12", 1)]), "add up"),
    "files left out of every frame": (framed(index_of(files=[(b"a.js", 2), (b"b.js", 0)]), [(b"12", 1)]), "add up"),
    "the index ends before its frame": (framed(A_JS + b"??", [(b"12", 1)]), "index"),
}


def forge_frames(payload: bytes, raw_size: int | None = None) -> bytes:
    """A codec 3 blob around ``payload``, the header's size the sum of its table's."""
    count = struct.unpack_from(">I", payload)[0]
    table = [struct.unpack_from(">QQI", payload, 4 + 20 * n) for n in range(min(count, (len(payload) - 4) // 20))]
    size = sum(entry[1] for entry in table) if raw_size is None else raw_size
    return forge(b"", raw_size=size, codec=3, payload=payload)


FORGED.update({f"frames: {name}": (forge_frames(payload), reason)
               for name, (payload, reason) in FRAME_FORGERIES.items()})
FORGED["frames: sizes short of the header's"] = (
    forge_frames(framed(A_JS, [(b"12", 1)]), raw_size=len(A_JS) + 3), "frame table")
A3_JS = index_of(files=[(b"a.js", 3)])
FORGED["frames: a frame that states another size than the table"] = (  # found when the frame is read
    forge_frames(framed(A3_JS, [(b"12", 1)], table=[
        (len(zstandard.ZstdCompressor().compress(A3_JS)), len(A3_JS), 0),
        (len(zstandard.ZstdCompressor().compress(b"12")), 3, 1)])), "size mismatch")


@pytest.mark.parametrize(("blob", "reason"), FORGED.values(), ids=FORGED.keys())
def test_forged_blobs_are_refused(blob, reason):
    with pytest.raises(ArtifactError, match=reason):
        unpack(KEY, blob)


def test_a_forged_signature_flag_without_a_valid_signature_is_refused():
    with pytest.raises(ArtifactError, match="bad signature"):
        unpack(KEY, forge(raw_payload(), signed=1), SECRET)
