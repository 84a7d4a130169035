"""Compressed copies kept by content in the machine-wide cache: a package another build already
compressed is linked, not compressed again, and servers still take the copy as fresh."""

from __future__ import annotations

import gzip
import os

from prebundle.integrations.compress import precompress


def _deps(folder, text: str):
    folder.mkdir(parents=True)
    (folder / "pkg-ABC.js").write_text(text)
    return folder


def test_a_second_build_links_the_stored_copies(tmp_path) -> None:
    code = "export const value = " + " + ".join(str(n) for n in range(4000)) + ";\n"
    store = tmp_path / "machine" / "compressed"
    first = precompress(_deps(tmp_path / "one", code), store=store)
    assert {p.name for p in first} >= {"pkg-ABC.js.gz"}
    second_dir = _deps(tmp_path / "two", code)
    second = precompress(second_dir, store=store)
    assert [p.name for p in second] == [p.name for p in first]
    gz = second_dir / "pkg-ABC.js.gz"
    assert gzip.decompress(gz.read_bytes()).decode() == code
    stored = [p for p in (store / "gzip").iterdir()]
    assert len(stored) == 1 and os.path.samefile(stored[0], gz)  # linked, not compressed again
    assert gz.stat().st_mtime_ns >= (second_dir / "pkg-ABC.js").stat().st_mtime_ns  # servers send it

    other_dir = _deps(tmp_path / "three", code.replace("4000", "4001") + "// other bytes\n")
    precompress(other_dir, store=store)
    assert not os.path.samefile(other_dir / "pkg-ABC.js.gz", gz)  # other bytes, another copy
    assert gzip.decompress((other_dir / "pkg-ABC.js.gz").read_bytes()).decode().endswith("// other bytes\n")
