"""Fixtures of the remote cache tests: real stores (nginx WebDAV, redis-server, a folder) on
loopback, a fault-injecting proxy in front of nginx, tiers closed after each test, the warnings
of the ``prebundle.cache`` logger, and a package build made of real npm files.

The shared nginx and Redis serve the whole session; each test writes under a prefix of its own.
Tests that stop or freeze a server start one of their own (``own_nginx``, ``own_redis``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prebundle.remote import RemoteSettings, RemoteTier, open_remote
from tests.support.apps import NPM_MODULES
from tests.support.faulty_http import FaultyProxy
from tests.support.stores import NginxDav, RedisServer, running

STORES = ("webdav", "redis", "file")
"""The stores tested for real (S3, GCS and Azure cannot be reached from here)."""


@pytest.fixture(scope="session")
def nginx(tmp_path_factory) -> Iterator[NginxDav]:
    with running(NginxDav(tmp_path_factory.mktemp("nginx"))) as server:
        yield server


@pytest.fixture(scope="session")
def redis(tmp_path_factory) -> Iterator[RedisServer]:
    with running(RedisServer(tmp_path_factory.mktemp("redis"))) as server:
        yield server


@pytest.fixture
def own_nginx(tmp_path) -> Iterator[NginxDav]:
    """An nginx of the test's own, free to stop and restart."""
    with running(NginxDav(tmp_path / "own-nginx")) as server:
        yield server


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, free to stop, restart and freeze."""
    with running(RedisServer(tmp_path / "own-redis")) as server:
        yield server


@pytest.fixture
def prefix() -> str:
    """A folder (or key prefix) of the test's own on the shared servers."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def webdav_url(nginx: NginxDav, prefix: str) -> str:
    return f"{nginx.url}/{prefix}"


@pytest.fixture
def redis_url(redis: RedisServer, prefix: str) -> str:
    return f"{redis.url}/0?prefix={prefix}"


@pytest.fixture
def file_url(tmp_path: Path) -> str:
    return f"file://{tmp_path}/shared-folder"


@pytest.fixture(params=STORES)
def store_url(request) -> str:
    """The URL of a fresh place on each real store in turn."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def proxy(nginx: NginxDav) -> Iterator[FaultyProxy]:
    """A fault-injecting proxy in front of the shared nginx (passing through until told)."""
    with FaultyProxy(nginx.url) as faulty:
        yield faulty


@pytest.fixture
def open_tier() -> Iterator[Callable[..., RemoteTier]]:
    """``open_tier(url, **settings)``: a tier of ``RemoteSettings(url, **settings)``, begun and
    closed after the test."""
    tiers: list[RemoteTier] = []

    def open_(url: str, **settings) -> RemoteTier:
        tier = open_remote(RemoteSettings(url, **settings))
        assert tier is not None
        tier.begin_run()
        tiers.append(tier)
        return tier

    yield open_
    for tier in tiers:
        tier.close()


class Warnings(logging.Handler):
    """The warnings logged on ``prebundle.cache``, as their messages."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings() -> Iterator[Warnings]:
    handler = Warnings()
    logger = logging.getLogger("prebundle.cache")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="session")
def build_files() -> dict[str, bytes]:
    """A package build's output as the remote receives it: real bundles and a source map."""
    react_dom = NPM_MODULES / "react-dom" / "cjs"
    if not react_dom.is_dir():
        pytest.fail(f"{react_dom} is missing: run `make test` (it runs `npm ci` in fixtures/npm)")
    return {
        "react-dom_client.js": (react_dom / "react-dom-client.production.js").read_bytes(),
        "chunk-LODASH.js": (NPM_MODULES / "lodash" / "lodash.js").read_bytes(),
        "chunk-LODASH.js.map": b'{"version":3,"sources":[],"mappings":""}',
        "nested/dir/empty.js": b"",
    }


@pytest.fixture(scope="session")
def build_record() -> dict:
    return {"format": 3, "name": "react-dom", "version": "19.0.0",
            "entries": {"react-dom/client": "react-dom_client.js"}, "note": "ünïcode ✓"}
