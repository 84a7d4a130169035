"""A real HTTP proxy in front of a server (nginx in the remote cache tests) that a test switches
to misbehave the ways a remote does in the wild: answer late, answer an error status, cut a
body short, flip a bit of a body, or drop the connection.

    with FaultyProxy("http://127.0.0.1:8080") as proxy:
        proxy.fault("stall", seconds=5, methods={"GET"})
        ...                         # requests to proxy.url now stall
        proxy.fault("pass")

Requests are forwarded one by one over a fresh connection (HTTP/1.1 keep-alive towards the
client, so clients that pool connections see a normal server). ``requests`` lists
``(method, path, status)`` of what went through, for tests that check what was asked.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FAULTS", "FaultyProxy"]

FAULTS = ("pass", "stall", "status", "truncate", "flip", "close")
"""What the proxy can do to a request: forward it; wait ``seconds`` before forwarding it;
answer ``status`` without forwarding; forward and send half the body of the answer then close;
forward and flip one bit in the middle of the answer's body; close the connection unanswered."""

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-connection", "proxy-authenticate", "proxy-authorization"}


class FaultyProxy:
    """A threaded proxy on a free loopback port; ``url`` is its address."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.requests: list[tuple[str, str, int]] = []
        self._fault = ("pass", 0.0, 0, None)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-proxy", daemon=True)

    def fault(self, kind: str, *, seconds: float = 0.0, status: int = 0,
              methods: Iterable[str] | None = None) -> None:
        """Misbehave with ``kind`` (one of ``FAULTS``) from now on, for requests of ``methods``
        only when given (others pass through)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self._fault = (kind, seconds, status, frozenset(m.upper() for m in methods) if methods else None)

    def fault_for(self, method: str) -> tuple[str, float, int]:
        with self._lock:
            kind, seconds, status, methods = self._fault
        if methods is not None and method not in methods:
            return "pass", 0.0, 0
        return kind, seconds, status

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes stalled handlers
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """Connections a fault cut short are expected here, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _handler_for(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._proxy()
            self.wfile.flush()

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _proxy(self) -> None:
            body = self._read_body()
            kind, seconds, status = proxy.fault_for(self.command)
            if kind == "close":
                proxy.requests.append((self.command, self.path, 0))
                self.close_connection = True
                return
            if kind == "stall" and proxy._closing.wait(seconds):
                self.close_connection = True
                return
            if kind == "status":
                proxy.requests.append((self.command, self.path, status))
                message = f"{status} from the faulty proxy\n".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)
                return
            answer_status, headers, answer = self._forward(body)
            proxy.requests.append((self.command, self.path, answer_status))
            if kind == "flip" and answer:
                middle = len(answer) // 2
                answer = answer[:middle] + bytes([answer[middle] ^ 0x10]) + answer[middle + 1:]
            self.send_response(answer_status)
            head = self.command == "HEAD"  # no body, the upstream's Content-Length as is
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and (head or name.lower() != "content-length"):
                    self.send_header(name, value)
            if not head:
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if kind == "truncate" and answer:
                self.wfile.write(answer[: len(answer) // 2])
                self.close_connection = True
            else:
                self.wfile.write(answer)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
            try:
                headers = {name: value for name, value in self.headers.items()
                           if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"}
                if body or self.command in ("PUT", "POST", "PROPFIND", "PROPPATCH"):
                    headers["Content-Length"] = str(len(body))
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                connection.close()

    return Handler
