"""The remote tier against real stores (nginx WebDAV, redis-server, a folder): what one machine
uploads another reads back intact; misses, read-only jobs, signatures, ``fetch_many`` and the
life of a tier across the daemon's runs."""

from __future__ import annotations

import shutil
import time

import pytest

from prebundle.remote import Artifact

KEY = "a1b2c3d4e5f60718"
SECRET = b"team-secret-0123456789"


def test_what_one_machine_uploads_another_reads(store_url, open_tier, warnings, build_files, build_record):
    uploader = open_tier(store_url)
    started = time.monotonic()
    uploader.upload(KEY, build_files, build_record)
    assert time.monotonic() - started < 0.05  # write-behind: the caller does not wait
    uploader.flush()
    assert (uploader.stats.uploads, uploader.stats.errors) == (1, 0)
    assert uploader.stats.bytes_up < sum(map(len, build_files.values())) / 3  # compressed

    reader = open_tier(store_url)
    assert reader.fetch(KEY) == Artifact(files=build_files, record=build_record)
    assert (reader.stats.hits, reader.stats.misses, reader.stats.bytes_down) == (1, 0, uploader.stats.bytes_up)
    assert warnings.messages == []


def test_files_can_be_given_as_paths(store_url, open_tier, tmp_path, build_files):
    for name, content in build_files.items():
        (tmp_path / "build" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "build" / name).write_bytes(content)
    uploader = open_tier(store_url)
    uploader.upload(KEY, {name: tmp_path / "build" / name for name in build_files}, {"format": 3})
    uploader.flush()
    assert open_tier(store_url).fetch(KEY).files == build_files


def test_a_miss_is_no_failure(store_url, open_tier, warnings, build_files):
    tier = open_tier(store_url)
    assert tier.fetch("0000000000000000") is None
    assert tier.fetch_many(["0000000000000001", "0000000000000002"]) == {}
    assert (tier.stats.misses, tier.stats.errors, tier.stats.skipped) == (3, 0, None)
    writer = open_tier(store_url)
    writer.upload("ffffffffffffffff", build_files, {})
    writer.flush()
    assert tier.fetch("ffffffffffffffff").files == build_files  # the remote is still used
    assert warnings.messages == []


def test_read_only_never_writes(store_url, open_tier, nginx, prefix, warnings, build_files):
    read_only = open_tier(store_url, read_only=True)
    read_only.upload(KEY, build_files, {})
    read_only.flush()
    assert read_only.stats.uploads == 0
    assert open_tier(store_url).fetch(KEY) is None
    if store_url.startswith(nginx.url):
        assert not (nginx.root / prefix).exists()  # not even a folder
    writer = open_tier(store_url)
    writer.upload(KEY, build_files, {})
    writer.flush()
    assert read_only.fetch(KEY).files == build_files  # and it reads
    assert warnings.messages == []


def test_a_key_the_remote_has_is_not_sent_again(store_url, open_tier, build_files):
    first = open_tier(store_url)
    first.upload(KEY, build_files, {})
    first.flush()
    second = open_tier(store_url)
    second.upload(KEY, build_files, {})
    second.upload(KEY, build_files, {})
    second.flush()
    assert (first.stats.uploads, second.stats.uploads, second.stats.errors) == (1, 0, 0)


def test_fetch_many(store_url, open_tier, warnings, build_files):
    writer = open_tier(store_url)
    keys = [f"{number:016x}" for number in range(1, 13)]
    for number, key in enumerate(keys[:10]):
        writer.upload(key, {**build_files, "index.js": str(number).encode()}, {"number": number})
    writer.flush()
    reader = open_tier(store_url)
    found = reader.fetch_many(keys + keys[:2])  # two missing, two asked twice
    assert sorted(found) == keys[:10]
    assert all(found[key].record == {"number": n} and found[key].files["index.js"] == str(n).encode()
               for n, key in enumerate(keys[:10]))
    assert (reader.stats.hits, reader.stats.misses) == (10, 2)
    assert warnings.messages == []


# Signatures (one store is enough: the rules are the tier's, not the store's).

def _upload(open_tier, url, key, files, **settings):
    writer = open_tier(url, **settings)
    writer.upload(key, files, {"signed": "signing_key" in settings})
    writer.flush()
    assert writer.stats.uploads == 1


def test_signed_artifacts_are_read_by_holders_of_the_key(webdav_url, open_tier, warnings, build_files):
    _upload(open_tier, webdav_url, KEY, build_files, signing_key=SECRET)
    tier = open_tier(webdav_url, signing_key=SECRET, require_signature=True)
    assert tier.fetch(KEY).files == build_files
    assert warnings.messages == []


def test_another_key_is_refused(webdav_url, open_tier, warnings, build_files):
    _upload(open_tier, webdav_url, KEY, build_files, signing_key=b"not-the-team-secret-at-all")
    tier = open_tier(webdav_url, signing_key=SECRET)
    assert tier.fetch(KEY) is None
    assert warnings.messages == [f"warning: remote cache {tier.description}: artifact {KEY}: bad signature "
                                 "(another key, or an artifact of another package); skipping it for the rest "
                                 "of this run"]


def test_a_machine_with_another_key_never_writes_over_signed_artifacts(webdav_url, open_tier, build_files):
    """A laptop still on a rotated key refuses the team's artifacts, and leaves them alone: its
    own build of the key is not sent over them (a damaged artifact would be)."""
    team_key = b"the-team-secret-after-rotation"
    _upload(open_tier, webdav_url, KEY, build_files, signing_key=team_key)
    stale = open_tier(webdav_url, signing_key=SECRET)
    assert stale.fetch(KEY) is None
    stale.upload(KEY, {"a.js": b"the stale machine's build"}, {})
    stale.flush()
    assert stale.stats.uploads == 0
    assert open_tier(webdav_url, signing_key=team_key, require_signature=True).fetch(KEY).files == build_files


def test_unsigned_is_refused_when_signatures_are_required(webdav_url, open_tier, warnings, build_files):
    _upload(open_tier, webdav_url, KEY, build_files)
    assert open_tier(webdav_url, signing_key=SECRET).fetch(KEY).files == build_files  # allowed unless required
    tier = open_tier(webdav_url, signing_key=SECRET, require_signature=True)
    assert tier.fetch(KEY) is None
    (warning,) = warnings.messages
    assert "unsigned artifact (signatures are required)" in warning


def test_an_artifact_copied_under_another_key_is_refused(webdav_url, nginx, prefix, open_tier, warnings,
                                                         build_files):
    _upload(open_tier, webdav_url, KEY, build_files, signing_key=SECRET)
    other = "0ddba11c0ffee000"
    shutil.copyfile(nginx.root / prefix / "v1" / KEY, nginx.root / prefix / "v1" / other)
    tier = open_tier(webdav_url, signing_key=SECRET)
    assert tier.fetch(other) is None
    (warning,) = warnings.messages
    assert f"artifact {other}: bad signature" in warning


# A tier across runs.

def test_a_new_run_tries_a_skipped_remote_again(webdav_url, nginx, prefix, open_tier, warnings, build_files):
    _upload(open_tier, webdav_url, KEY, build_files)
    blob = nginx.root / prefix / "v1" / KEY
    good = blob.read_bytes()
    blob.write_bytes(good[:-10])
    tier = open_tier(webdav_url)
    assert tier.fetch(KEY) is None and tier.stats.skipped
    blob.write_bytes(good)
    assert tier.fetch(KEY) is None  # skipped for the rest of the run
    tier.begin_run()
    assert tier.stats.skipped is None and tier.stats.errors == 0
    assert tier.fetch(KEY).files == build_files
    assert len(warnings.messages) == 1


def test_close_drops_the_queue_and_stops_uploading(webdav_url, open_tier, build_files):
    tier = open_tier(webdav_url)
    tier.close()
    tier.upload(KEY, build_files, {})
    tier.flush(1)
    tier.close()
    assert tier.stats.uploads == 0
    assert open_tier(webdav_url).fetch(KEY) is None


def test_bad_keys_are_a_programming_error(webdav_url, open_tier):
    tier = open_tier(webdav_url)
    for key in ("", "../etc/passwd", "a/b", ".hidden", "x" * 200):
        with pytest.raises(ValueError, match="not a cache key"):
            tier.fetch(key)
        with pytest.raises(ValueError, match="not a cache key"):
            tier.upload(key, {}, {})


def test_nginx_without_propfind(tmp_path, open_tier, warnings, build_files):
    """nginx's own DAV module (``dav_methods PUT``, no dav-ext) cannot answer PROPFIND: the
    tier uploads without asking first."""
    from tests.support.stores import NginxDav, running

    with running(NginxDav(tmp_path / "nginx", propfind=False)) as server:
        url = f"{server.url}/cache"
        writer = open_tier(url)
        writer.upload(KEY, build_files, {"n": 1})
        writer.upload("ffffffffffffffff", build_files, {"n": 2})
        writer.flush()
        assert (writer.stats.uploads, writer.stats.errors) == (2, 0)
        reader = open_tier(url)
        assert reader.fetch(KEY).record == {"n": 1}
        assert reader.fetch_many(["ffffffffffffffff"])["ffffffffffffffff"].files == build_files
    assert warnings.messages == []
