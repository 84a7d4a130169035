"""Server-sent events: one ``Broadcaster`` fans the daemon's events out to every open stream.

Each subscriber gets its own queue; ``close()`` ends every stream (the server is shutting down),
so no open ``EventSource`` keeps the process alive. A comment line is sent every ``ping``
seconds so proxies keep idle streams open.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["Broadcaster", "format_event"]

PING_SECONDS = 15.0
"""Idle time after which a ``: ping`` comment is sent."""

_CLOSED = object()


def format_event(event: str, data: Any) -> bytes:
    """One SSE message; ``data`` is sent as JSON unless it is a string (multi-line safe)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    lines = "".join(f"data: {line}\n" for line in text.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


class Broadcaster:
    def __init__(self, *, ping: float = PING_SECONDS) -> None:
        self.ping = ping
        """Seconds of silence before a keep-alive comment."""
        self._queues: set[asyncio.Queue] = set()
        self._clients: dict[str, asyncio.Queue] = {}
        """The streams that have a client id (a page's client), by id."""
        self._closed = False

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: str, data: Any = "", *, to: str | None = None) -> None:
        """Queue an event for every open stream, or only for the client ``to``. Call on the
        event loop's thread."""
        message = format_event(event, data)
        queues = self._queues if to is None else [self._clients[to]] if to in self._clients else []
        for queue in queues:
            queue.put_nowait(message)

    def close(self) -> None:
        """End every stream, now and for later subscribers."""
        self._closed = True
        for queue in self._queues:
            queue.put_nowait(_CLOSED)

    async def stream(self, first: bytes = b"", *, client: str | None = None,
                     on_open: Callable[[], None] | None = None) -> AsyncIterator[bytes]:
        """The bytes of one subscriber's stream, starting with ``first``. ``client``: its id,
        for events sent to it alone; ``on_open`` is called once it receives events."""
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.add(queue)
        if client is not None:
            self._clients[client] = queue
        if on_open is not None:
            on_open()
        try:
            yield b"retry: 1000\n" + (first or b":\n\n")
            while not self._closed:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=self.ping)
                except asyncio.TimeoutError:
                    yield b": ping\n\n"
                    continue
                if message is _CLOSED:
                    break
                yield message
        finally:
            self._queues.discard(queue)
            if client is not None:
                self._clients.pop(client, None)
