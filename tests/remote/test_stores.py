"""Remote cache URLs of every scheme: what OpenDAL is given (credentials from the environment
as the vendors' tools read them), what messages show (never a secret), and OpenDAL's real
builders accepting it. S3, GCS and Azure cannot be reached from here: their requests fail fast
and skip the remote with one warning."""

from __future__ import annotations

import time

import pytest

from prebundle.remote import RemoteConfigError, RemoteSettings, open_remote
from prebundle.remote.stores import parse_url
from tests.support.servers import free_port

AWS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
       "AWS_SESSION_TOKEN": "aws-session-token-value"}
AZURE_KEY = "YXp1cmUta2V5LXZhbHVl"

# url, environment, OpenDAL service, description, options expected among those given to OpenDAL
URLS = [
    ("s3://team-cache/prebundle?region=eu-west-1", AWS, "s3", "s3 s3://team-cache/prebundle",
     {"bucket": "team-cache", "root": "/prebundle", "region": "eu-west-1", "access_key_id": "AKIAEXAMPLE",
      "secret_access_key": "aws-secret-value", "session_token": "aws-session-token-value"}),
    ("s3://team-cache", {"AWS_REGION": "us-west-2"}, "s3", "s3 s3://team-cache",
     {"bucket": "team-cache", "root": "/", "region": "us-west-2"}),
    ("s3://cache/p?endpoint=http://minio.internal:9000", {}, "s3", "s3 s3://cache/p at http://minio.internal:9000",
     {"endpoint": "http://minio.internal:9000", "region": "us-east-1"}),
    ("s3://cache/p", {"AWS_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com", "AWS_DEFAULT_REGION": "auto"},
     "s3", "s3 s3://cache/p at https://acct.r2.cloudflarestorage.com",
     {"endpoint": "https://acct.r2.cloudflarestorage.com", "region": "auto"}),
    ("gs://team-cache/ci/prebundle", {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/sa.json"}, "gcs",
     "gcs gs://team-cache/ci/prebundle", {"bucket": "team-cache", "root": "/ci/prebundle",
                                           "credential_path": "/secrets/sa.json"}),
    ("azblob://cache/prebundle?account=teamstore", {"AZURE_STORAGE_KEY": AZURE_KEY}, "azblob",
     "azblob azblob://cache/prebundle (account teamstore)",
     {"container": "cache", "account_name": "teamstore", "account_key": AZURE_KEY,
      "endpoint": "https://teamstore.blob.core.windows.net"}),
    ("azblob://cache", {"AZURE_STORAGE_CONNECTION_STRING": f"DefaultEndpointsProtocol=https;AccountName=fromcs;"
                                                           f"AccountKey={AZURE_KEY};EndpointSuffix=core.chinacloudapi.cn"},
     "azblob", "azblob azblob://cache (account fromcs)",
     {"account_name": "fromcs", "account_key": AZURE_KEY, "endpoint": "https://fromcs.blob.core.chinacloudapi.cn"}),
    ("azblob://cache?account=dev&endpoint=http://127.0.0.1:10000/dev", {"AZURE_STORAGE_SAS_TOKEN": "?sv=2022&sig=abc"},
     "azblob", "azblob azblob://cache (account dev)", {"endpoint": "http://127.0.0.1:10000/dev",
                                                       "sas_token": "sv=2022&sig=abc"}),
    ("webdav+http://dav.internal:8080/cache/prebundle", {}, "webdav", "webdav http://dav.internal:8080/cache/prebundle",
     {"endpoint": "http://dav.internal:8080", "root": "/cache/prebundle"}),
    ("webdav+https://ci:p%40ss%3Aword@dav.example/c", {}, "webdav", "webdav https://dav.example/c",
     {"endpoint": "https://dav.example", "username": "ci", "password": "p@ss:word"}),
    ("http://127.0.0.1:8080", {}, "webdav", "webdav http://127.0.0.1:8080", {"root": "/"}),
    ("https://user:pw@[::1]:8443/cache", {}, "webdav", "webdav https://[::1]:8443/cache",
     {"endpoint": "https://[::1]:8443", "username": "user", "password": "pw"}),
    ("redis://cache.internal", {}, "redis", "redis redis://cache.internal:6379/0/prebundle",
     {"endpoint": "tcp://cache.internal:6379", "db": "0", "root": "/prebundle"}),
    ("redis://:redis-pass@10.0.0.5:6380/3?prefix=team/ci", {}, "redis", "redis redis://10.0.0.5:6380/3/team/ci",
     {"endpoint": "tcp://10.0.0.5:6380", "db": "3", "password": "redis-pass", "root": "/team/ci"}),
    ("redis://ci-user:redis-pass@cache:6379", {}, "redis", "redis redis://cache:6379/0/prebundle",
     {"username": "ci-user", "password": "redis-pass"}),
    ("file:///mnt/nfs/prebundle-cache", {}, "fs", "file /mnt/nfs/prebundle-cache",
     {"root": "/mnt/nfs/prebundle-cache", "atomic_write_dir": "/mnt/nfs/prebundle-cache/.tmp"}),
]
SECRETS = ("aws-secret-value", "aws-session-token-value", AZURE_KEY, "p@ss:word", "p%40ss%3Aword", "redis-pass",
           "sig=abc")


@pytest.mark.parametrize(("url", "environ", "service", "description", "options"), URLS, ids=[u[0] for u in URLS])
def test_urls(url, environ, service, description, options):
    store = parse_url(url, environ)
    assert (store.service, store.description) == (service, description)
    assert {name: store.options.get(name) for name in options} == options
    assert not any(secret in store.description or secret in repr(store) for secret in SECRETS)
    store.operator(1.0)  # OpenDAL's own builder takes it


BAD_URLS = [
    ("ftp://host/cache", {}, "unknown scheme 'ftp'"),
    ("/just/a/path", {}, "unknown scheme '(none)'"),
    ("s3:///prefix", {}, "names no bucket"),
    ("s3://bucket/p?regoin=eu", {}, "unknown option 'regoin'"),
    ("s3://AKIA:aws-secret-value@bucket/p", {}, "credentials do not go in s3:// URLs"),
    ("gs://", {}, "names no bucket"),
    ("azblob://cache", {}, "names no storage account"),
    ("http://host:port/x", {}, "not a valid URL"),
    ("http://user:redis-pass@host:99999/x", {}, "not a valid URL"),
    ("webdav+http:///cache", {}, "names no host"),
    ("http://host/cache?user=me", {}, "unknown option 'user'"),
    ("redis://:redis-pass@cache:6379/prebundle", {}, "the path is the database number"),
    ("redis://cache/0?prefix=a&prefix=b", {}, "given twice"),
    ("rediss://:redis-pass@cache:6380/0", {}, "Redis over TLS does not work"),
    ("file://server/share", {}, "no local folder"),
]


@pytest.mark.parametrize(("url", "environ", "expected"), BAD_URLS, ids=[u[0] for u in BAD_URLS])
def test_bad_urls(url, environ, expected):
    with pytest.raises(RemoteConfigError) as raised:
        parse_url(url, environ)
    message = str(raised.value)
    assert expected in message and "\n" not in message
    assert not any(secret in message for secret in SECRETS)


def test_no_url_no_remote():
    assert open_remote(RemoteSettings("")) is None


def _clear_cloud_environment(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "GOOGLE_APPLICATION_CREDENTIALS",
                 "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING",
                 "AZURE_STORAGE_SAS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("url", [
    "s3://team-cache/prebundle?endpoint=http://127.0.0.1:{port}",
    "azblob://cache/prebundle?account=teamstore&endpoint=http://127.0.0.1:{port}/teamstore",
    "gs://team-cache/prebundle?endpoint=http://127.0.0.1:{port}",
])
def test_unreachable_cloud_stores_are_skipped_fast(url, monkeypatch, warnings):
    _clear_cloud_environment(monkeypatch)
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURE_KEY)
    tier = open_remote(RemoteSettings(url.format(port=free_port()), timeout=1.0))
    tier.begin_run()
    started = time.monotonic()
    assert tier.fetch("0123abcd") is None
    assert time.monotonic() - started < 1.5
    assert tier.fetch_many(["0123abcd", "4567ef01"]) == {}
    tier.upload("0123abcd", {"a.js": b"1"}, {})
    tier.flush(5)
    (warning,) = warnings.messages
    assert warning.startswith(f"warning: remote cache {tier.description}: download of 0123abcd: ")
    assert warning.endswith("; skipping it for the rest of this run")
    assert "Connection refused" in warning or "signing" in warning  # GCS without credentials cannot sign
    assert not any(secret in warning for secret in SECRETS)
    assert tier.stats.skipped and tier.stats.uploads == 0
    tier.close()
