"""Where a team keeps its shared artifacts: one URL, as written in a CI variable, turned into an
Apache OpenDAL operator.

=================================================  ============================================
``s3://bucket/prefix?region=R&endpoint=URL``       S3 and S3-compatible stores (MinIO, R2, Ceph
                                                   RGW). Credentials as the AWS tools read them:
                                                   ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
                                                   ``AWS_SESSION_TOKEN``; region from the URL,
                                                   else ``AWS_REGION``/``AWS_DEFAULT_REGION``,
                                                   else us-east-1; endpoint from the URL, else
                                                   ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``
                                                   (profiles and instance roles work too)
``gs://bucket/prefix``                             Google Cloud Storage; the service account
                                                   file of ``GOOGLE_APPLICATION_CREDENTIALS``, or
                                                   the VM's account
``azblob://container/prefix?account=NAME``         Azure Blob Storage; account, key and SAS as
                                                   the Azure CLI reads them:
                                                   ``AZURE_STORAGE_ACCOUNT``,
                                                   ``AZURE_STORAGE_KEY``,
                                                   ``AZURE_STORAGE_SAS_TOKEN`` or
                                                   ``AZURE_STORAGE_CONNECTION_STRING``; the
                                                   endpoint follows from the account
                                                   (``?endpoint=`` for Azurite)
``webdav+http://[user:pw@]host:port/path``         WebDAV (nginx with ``dav_methods PUT``,
``webdav+https://...``, ``http://...``,            with or without dav-ext's PROPFIND; Apache
``https://...``                                    mod_dav, ...); a user and password in the
                                                   URL are sent as basic auth
``redis://[[user]:password@]host:port[/db]``       Redis; keys ``<prefix>/v1/<key>``, prefix
                                                   ``prebundle`` unless ``?prefix=``
``file:///path``                                   a shared folder (an NFS mount, say)
=================================================  ============================================

Artifacts are stored flat under ``<prefix>/v1/<key>``, so a WebDAV server needs one collection.
``rediss://`` (Redis over TLS) is recognised but refused with opendal 0.47: its Redis client has
no TLS provider and panics on the first request; reach such a Redis through a TLS tunnel.
Passwords and keys never appear in ``description`` nor in any message (``Store.redact``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit

import opendal

from .settings import RemoteConfigError

__all__ = ["LAYOUT", "SCHEMES", "WRITE_IO_TIMEOUT", "Store", "artifact_path", "first_line", "parse_url"]

LAYOUT = "v1"
"""The folder of this artifact format under a store's prefix."""

WRITE_IO_TIMEOUT = 60.0
"""OpenDAL's own bound on one write of an upload (the caller's deadline is usually shorter);
it frees the worker thread of a stalled upload."""

REDIS_PREFIX = "prebundle"


@dataclass(frozen=True)
class Store:
    """An OpenDAL service and its options, as a URL describes them."""

    service: str
    """OpenDAL's name of the service (``s3``, ``webdav``, ...)."""
    options: Mapping[str, str] = field(repr=False)
    """The service's options, credentials included."""
    description: str
    """The kind of store and its URL without credentials, for messages."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Passwords, keys and tokens in ``options``, masked in anything shown (``redact``)."""
    credentials: str = ""
    """Where this kind of store takes its credentials from, for a hint when they are refused."""
    without_propfind: Mapping[str, str] | None = None
    """Options to write with when the server has no PROPFIND (WebDAV only)."""

    def operator(self, timeout: float, *, io_timeout: float | None = None,
                 extra: Mapping[str, str] | None = None) -> opendal.Operator:
        """An operator of this store (with ``extra`` options) whose requests OpenDAL gives up
        after ``timeout`` seconds (each read or write call after ``io_timeout``, default
        ``timeout``)."""
        try:
            operator = opendal.Operator(self.service, **{**self.options, **(extra or {})})
        except Exception as error:  # OpenDAL's ConfigInvalid and friends
            raise RemoteConfigError(f"remote cache {self.description}: {self.redact(first_line(error))}; "
                                    "check the URL and its credentials") from None
        return operator.layer(opendal.layers.TimeoutLayer(timeout=timeout, io_timeout=io_timeout or timeout))

    def redact(self, text: str) -> str:
        """``text`` with every secret of this store masked."""
        for secret in self.secrets:
            if len(secret) >= 3:
                text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
        return text


def artifact_path(key: str) -> str:
    """Where the artifact of ``key`` lives, relative to the store's prefix."""
    return f"{LAYOUT}/{key}"


def first_line(error: BaseException) -> str:
    """The summary line of an error (OpenDAL's messages go on with context and a backtrace)."""
    text = str(error).strip().splitlines()
    return text[0].strip() if text else type(error).__name__


def parse_url(url: str, environ: Mapping[str, str] = os.environ) -> Store:
    """The store ``url`` names, with credentials from ``environ`` where the URL has none.
    Raises ``RemoteConfigError`` for an unknown scheme, a missing bucket, an unknown option."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        raise RemoteConfigError(f"remote cache URL {_public(url)!r} is not a valid URL; write it as "
                                "scheme://host/path (see the list of schemes in the docs)") from None
    scheme = parts.scheme.lower()
    parser = SCHEMES.get(scheme)
    if parser is None:
        raise RemoteConfigError(f"remote cache URL {_public(url)!r}: unknown scheme {scheme or '(none)'!r}; use "
                                "s3://, gs://, azblob://, webdav+http(s)://, http(s)://, redis:// or file://")
    return parser(parts, environ)


def _public(url: str) -> str:
    """``url`` without user, password nor query, for messages about it."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.split("@")[-1].split("?")[0]
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else url.split("@")[-1].split("?")[0]


def _options(parts: SplitResult, allowed: tuple[str, ...]) -> dict[str, str]:
    """The URL's query options, each at most once and each known."""
    query = parse_qs(parts.query, keep_blank_values=True)
    for name, values in query.items():
        if name not in allowed:
            known = ", ".join(allowed) if allowed else "none"
            raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r}: unknown option {name!r} "
                                    f"(options of {parts.scheme}://: {known})")
        if len(values) > 1:
            raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r}: option {name!r} given twice")
    return {name: values[0] for name, values in query.items()}


def _no_credentials(parts: SplitResult, where: str) -> None:
    if parts.username is not None or parts.password is not None:
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r}: credentials do not go in "
                                f"{parts.scheme}:// URLs; set {where}")


def _bucket_and_prefix(parts: SplitResult, what: str) -> tuple[str, str]:
    bucket = parts.hostname or ""
    if not bucket:
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r} names no {what}; write "
                                f"{parts.scheme}://{what}/prefix")
    return parts.netloc.rsplit("@", 1)[-1], "/" + parts.path.strip("/")


def _s3(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    _no_credentials(parts, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    bucket, prefix = _bucket_and_prefix(parts, "bucket")
    query = _options(parts, ("region", "endpoint"))
    region = query.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = query.get("endpoint") or environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or ""
    options = {"bucket": bucket, "root": prefix, "region": region}
    if endpoint:
        options["endpoint"] = endpoint
    secrets = []
    for option, variable in (("access_key_id", "AWS_ACCESS_KEY_ID"), ("secret_access_key", "AWS_SECRET_ACCESS_KEY"),
                             ("session_token", "AWS_SESSION_TOKEN")):
        if environ.get(variable):
            options[option] = environ[variable]
            if option != "access_key_id":
                secrets.append(environ[variable])
    at = f" at {_public(endpoint)}" if endpoint else ""
    return Store("s3", options, f"s3 s3://{bucket}{prefix.rstrip('/')}{at}", tuple(secrets),
                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")


def _gcs(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    _no_credentials(parts, "GOOGLE_APPLICATION_CREDENTIALS to a service account file")
    bucket, prefix = _bucket_and_prefix(parts, "bucket")
    query = _options(parts, ("endpoint",))
    options = {"bucket": bucket, "root": prefix}
    if query.get("endpoint"):
        options["endpoint"] = query["endpoint"]
    if environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        options["credential_path"] = environ["GOOGLE_APPLICATION_CREDENTIALS"]
    return Store("gcs", options, f"gcs gs://{bucket}{prefix.rstrip('/')}",
                 credentials="GOOGLE_APPLICATION_CREDENTIALS")


def _azblob(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    _no_credentials(parts, "AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING")
    container, prefix = _bucket_and_prefix(parts, "container")
    query = _options(parts, ("account", "endpoint"))
    connection = _connection_string(environ.get("AZURE_STORAGE_CONNECTION_STRING", ""))
    account = query.get("account") or environ.get("AZURE_STORAGE_ACCOUNT") or connection.get("accountname", "")
    if not account:
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r} names no storage account; add "
                                "?account=NAME or set AZURE_STORAGE_ACCOUNT")
    key = environ.get("AZURE_STORAGE_KEY") or connection.get("accountkey", "")
    sas = environ.get("AZURE_STORAGE_SAS_TOKEN") or connection.get("sharedaccesssignature", "")
    suffix = connection.get("endpointsuffix", "core.windows.net")
    endpoint = (query.get("endpoint") or connection.get("blobendpoint")
                or f"{connection.get('defaultendpointsprotocol', 'https')}://{account}.blob.{suffix}")
    options = {"container": container, "root": prefix, "account_name": account, "endpoint": endpoint}
    if key:
        options["account_key"] = key
    if sas:
        options["sas_token"] = sas.lstrip("?")
    secrets = tuple(s for s in (key, sas, sas.lstrip("?"), environ.get("AZURE_STORAGE_CONNECTION_STRING", "")) if s)
    return Store("azblob", options, f"azblob azblob://{container}{prefix.rstrip('/')} (account {account})", secrets,
                 "AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING")


def _connection_string(text: str) -> dict[str, str]:
    """The fields of an Azure storage connection string (``Name=value;...``), names lowercased."""
    fields = {}
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name.strip():
            fields[name.strip().lower()] = value.strip()
    return fields


def _webdav(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    _options(parts, ())
    scheme = "https" if parts.scheme.lower().endswith("https") else "http"
    if not parts.hostname:
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r} names no host; write "
                                f"{parts.scheme}://host:port/path")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    endpoint = f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    root = "/" + unquote(parts.path).strip("/")
    options = {"endpoint": endpoint, "root": root}
    secrets: tuple[str, ...] = ()
    if parts.username is not None or parts.password is not None:
        options["username"] = unquote(parts.username or "")
        options["password"] = unquote(parts.password or "")
        secrets = tuple(s for s in (options["password"], parts.password) if s)
    return Store("webdav", options, f"webdav {endpoint}{root.rstrip('/')}", secrets, "the user and password in the URL",
                 without_propfind={"disable_create_dir": "true"})


def _redis(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    if parts.scheme.lower() == "rediss" and opendal.__version__.startswith("0.47."):
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r}: Redis over TLS does not work with "
                                f"opendal {opendal.__version__} (its Redis client has no TLS provider); use "
                                "redis:// through a TLS tunnel (stunnel, a private network) or another store")
    query = _options(parts, ("prefix",))
    if not parts.hostname:
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r} names no host; write "
                                "redis://host:6379/0")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r}: the path is the database number, "
                                f"not {db!r}; write redis://host:6379/0 (and ?prefix=NAME for a key prefix)")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    address = f"{host}:{parts.port or 6379}"
    tcp = "rediss" if parts.scheme.lower() == "rediss" else "tcp"
    prefix = "/" + query.get("prefix", REDIS_PREFIX).strip("/")
    options = {"endpoint": f"{tcp}://{address}", "db": db, "root": prefix}
    secrets: tuple[str, ...] = ()
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password is not None:
        options["password"] = unquote(parts.password)
        secrets = tuple(s for s in (options["password"], parts.password) if s)
    return Store("redis", options, f"redis {parts.scheme.lower()}://{address}/{db}{prefix.rstrip('/')}", secrets,
                 "the user and password in the URL")


def _fs(parts: SplitResult, environ: Mapping[str, str]) -> Store:
    _no_credentials(parts, "the folder's permissions instead")
    _options(parts, ())
    if parts.hostname not in (None, "", "localhost") or not parts.path.startswith("/"):
        raise RemoteConfigError(f"remote cache URL {_public(parts.geturl())!r} is no local folder; write "
                                "file:///absolute/path (three slashes)")
    root = "/" + unquote(parts.path).strip("/")
    # Written into a temp folder inside the root and renamed into place: a reader never sees
    # half a file, and concurrent writers of one key each rename a complete one.
    options = {"root": root, "atomic_write_dir": f"{root.rstrip('/')}/.tmp"}
    return Store("fs", options, f"file {root}")


SCHEMES: dict[str, Callable[[SplitResult, Mapping[str, str]], Store]] = {
    "s3": _s3,
    "gs": _gcs,
    "gcs": _gcs,
    "azblob": _azblob,
    "webdav+http": _webdav,
    "webdav+https": _webdav,
    "http": _webdav,
    "https": _webdav,
    "redis": _redis,
    "rediss": _redis,
    "file": _fs,
}
"""URL schemes and the function that reads each."""
