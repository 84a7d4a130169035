"""A remote that stalls, fails, fills up, lies or goes away costs a run at most one timeout and
one warning, then is skipped until the next run: faults injected by a real proxy in front of
nginx, real Redis servers frozen and stopped, ports nobody listens on."""

from __future__ import annotations

import time

import pytest

from tests.support.servers import free_port

KEY = "a1b2c3d4e5f60718"
TIMEOUT = 1.0
MARGIN = 0.6
"""Seconds a faulty request may cost beyond the timeout (thread start-up on a busy machine)."""
SUFFIX = "; skipping it for the rest of this run"


def _one_warning(warnings, tier, reason: str) -> str:
    (warning,) = warnings.messages
    assert warning.startswith(f"warning: remote cache {tier.description}: ") and warning.endswith(SUFFIX)
    assert reason in warning, warning
    return warning


def _skipped_at_once(tier, proxy=None, *, uploads: bool = False) -> None:
    """Later calls of the run return at once, without a request; with ``uploads`` (the remote
    answered, only an artifact was bad), uploads still go out."""
    asked = len(proxy.requests) if proxy else 0
    started = time.monotonic()
    assert tier.fetch(KEY) is None
    assert tier.fetch_many([KEY, "00000000000000ff"]) == {}
    assert time.monotonic() - started < 0.05
    if proxy:
        assert len(proxy.requests) == asked
    assert tier.upload("00000000000000fe", {"a.js": b"1"}, {}) is uploads
    tier.flush(5)
    assert tier.stats.errors == 1 and tier.stats.skipped


@pytest.fixture
def stored(proxy, prefix, open_tier, build_files, build_record) -> str:
    """The URL, through the proxy, of a prefix holding the artifact of ``KEY``."""
    url = f"{proxy.url}/{prefix}"
    writer = open_tier(url)
    writer.upload(KEY, build_files, build_record)
    writer.flush()
    assert writer.stats.uploads == 1
    proxy.requests.clear()
    return url


DOWNLOAD_FAULTS = [
    (dict(kind="stall", seconds=5), f"no answer within {TIMEOUT:g} s"),
    (dict(kind="status", status=507), "download of a1b2c3d4e5f60718: HTTP 507 Insufficient Storage"),
    (dict(kind="status", status=500), "download of a1b2c3d4e5f60718: HTTP 500 Internal Server Error"),
    (dict(kind="status", status=200), "artifact a1b2c3d4e5f60718: not a prebundle artifact"),  # a captive portal
    (dict(kind="truncate"), "download of a1b2c3d4e5f60718: "),
    (dict(kind="flip"), "artifact a1b2c3d4e5f60718: damaged artifact (SHA-256 mismatch)"),
    (dict(kind="close"), "download of a1b2c3d4e5f60718: "),
]


@pytest.mark.parametrize(("fault", "reason"), DOWNLOAD_FAULTS, ids=[f["kind"] + str(f.get("status", ""))
                                                                   for f, _ in DOWNLOAD_FAULTS])
def test_download_faults(fault, reason, stored, proxy, open_tier, warnings):
    tier = open_tier(stored, timeout=TIMEOUT)
    proxy.fault(fault.pop("kind"), methods={"GET"}, **fault)
    started = time.monotonic()
    assert tier.fetch(KEY) is None
    assert time.monotonic() - started < TIMEOUT + MARGIN
    _one_warning(warnings, tier, reason)
    _skipped_at_once(tier, proxy, uploads=reason.startswith("artifact"))


def test_a_bad_artifact_is_written_over_by_the_next_upload(stored, proxy, open_tier, warnings, build_files,
                                                          build_record):
    """One damaged artifact never poisons its key: the run that rejected it uploads its own build
    of the key over it (without asking whether the key exists), and the next run reads it."""
    tier = open_tier(stored, timeout=TIMEOUT)
    proxy.fault("flip", methods={"GET"})
    assert tier.fetch(KEY) is None
    proxy.fault("pass")
    assert tier.upload(KEY, build_files, build_record)
    tier.flush(10)
    assert tier.stats.uploads == 1
    assert [method for method, _path, _status in proxy.requests if method == "PUT"], proxy.requests
    tier.begin_run()
    assert tier.fetch(KEY) is not None


def test_a_stall_costs_fetch_many_one_timeout(stored, proxy, open_tier, warnings):
    tier = open_tier(stored, timeout=TIMEOUT)
    proxy.fault("stall", seconds=5, methods={"GET"})
    started = time.monotonic()
    assert tier.fetch_many([KEY] + [f"{n:016x}" for n in range(20)]) == {}
    assert time.monotonic() - started < TIMEOUT + MARGIN
    _one_warning(warnings, tier, f"no answer within {TIMEOUT:g} s")


UPLOAD_FAULTS = [
    (dict(kind="status", status=507, methods={"PUT"}), "upload of a1b2c3d4e5f60718: HTTP 507 Insufficient Storage"),
    (dict(kind="status", status=500, methods={"PUT"}), "upload of a1b2c3d4e5f60718: HTTP 500 Internal Server Error"),
    (dict(kind="status", status=500, methods={"PROPFIND"}), "upload of a1b2c3d4e5f60718: HTTP 500"),
    (dict(kind="close", methods={"PUT"}), "upload of a1b2c3d4e5f60718: "),
    (dict(kind="stall", seconds=5, methods={"PUT"}), "upload of a1b2c3d4e5f60718: no answer within"),
]


@pytest.mark.parametrize(("fault", "reason"), UPLOAD_FAULTS,
                         ids=[f"{f['kind']}{f.get('status', '')}-{min(f['methods'])}" for f, _ in UPLOAD_FAULTS])
def test_upload_faults(fault, reason, proxy, prefix, open_tier, warnings, build_files):
    tier = open_tier(f"{proxy.url}/{prefix}", timeout=TIMEOUT)
    proxy.fault(fault.pop("kind"), **fault)
    started = time.monotonic()
    tier.upload(KEY, build_files, {})  # never raises, never waits
    assert time.monotonic() - started < 0.05
    tier.flush(10)
    assert time.monotonic() - started < TIMEOUT + 1 + MARGIN  # plus a second per MB of upload allowance
    _one_warning(warnings, tier, reason)
    assert tier.stats.uploads == 0
    _skipped_at_once(tier, proxy)


# OpenDAL's Redis client retries a refused connection for seconds: the tier sees a timeout.
REFUSED = [("http://ci:s3cret-pw@127.0.0.1:{port}/cache", "Connection refused"),
           ("redis://:s3cret-pw@127.0.0.1:{port}/0", f"no answer within {TIMEOUT:g} s")]


@pytest.mark.parametrize(("url", "reason"), REFUSED, ids=["webdav", "redis"])
def test_connection_refused(url, reason, open_tier, warnings, build_files):
    url = url.format(port=free_port())
    tier = open_tier(url, timeout=TIMEOUT)
    started = time.monotonic()
    assert tier.fetch(KEY) is None
    assert time.monotonic() - started < TIMEOUT + MARGIN
    _one_warning(warnings, tier, reason)
    _skipped_at_once(tier)
    writer = open_tier(url, timeout=TIMEOUT)
    warnings.messages.clear()
    writer.upload(KEY, build_files, {})
    writer.flush(10)
    warning = _one_warning(warnings, writer, reason)
    assert "s3cret-pw" not in warning + tier.description + tier.stats.skipped


def test_nginx_stopped_mid_run(own_nginx, open_tier, warnings, build_files):
    url = f"{own_nginx.url}/cache"
    tier = open_tier(url, timeout=TIMEOUT)
    tier.upload(KEY, build_files, {})
    tier.flush()
    assert tier.fetch(KEY).files == build_files
    own_nginx.stop()
    assert tier.fetch(KEY) is None
    _one_warning(warnings, tier, "Connection refused")
    _skipped_at_once(tier)
    own_nginx.start()
    tier.begin_run()  # the next run tries again
    assert tier.fetch(KEY).files == build_files


def test_a_frozen_redis_costs_one_timeout(own_redis, open_tier, warnings, build_files):
    tier = open_tier(f"{own_redis.url}/0", timeout=TIMEOUT)
    tier.upload(KEY, build_files, {})
    tier.flush()
    own_redis.pause()  # accepts connections (the kernel does), never answers
    try:
        started = time.monotonic()
        assert tier.fetch(KEY) is None
        assert time.monotonic() - started < TIMEOUT + MARGIN
        _one_warning(warnings, tier, f"no answer within {TIMEOUT:g} s")
        _skipped_at_once(tier)
        fresh = open_tier(f"{own_redis.url}/0", timeout=TIMEOUT)  # a new connection: no answer either
        started = time.monotonic()
        assert fresh.fetch_many([KEY, "00000000000000aa"]) == {}
        assert time.monotonic() - started < TIMEOUT + MARGIN
    finally:
        own_redis.resume()
    tier.begin_run()
    assert tier.fetch(KEY).files == build_files


def test_redis_stopped_mid_run(own_redis, open_tier, warnings, build_files):
    tier = open_tier(f"{own_redis.url}/0", timeout=TIMEOUT)
    tier.upload(KEY, build_files, {})
    tier.flush()
    own_redis.stop()
    started = time.monotonic()
    assert tier.fetch(KEY) is None
    assert time.monotonic() - started < TIMEOUT + MARGIN
    _one_warning(warnings, tier, "download of a1b2c3d4e5f60718: ")
    own_redis.start()
    tier.begin_run()
    assert tier.fetch(KEY) is None  # a Redis without persistence forgot it: a plain miss
    assert tier.stats.misses == 1 and tier.stats.errors == 0


def test_a_password_protected_redis_with_a_wrong_password(tmp_path, open_tier, warnings):
    from tests.support.stores import RedisServer, running

    with running(RedisServer(tmp_path / "redis", password="right-password")) as server:
        tier = open_tier(f"redis://:wrong-password@127.0.0.1:{server.port}/0", timeout=TIMEOUT)
        assert tier.fetch(KEY) is None
        warning = _one_warning(warnings, tier, "download of a1b2c3d4e5f60718: ")
        assert "wrong-password" not in warning and "right-password" not in warning
        good = open_tier(f"redis://:right-password@127.0.0.1:{server.port}/0", timeout=TIMEOUT)
        good.upload(KEY, {"a.js": b"1"}, {})
        good.flush()
        assert good.fetch(KEY).files == {"a.js": b"1"}
