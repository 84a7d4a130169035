"""Messages between plugins and pages: ``server.ws`` (Vite's name) and ``POST /@prebundle/messages``.

Server to pages: ``server.ws.send(event, data)`` publishes ``event`` on the event stream
(``/@prebundle/events``) with ``data`` as JSON; a page listens with ``on(event, cb)`` from
``/@prebundle/client.js``. ``client.send(...)`` in a handler answers one page only: each stream
has a client id, given to the page in its ``hello``.

Pages to server: the client's ``send(event, data)`` posts ``{"event", "data", "client"}`` to
``/@prebundle/messages``, and the handlers plugins registered with ``server.ws.on(event, fn)``
get ``(data, client)``. The route is behind ``DaemonGuard`` like every other, so pages of other
sites are refused (403) before it runs; it also takes JSON only, which a page of another site
cannot send without a CORS preflight (refused too), and at most ``MESSAGE_LIMIT`` bytes.
Handlers run on a thread (async ones on the hook loop), never on the server's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from ..errors import PrebundleError
from ..plugins import PluginError, call_hook
from ..plugins.container import accepts_positional
from ..plugins.context import current_call

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..plugins import PluginContainer
    from .events import Broadcaster

__all__ = ["MESSAGES_PATH", "MESSAGE_LIMIT", "ClientChannel", "MessageClient", "messages"]

log = logging.getLogger("prebundle.daemon")

MESSAGES_PATH = "/@prebundle/messages"
MESSAGE_LIMIT = 64 * 1024
"""Largest message body accepted, in bytes."""
CONNECTION = "connection"
"""The event ``server.ws.on`` handlers get when a page's client connects (as in Vite)."""

_EVENT_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
"""An event name: one line (it goes into an ``event:`` field of the stream), 1 to 200 characters."""


class MessageClient:
    """One page's client, as a ``server.ws.on`` handler gets it: ``send`` answers only it."""

    def __init__(self, channel: ClientChannel, client_id: str | None) -> None:
        self._channel = channel
        self.id = client_id
        """The id its event stream got; None when the page sent none."""

    def send(self, event: str | dict, data: Any = None) -> None:
        if self.id is not None:
            self._channel.send(event, data, to=self.id)


class _Handler:
    """A ``server.ws.on`` handler, with the plugin that registered it (for errors and its context)."""

    def __init__(self, fn: Callable[..., Any], plugin: str | None, container: PluginContainer | None) -> None:
        self.fn = fn
        self.plugin = plugin
        self.container = container
        self.takes_client = accepts_positional(fn, 2)
        """``fn(data, client)``; else ``fn(data)``."""

    def run(self, event: str, data: Any, client: MessageClient) -> None:
        args = (data, client) if self.takes_client else (data,)
        if self.container is not None and self.plugin is not None:
            self.container.call_as(self.plugin, "server.ws.on", self.fn, *args, where=event)
            return
        try:
            call_hook(self.fn, *args)
        except PrebundleError:
            raise
        except Exception as error:
            raise PluginError(f"server.ws handler for {event!r} failed: {type(error).__name__}: {error}") from error


class ClientChannel:
    """``server.ws``: send events to pages, and take theirs with ``on``."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self._broadcaster = broadcaster
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        """The loop the event streams live on; sends from other threads are handed to it."""
        self._handlers: dict[str, list[_Handler]] = {}

    def send(self, event: str | dict, data: Any = None, *, to: str | None = None) -> None:
        """Publish ``event`` with ``data`` (JSON) to every page, or to the client ``to``. Also
        takes Vite's payloads: ``{"type": "custom", "event", "data"}``, ``{"type":
        "full-reload"}`` (pages reload) and ``{"type": "error", "err": {"message"}}``."""
        event, data = _from_payload(event, data)
        if not isinstance(event, str) or not _EVENT_NAME.fullmatch(event):
            raise ValueError(f"server.ws.send: an event name is 1 to 200 characters on one line, not {event!r}")
        text = json.dumps(data, separators=(",", ":"))  # TypeError for data JSON cannot hold
        self._call_on_loop(lambda: self._broadcaster.publish(event, text, to=to))

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Call ``handler(data, client)`` (or ``handler(data)``) for each ``event`` a page
        sends; ``"connection"`` when a page's client connects."""
        if not callable(handler):
            raise TypeError("server.ws.on: the handler must be callable")
        call = current_call()  # None outside a hook: errors then cannot name a plugin
        plugin, container = (call.plugin, call.container) if call is not None else (None, None)
        self._handlers.setdefault(event, []).append(_Handler(handler, plugin, container))

    def off(self, event: str, handler: Callable[..., Any]) -> None:
        """Stop calling ``handler`` for ``event``."""
        self._handlers[event] = [h for h in self._handlers.get(event, []) if h.fn is not handler]

    async def receive(self, event: str, data: Any, client_id: str | None) -> int:
        """Run the handlers of a page's ``event`` in turn, off the event loop; how many ran.
        The first failure is raised (``PluginError``, one line)."""
        handlers = list(self._handlers.get(event, ()))
        client = MessageClient(self, client_id)
        for handler in handlers:
            await asyncio.to_thread(handler.run, event, data, client)
        return len(handlers)

    def connected(self, client_id: str) -> None:
        """A page's client opened its stream: run the ``connection`` handlers (on the loop,
        as a task; failures are logged)."""
        if self._handlers.get(CONNECTION):
            asyncio.get_running_loop().create_task(self._welcome(client_id))

    async def _welcome(self, client_id: str) -> None:
        try:
            await self.receive(CONNECTION, None, client_id)
        except PrebundleError as error:
            log.error("error: %s", error)

    def _call_on_loop(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the streams' loop: now when this is that loop, else handed over."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            action()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(action)


async def messages(request: Request) -> Response:
    """``POST /@prebundle/messages``: a page's ``send(event, data)``, handed to the plugins."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return _refusal(415, "a message is JSON: send it with Content-Type: application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MESSAGE_LIMIT:
        return _refusal(413, f"a message is at most {MESSAGE_LIMIT} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MESSAGE_LIMIT:
            return _refusal(413, f"a message is at most {MESSAGE_LIMIT} bytes")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return _refusal(400, "the body is not JSON")
    if not isinstance(message, dict) or not isinstance(message.get("event"), str) \
            or not _EVENT_NAME.fullmatch(message["event"]) or message["event"] == CONNECTION:
        return _refusal(400, 'a message is {"event": "<name>", "data": ..., "client": "<id>"}')
    client = message.get("client")
    channel: ClientChannel = request.app.state.daemon.plugin_server.ws
    try:
        client_id = client if isinstance(client, str) else None
        handled = await channel.receive(message["event"], message.get("data"), client_id)
    except PrebundleError as error:
        log.error("error: %s", error)
        return JSONResponse({"ok": False, "error": str(error)}, status_code=500)
    return JSONResponse({"ok": True, "handled": handled})


def _refusal(status: int, text: str) -> Response:
    return JSONResponse({"ok": False, "error": f"{status}: {text}"}, status_code=status)


def _from_payload(event: str | dict, data: Any) -> tuple[Any, Any]:
    """``(event, data)`` from Vite's payload objects, or as given."""
    if not isinstance(event, dict):
        return event, data
    kind = event.get("type")
    if kind == "custom":
        return event.get("event"), event.get("data")
    if kind == "full-reload":
        return "reload", {}
    if kind == "error":
        err = event.get("err") or {}
        return "error", {"message": str(err.get("message", err)) if isinstance(err, dict) else str(err)}
    return event.get("event") or kind, event.get("data")
