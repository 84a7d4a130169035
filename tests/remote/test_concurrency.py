"""Eight writers at once, as eight CI jobs of a team would be: threads of one process and
separate processes, uploading the same key and keys of their own. Every key reads back intact
and verified, and nobody sees an error."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from tests.support.apps import REPO

WRITERS = 8
SAME_KEY = "5a5a5a5a5a5a5a5a"
SECRET = b"team-secret-0123456789"


def _files(build_files: dict[str, bytes], writer: int) -> dict[str, bytes]:
    return {**build_files, "writer.js": f"export default {writer};\n".encode()}


def _own_key(writer: int) -> str:
    return f"{writer:02d}" + "c" * 14


def _check_all_keys(open_tier, url: str, build_files: dict[str, bytes]) -> None:
    reader = open_tier(url, signing_key=SECRET, require_signature=True)
    found = reader.fetch_many([SAME_KEY] + [_own_key(writer) for writer in range(WRITERS)])
    assert sorted(found) == sorted([SAME_KEY] + [_own_key(writer) for writer in range(WRITERS)])
    for writer in range(WRITERS):
        assert found[_own_key(writer)].files == _files(build_files, writer)
        assert found[_own_key(writer)].record == {"writer": writer}
    same = found[SAME_KEY]
    assert same.files in [_files(build_files, writer) for writer in range(WRITERS)]  # one whole writer's
    assert same.files["writer.js"] == f"export default {same.record['writer']};\n".encode()
    assert reader.stats.errors == 0


@pytest.mark.parametrize("store", ["webdav", "redis", "file"])
def test_writer_threads(store, request, open_tier, warnings, build_files):
    url = request.getfixturevalue(f"{store}_url")
    tiers = [open_tier(url, signing_key=SECRET) for _ in range(WRITERS)]  # one per writer, as machines
    start = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        start.wait()
        tiers[writer].upload(SAME_KEY, _files(build_files, writer), {"writer": writer})
        tiers[writer].upload(_own_key(writer), _files(build_files, writer), {"writer": writer})
        tiers[writer].flush()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [tier.stats.errors for tier in tiers] == [0] * WRITERS
    assert sum(tier.stats.uploads for tier in tiers) >= WRITERS + 1
    assert warnings.messages == []
    _check_all_keys(open_tier, url, build_files)


WRITER_PROCESS = """
import json, sys
from pathlib import Path
from prebundle.remote import RemoteSettings, open_remote

url, writer, files_dir, secret = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].encode()
tier = open_remote(RemoteSettings(url, signing_key=secret))
tier.begin_run()
files = {p.relative_to(files_dir).as_posix(): p for p in files_dir.rglob("*") if p.is_file()}
files["writer.js"] = f"export default {writer};\\n".encode()
sys.stdin.readline()  # all start together
tier.upload(sys.argv[5], files, {"writer": writer})
tier.upload(sys.argv[6], files, {"writer": writer})
tier.flush()
print(json.dumps({"errors": tier.stats.errors, "uploads": tier.stats.uploads, "skipped": tier.stats.skipped}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("store", ["webdav", "redis", "file"])
def test_writer_processes(store, request, tmp_path, open_tier, build_files):
    url = request.getfixturevalue(f"{store}_url")
    files_dir = tmp_path / "build"
    for name, content in build_files.items():
        (files_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (files_dir / name).write_bytes(content)
    processes = [subprocess.Popen([sys.executable, "-c", WRITER_PROCESS, url, str(writer), str(files_dir),
                                   SECRET.decode(), SAME_KEY, _own_key(writer)],
                                  cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for writer in range(WRITERS)]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "warning" not in err, err
        results.append(json.loads(out))
    assert [result["errors"] for result in results] == [0] * WRITERS
    assert sum(result["uploads"] for result in results) >= WRITERS + 1
    _check_all_keys(open_tier, url, build_files)
