"""The remote tier behind the machine-wide cache: read-through (a local miss asks it) and
write-behind (a new build is uploaded on a background thread, never delaying the run).

A remote is an optimisation, so nothing it does may fail or stall a run. Every request runs on
a thread of its own and is waited for at most ``timeout`` seconds; OpenDAL's own timeout frees
that thread later if the server never answers. The first failure of a run (no answer, refused,
an HTTP error, a damaged or wrongly signed artifact) is said once on the ``prebundle.cache``
logger, and the remote is skipped for the rest of the run: later calls return at once without
touching the network. A key the remote does not have is a miss, not a failure.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar

import opendal

from .artifact import Artifact, ArtifactError, OpenedArtifact, SignatureMismatch, open_artifact, pack
from .settings import RemoteSettings
from .stores import WRITE_IO_TIMEOUT, Store, artifact_path, first_line, parse_url

__all__ = ["RemoteStats", "RemoteTier", "open_remote"]

log = logging.getLogger("prebundle.cache")

FETCH_THREADS = 8
"""Requests ``fetch_many`` keeps in flight."""
UPLOAD_THREADS = 2
"""Uploads sent at once: enough to hide a round trip, few enough to leave the CPU to esbuild."""
UPLOAD_BYTES_PER_SECOND = 1_000_000
"""An upload may take ``timeout`` plus one second per this many bytes: a slow uplink is no
failure, a stalled one is."""

_NO_PROPFIND = (405, 501)
"""Statuses of a WebDAV server that does not know PROPFIND."""
_KEY = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}")
T = TypeVar("T")


@dataclass
class RemoteStats:
    """What the remote did since the run began."""

    hits: int = 0
    """Artifacts downloaded and verified."""
    misses: int = 0
    """Keys the remote does not have."""
    bytes_down: int = 0
    """Bytes downloaded (compressed, as stored)."""
    uploads: int = 0
    """Artifacts sent (keys the remote already had are not sent again)."""
    bytes_up: int = 0
    errors: int = 0
    """Failed requests and refused artifacts."""
    skipped: str | None = None
    """Why the remote is skipped for the rest of the run, if it is."""


def open_remote(settings: RemoteSettings) -> RemoteTier | None:
    """The remote tier of ``settings``; None when no URL is set. Raises ``RemoteConfigError``
    for a URL that cannot work."""
    if not settings.url:
        return None
    return RemoteTier(parse_url(settings.url), settings)


class _Missing(Exception):
    """The remote has no artifact under that key."""


class _Failure(Exception):
    """A request that failed; the message is the reason, in a few words."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        """The HTTP status of the answer, when there was one."""


class RemoteTier:
    """One store, shared by the runs of a process (the daemon makes many): ``begin_run``
    forgets the previous run's counts and failure."""

    def __init__(self, store: Store, settings: RemoteSettings) -> None:
        self.description = store.description
        """The store and its URL without credentials, for messages."""
        self.stats = RemoteStats()
        self._store = store
        self._settings = settings
        self._reader = store.operator(settings.timeout)
        self._writer = None if settings.read_only else self._open_writer()
        self._checks_presence = True
        """False once the server answered that it cannot tell (a WebDAV server without PROPFIND)."""
        self._rejected: set[str] = set()
        """Keys whose stored artifact did not verify: the next upload writes over them."""
        self._writes_skipped = False
        """Uploads are off for the rest of the run (the remote failed, not just one artifact)."""
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._run = 0
        self._offered: set[str] = set()
        """Keys queued or sent by this process: each is uploaded once."""
        self._uploads: queue.SimpleQueue[tuple[str, dict, dict] | None] = queue.SimpleQueue()
        self._pending = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def read_only(self) -> bool:
        """Whether this tier never writes (``PREBUNDLE_REMOTE_CACHE_MODE=read-only``)."""
        return self._writer is None

    def begin_run(self) -> None:
        """A new run: fresh counts, and the remote is tried again if the last run skipped it."""
        with self._lock:
            self._run += 1
            self.stats = RemoteStats()
            self._writes_skipped = False

    def fetch(self, key: str) -> Artifact | None:
        """The verified artifact of ``key``; None on a miss, and on any failure (which skips the
        remote for the rest of the run). Waits at most ``timeout`` for the remote."""
        return self._fetch(key, read=True)

    def fetch_opened(self, key: str) -> OpenedArtifact | None:
        """``fetch``, with the files left to be read part by part (``OpenedArtifact``): a large
        artifact's frames are decompressed by whoever writes their files. Damage in a frame
        shows only then."""
        return self._fetch(key, read=False)

    def _fetch(self, key: str, *, read: bool) -> Any:
        _check_key(key)
        run = self._run
        if self.stats.skipped is not None:
            return None
        try:
            blob = self._within(self._settings.timeout, self._reader.read, artifact_path(key))
        except _Missing:
            self._count(run, misses=1)
            return None
        except _Failure as failure:
            self._fail(run, f"download of {key[:16]}: {failure}")
            return None
        try:
            artifact = self._unpack(key, blob) if read else self._open(key, blob)
        except ArtifactError as error:
            self._reject(run, key, error)
            return None
        self._count(run, hits=1, bytes_down=len(blob))
        return artifact

    def fetch_many(self, keys: list[str]) -> dict[str, Artifact]:
        """``fetch`` of each key, ``FETCH_THREADS`` at a time: the artifacts found, by key. A
        failure or ``timeout`` seconds without any answer ends it (and skips the remote)."""
        keys = list(dict.fromkeys(keys))
        for key in keys:
            _check_key(key)
        run = self._run
        if not keys or self.stats.skipped is not None:
            return {}
        todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for key in keys:
            todo.put(key)
        answers: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        stop = threading.Event()

        def work() -> None:  # reads and verifies (decompression and SHA-256 run beside other threads)
            while not stop.is_set():
                try:
                    key = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    blob = self._read(key)
                    answers.put((key, (self._unpack(key, blob), len(blob))))
                except (_Missing, _Failure, ArtifactError) as outcome:
                    answers.put((key, outcome))

        for _ in range(min(FETCH_THREADS, len(keys))):
            threading.Thread(target=work, name="prebundle-remote-fetch", daemon=True).start()
        found: dict[str, Artifact] = {}
        try:
            for _ in keys:
                try:
                    key, answer = answers.get(timeout=self._settings.timeout)
                except queue.Empty:
                    self._fail(run, f"downloads: {_no_answer(self._settings.timeout)}")
                    break
                if isinstance(answer, _Missing):
                    self._count(run, misses=1)
                elif isinstance(answer, _Failure):
                    self._fail(run, f"download of {key[:16]}: {answer}")
                    break
                elif isinstance(answer, ArtifactError):
                    self._reject(run, key, answer)
                    break
                else:
                    found[key], size = answer
                    self._count(run, hits=1, bytes_down=size)
        finally:
            stop.set()
        return found

    def upload(self, key: str, files: Mapping[str, bytes | Path], record: Mapping) -> bool:
        """Queue the build of ``key`` (file contents, or paths to read them from when it is
        sent) for upload on a background thread; returns at once and never raises for the
        remote's sake. Nothing happens when read-only, skipped, closed, or already offered.
        Whether it was queued."""
        _check_key(key)
        if self._writer is None:
            return False
        with self._lock:
            if self._closed or self._writes_skipped or key in self._offered:
                return False
            self._offered.add(key)
            self._pending += 1
            if not self._threads:
                self._threads = [threading.Thread(target=self._send_queued, name="prebundle-remote-upload",
                                                  daemon=True) for _ in range(UPLOAD_THREADS)]
                for thread in self._threads:
                    thread.start()
        self._uploads.put((key, dict(files), dict(record)))
        return True

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the queued uploads are sent (or given up), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.debug("remote cache %s: %d upload(s) still queued after %g s; leaving them",
                              self.description, self._pending, timeout)
                    return
                self._idle.wait(left)

    def close(self) -> None:
        """Stop the uploader: what is still queued is dropped (``flush`` first to wait for
        it). Returns at once; later calls are no-ops."""
        with self._idle:
            if self._closed:
                return
            self._closed = True
            self._idle.notify_all()
        for _ in self._threads:
            self._uploads.put(None)

    # requests

    def _within(self, seconds: float, operation: Callable[..., T], *args: Any) -> T:
        """``operation(*args)`` on a thread of its own, waited for at most ``seconds``. Raises
        ``_Missing`` for a key the store lacks and ``_Failure`` for anything else that went wrong."""
        outcome: list[Any] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append(operation(*args))
            except BaseException as error:  # handed to the waiting thread
                outcome.append(error)
            finally:
                done.set()

        threading.Thread(target=run, name="prebundle-remote-request", daemon=True).start()
        if not done.wait(seconds):
            raise _Failure(_no_answer(seconds))
        (result,) = outcome
        if isinstance(result, BaseException):
            raise self._translate(result)
        return result

    def _read(self, key: str) -> bytes:
        """The stored blob of ``key``, on the calling thread (OpenDAL's timeout bounds it)."""
        try:
            return self._reader.read(artifact_path(key))
        except Exception as error:
            raise self._translate(error) from None

    def _translate(self, error: BaseException) -> Exception:
        if isinstance(error, opendal.exceptions.NotFound):
            return _Missing()
        if not isinstance(error, Exception):
            return _Failure(type(error).__name__)
        found = re.search(r"status: (\d{3})\b", str(error))  # OpenDAL's context of an HTTP answer
        status = int(found.group(1)) if found else None
        reason = _reason(error, status, self._settings.timeout)
        if self._store.credentials and re.search(r"credential|HTTP 40[13]|NOAUTH|WRONGPASS|auth", reason, re.I):
            reason += f"; check {self._store.credentials}"
        return _Failure(self._store.redact(reason), status)

    def _unpack(self, key: str, blob: bytes) -> Artifact:
        return self._open(key, blob).read()

    def _open(self, key: str, blob: bytes) -> OpenedArtifact:
        settings = self._settings
        return open_artifact(key, blob, settings.signing_key, require_signature=settings.require_signature)

    # uploads

    def _send_queued(self) -> None:
        while True:
            item = self._uploads.get()
            if item is None:
                return
            try:
                if not self._closed:
                    self._send(*item)
            except Exception as error:  # a bug here must not kill the uploader
                log.debug("remote cache %s: upload of %s failed: %r", self.description, item[0], error)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _send(self, key: str, files: dict[str, bytes | Path], record: dict) -> None:
        run = self._run
        if self._writes_skipped or self._writer is None:
            self._offered.discard(key)  # offered again next run
            return
        path = artifact_path(key)
        try:
            if key not in self._rejected and self._present(path):
                return
            try:
                blob = pack(key, files, record, self._settings.signing_key)
            except (OSError, ValueError, TypeError) as error:  # the local build changed, or a bug
                log.debug("remote cache %s: not uploading %s: %s", self.description, key, error)
                return
            self._write(path, blob)
            with self._lock:
                self._rejected.discard(key)
        except (_Missing, _Failure) as failure:
            self._offered.discard(key)  # offered again next run
            self._fail(run, f"upload of {key[:16]}: {failure}")
            return
        self._count(run, uploads=1, bytes_up=len(blob))

    def _write(self, path: str, blob: bytes) -> None:
        deadline = self._settings.timeout + len(blob) / UPLOAD_BYTES_PER_SECOND
        try:
            self._within(deadline, self._writer.write, path, blob)
        except _Failure as failure:
            if failure.status not in _NO_PROPFIND or self._store.without_propfind is None:
                raise
            # A WebDAV server without PROPFIND (nginx's own DAV module): OpenDAL cannot check
            # the parent folder, so write directly (such servers create it on PUT).
            self._writer = self._open_writer(self._store.without_propfind)
            self._checks_presence = False
            self._within(deadline, self._writer.write, path, blob)

    def _present(self, path: str) -> bool:
        """Whether the remote has ``path`` already; False when it cannot say."""
        if not self._checks_presence:
            return False
        try:
            return self._within(self._settings.timeout, self._writer.exists, path)
        except _Missing:
            return False
        except _Failure as failure:
            if failure.status not in _NO_PROPFIND:
                raise
            self._checks_presence = False
            return False

    def _open_writer(self, extra: Mapping[str, str] | None = None) -> opendal.Operator:
        timeout = self._settings.timeout
        return self._store.operator(timeout, io_timeout=max(timeout, WRITE_IO_TIMEOUT), extra=extra)

    # bookkeeping

    def _count(self, run: int, **counts: int) -> None:
        with self._lock:
            if run == self._run:
                for name, count in counts.items():
                    setattr(self.stats, name, getattr(self.stats, name) + count)

    def _reject(self, run: int, key: str, error: ArtifactError) -> None:
        """An artifact that does not verify: the remote is skipped for reads for the rest of the
        run. A damaged (or, where signatures are required, unsigned) one is written over by the
        next upload of a build of its key, so it never poisons the key for good; one signed
        with a key this machine does not hold is left alone (this machine may be the stale one)."""
        with self._lock:
            if not isinstance(error, SignatureMismatch):
                self._rejected.add(key)
                self._offered.discard(key)
        self._fail(run, f"artifact {key[:16]}: {error}", writes_too=False)

    def _fail(self, run: int, reason: str, *, writes_too: bool = True) -> None:
        """Count a failure; the first of the run is said once and skips the remote."""
        with self._lock:
            if run != self._run:
                return  # a request of a finished run
            self.stats.errors += 1
            if self.stats.skipped is not None:
                self._writes_skipped = self._writes_skipped or writes_too
                return
            self.stats.skipped = reason
            self._writes_skipped = writes_too
        log.warning("warning: remote cache %s: %s; skipping it for the rest of this run", self.description, reason)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"not a cache key: {key!r}")


def _reason(error: Exception, status: int | None, timeout: float) -> str:
    """A few words of an OpenDAL error: the HTTP status, the system's error, or its summary."""
    if status is not None:
        try:
            return f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            return f"HTTP {status}"
    summary = first_line(error).split("=>", 1)[-1].strip()
    if "timeout reached" in summary:
        return _no_answer(timeout)
    source = re.search(r"\nSource:\s*\n\s*(.+)", str(error))
    if source:
        cause = source.group(1).strip().rsplit(": ", 1)[-1]
        return f"{summary} ({cause})"[:200] if cause and cause not in summary else summary[:200]
    return summary[:200] or type(error).__name__


def _no_answer(seconds: float) -> str:
    return f"no answer within {round(seconds, 1):g} s"
