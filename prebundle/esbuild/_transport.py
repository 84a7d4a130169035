"""The ``esbuild --service`` process and its packet transport (one ``Connection`` each).

Threads, and why each exists:

- the **reader** decodes stdout, completes Futures, answers ``ping`` and hands every request
  from the service to the callback pool. It never runs user code and never blocks on a write:
  if it did, Go blocked writing stdout and Python blocked writing stdin would wait forever;
- the **writer** sends the few packets the reader produces; every other thread writes
  directly under ``_write_lock`` (one guarded write path, cheaper than a queue per packet);
- the **stderr** thread keeps the last few KB of the service's log (for ``ServiceStopped``)
  and passes it through when log output is wanted;
- the **callback pool** runs plugin callbacks, so that a callback may call ``build.resolve()``
  (which needs the reader free) and so that callbacks overlap as esbuild parses in parallel.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from ._codec import MAX_ID, decode_packet, encode_packet
from ._errors import ProtocolError, ServiceError, ServiceStopped

__all__ = ["Connection", "RequestHandler"]

_STDERR_TAIL = 8192
"""How much of the service's stderr is kept for error messages."""
_PIPE_BYTES = 1 << 20
"""The size asked for the pipe the service writes to (Linux's default for unprivileged users'
``pipe-max-size``): a build's answer carries its output, megabytes at a time, and with the
default 64 KB pipe Go blocks every 64 KB until the reader, which needs the GIL, drains it."""
_HARMLESS = {"on-start": {"errors": [], "warnings": []}, "on-end": {"errors": [], "warnings": []}}


def _widen_pipe(fd: int) -> None:
    """Ask for a larger pipe buffer where the system has that knob (Linux); without it, or
    refused, the pipe keeps its size and only reads smaller pieces."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


class RequestHandler(Protocol):
    """What serves the service's requests for one build key (see ``_plugins.BuildSession``)."""

    def handle(self, command: str, request: dict) -> dict: ...


class _StderrTail(threading.Thread):
    """Reads the service's stderr: keeps a tail, optionally passes it on."""

    def __init__(self, fd: int, sink: Any) -> None:
        super().__init__(name="esbuild-stderr", daemon=True)
        self._fd = fd
        self._sink = sink
        self._tail = bytearray()

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self._tail += chunk
            del self._tail[:-_STDERR_TAIL]
            self._pass_through(chunk)

    def _pass_through(self, chunk: bytes) -> None:
        sink = sys.stderr if self._sink is None else self._sink
        if sink is False:
            return
        try:
            if hasattr(sink, "buffer"):
                sink.flush()
                sink.buffer.write(chunk)
                sink.buffer.flush()
            elif isinstance(getattr(sink, "mode", "w"), str) and "b" in getattr(sink, "mode", ""):
                sink.write(chunk)
            else:
                sink.write(chunk.decode("utf-8", "replace"))
                sink.flush()
        except (OSError, ValueError, AttributeError, TypeError):
            pass

    def text(self) -> str:
        return bytes(self._tail).decode("utf-8", "replace")


class Connection:
    """One running service process: requests out, responses and callback requests in."""

    def __init__(self, binary: str, version: str, *, cwd: str | None = None,
                 stderr: Any = None, max_callback_workers: int = 64,
                 env: Mapping[str, str] | None = None) -> None:
        self.binary = binary
        self.version = version
        self.proc = subprocess.Popen(
            [binary, f"--service={version}", "--ping"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            bufsize=0, cwd=cwd, env={**os.environ, **env} if env else None,
        )
        self.handlers: dict[int, RequestHandler] = {}
        """Request handlers by build key; a key is registered while its build or context lives."""
        self.contexts: dict[int, Any] = {}
        """Live contexts by key, disposed before the process is closed."""
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: dict[int, Future] = {}
        self._next_id = 0
        self._next_key = 0
        self._stopped: ServiceStopped | None = None
        self._stdin_fd = self.proc.stdin.fileno()
        _widen_pipe(self.proc.stdout.fileno())
        self._stderr = _StderrTail(self.proc.stderr.fileno(), stderr)
        self._stderr.start()
        self._handshake()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._pool = ThreadPoolExecutor(max_callback_workers, thread_name_prefix="esbuild-callback")
        self._writer = threading.Thread(target=self._write_loop, name="esbuild-writer", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="esbuild-reader", daemon=True)
        self._writer.start()
        self._reader.start()

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self._stopped is None

    def _read_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = os.read(self.proc.stdout.fileno(), size - len(data))
            if not chunk:
                raise self._stopped_error("The service failed to start")
            data += chunk
        return data

    def _handshake(self) -> None:
        """The first stdout bytes are the binary's version, length-prefixed, not a packet."""
        try:
            size = int.from_bytes(self._read_exact(4), "little")
            got = self._read_exact(size).decode("ascii", "replace")
        except ServiceStopped:
            self._close_pipes()
            raise
        if got != self.version:
            self.proc.kill()
            self._close_pipes()
            raise ProtocolError(f"esbuild service reports version {got!r}, expected {self.version!r}")

    def _stopped_error(self, reason: str) -> ServiceStopped:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr.join(timeout=1)
        return ServiceStopped(reason, code, self._stderr.text())

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self, timeout: float = 2.0) -> None:
        """Dispose live contexts, close stdin, wait for the exit, then kill."""
        for ctx in list(self.contexts.values()):
            try:
                ctx.dispose(timeout)
            except Exception:  # noqa: BLE001 - closing must go on whatever a context does
                pass
        with self._write_lock:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=timeout)
        self._fail_all(ServiceStopped("The service was closed"))
        self._outbox.put(None)
        self._pool.shutdown(wait=False)

    def kill(self) -> None:
        """Kill the process at once (the next call on the owning ``Service`` starts a new one)."""
        self.proc.kill()

    def forget(self) -> None:
        """In a forked child: drop our copies of the pipes without touching the process."""
        self._stopped = ServiceStopped("The service belongs to the parent process")
        self._close_pipes()

    # --- sending ----------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(self._stdin_fd, view):]
            except (OSError, ValueError) as exc:
                raise self._stopped or ServiceStopped(f"The service is no longer running ({exc})")

    def _write_loop(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._write(data)
            except ServiceStopped:
                pass

    def new_key(self) -> int:
        with self._lock:
            key = self._next_key
            self._next_key += 1
            return key

    def send(self, request: dict) -> Future:
        """Send a request; the Future gets the response, or ``ServiceError``/``ServiceStopped``."""
        future: Future = Future()
        with self._lock:
            if self._stopped is not None:
                raise ServiceStopped("The service is no longer running", self._stopped.returncode,
                                     self._stopped.stderr)
            request_id = self._next_id
            self._next_id = (self._next_id + 1) & MAX_ID
            self._pending[request_id] = future
        packet = encode_packet(request_id, True, request)
        try:
            self._write(packet)
        except ServiceStopped:
            with self._lock:
                self._pending.pop(request_id, None)
            raise
        return future

    def call(self, request: dict, timeout: float | None = None) -> dict:
        """``send`` and wait. Refused on the reader thread, which would wait for itself."""
        if threading.current_thread() is self._reader:
            raise RuntimeError("esbuild calls cannot be made from the service's reader thread")
        return self.send(request).result(timeout)

    # --- receiving --------------------------------------------------------------------------

    def _read_loop(self) -> None:
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        try:
            while chunk := os.read(fd, 1 << 20):
                buf += chunk
                offset = 0
                while len(buf) - offset >= 4:
                    size = int.from_bytes(buf[offset:offset + 4], "little")
                    if len(buf) - offset - 4 < size:
                        break
                    # one copy out of ``buf`` (a slice of a bytearray would be a second), through
                    # a view released at once: a view pinning ``buf`` would stop the trim below
                    with memoryview(buf) as view:
                        body = bytes(view[offset + 4:offset + 4 + size])
                    self._dispatch(body)
                    offset += 4 + size
                del buf[:offset]
        except Exception as exc:  # noqa: BLE001 - the reader must not die silently
            self.proc.kill()  # a stream we can no longer parse cannot be resynchronised
            self._fail_all(ProtocolError(f"reading from the service failed: {exc!r}"))
        self._fail_all(self._stopped_error("The service was stopped"))
        self._outbox.put(None)

    def _fail_all(self, error: Exception) -> None:
        with self._lock:
            if self._stopped is None:
                self._stopped = error if isinstance(error, ServiceStopped) else ServiceStopped(str(error))
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    def _dispatch(self, body: bytes) -> None:
        packet_id, is_request, value = decode_packet(body)
        if not isinstance(value, dict):
            raise ProtocolError(f"expected a map in packet {packet_id}, got {type(value).__name__}")
        if not is_request:
            with self._lock:
                future = self._pending.pop(packet_id, None)
            if future is None:
                return  # an answer to nothing we asked; ignore rather than crash
            if isinstance(value, dict) and value.get("error"):
                future.set_exception(ServiceError(value["error"]))
            else:
                future.set_result(value)
            return
        command = value.get("command", "")
        handler = self.handlers.get(value.get("key")) if command != "ping" else None
        if handler is None:
            self._outbox.put(encode_packet(packet_id, False, _HARMLESS.get(command, {})))
            return
        try:
            self._pool.submit(self._serve, packet_id, handler, command, value)
        except RuntimeError:  # the pool is shut down (interpreter exit): answer harmlessly
            self._outbox.put(encode_packet(packet_id, False, _HARMLESS.get(command, {})))

    def _serve(self, packet_id: int, handler: RequestHandler, command: str, request: dict) -> None:
        """Run a handler on a pool thread and always answer, whatever it does."""
        try:
            packet = encode_packet(packet_id, False, handler.handle(command, request))
        except BaseException:  # noqa: BLE001 - an unanswered request blocks esbuild forever
            packet = encode_packet(packet_id, False, _HARMLESS.get(command, {}))
        try:
            self._write(packet)
        except ServiceStopped:
            pass

