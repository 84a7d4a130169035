"""The one event loop every ``async`` hook runs on, driven by the thread that needs it.

Hooks are called from synchronous code (the scanner, esbuild callbacks, the daemon's worker
threads). Handing each call to a loop thread costs two thread wake-ups, 100–300 µs, which is
more than most hooks; so a caller runs the shared loop itself until its hooks are done. Each
coroutine's first step runs at once, as an eager task's does, so one that finishes without
waiting costs no turn of the loop. One loop for all (not one per thread) lets plugins keep
async resources, such as a client session or a lock, across calls. Tasks a hook leaves behind
(a poller started by ``configure_server``) keep running on a background thread between calls;
a caller that needs the loop stops that thread and takes over, and starts it again after.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import threading
from collections.abc import Awaitable, Coroutine
from typing import Any


__all__ = ["settle"]


class _HookLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.running = threading.Lock()
        """Held by whichever thread runs the loop."""
        self.state = threading.Lock()
        """Guards ``waiting`` and ``in_background``."""
        self.waiting = 0
        self.in_background = False

    def settle(self, awaitables: list[Awaitable[Any]]) -> list[Any]:
        if _running_loop() is self.loop:
            # A hook running on this loop waits, synchronously, for these (``resolve()`` of the
            # plugin context inside an async hook, with an async ``resolve_id``): this loop cannot
            # run them before that hook returns, so they run on a loop of their own, on another
            # thread, in the caller's context.
            context = contextvars.copy_context()
            result: list[Any] = []
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    result.extend(context.run(asyncio.run, _gather(awaitables)))
                except BaseException as error:  # noqa: BLE001 - raised again in the caller
                    failure.append(error)

            thread = threading.Thread(target=run, name="prebundle-nested-hooks", daemon=True)
            thread.start()
            thread.join()
            if failure:
                raise failure[0]
            return result
        if _running_loop() is not None:
            # This thread already runs another loop and cannot run ours: hand the work over.
            future = asyncio.run_coroutine_threadsafe(_gather(awaitables), self.loop)
            while True:
                self._keep_running()  # in case a caller let go of the loop before our work began
                try:
                    return future.result(timeout=0.05)
                except TimeoutError:
                    continue
        self._take()
        try:
            asyncio._set_running_loop(self.loop)  # we run it: hooks may ask for it
            try:
                started = [_first_step(awaitable) for awaitable in awaitables]
            finally:
                asyncio._set_running_loop(None)
            waiting = [item for item in started if not isinstance(item, _Done)]
            if waiting:
                settled = iter(self.loop.run_until_complete(_gather(waiting)))
                started = [item if isinstance(item, _Done) else _Done(next(settled)) for item in started]
            results = [item.value for item in started]
            leftover = any(not task.done() for task in asyncio.all_tasks(self.loop))
        finally:
            self.running.release()
        if leftover:
            self._keep_running()
        return results

    def _take(self) -> None:
        """Acquire the loop, stopping the background thread if it runs it."""
        with self.state:
            self.waiting += 1
            if self.in_background:
                self.loop.call_soon_threadsafe(self.loop.stop)
        self.running.acquire()
        with self.state:
            self.waiting -= 1

    def _keep_running(self) -> None:
        """Run the loop on a background thread until a caller wants it back."""
        with self.state:
            if self.in_background or self.waiting:
                return
        threading.Thread(target=self._background, name="prebundle-hooks", daemon=True).start()

    def _background(self) -> None:
        if not self.running.acquire(blocking=False):
            return  # a caller runs the loop; it starts a background thread again if needed
        try:
            with self.state:
                if self.waiting:
                    return
                self.in_background = True
            self.loop.run_forever()
        finally:
            with self.state:
                self.in_background = False
            self.running.release()


class _Done:
    """A result (or the exception in its place) known without running the loop."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _first_step(awaitable: Awaitable[Any]) -> _Done | Awaitable[Any]:
    """Run a coroutine up to where it first waits, in a context of its own as a task would:
    its result when it finished, else what to await on the loop to finish it."""
    if not inspect.iscoroutine(awaitable):
        return awaitable
    context = contextvars.copy_context()
    try:
        waits_for = context.run(awaitable.send, None)
    except StopIteration as stop:
        return _Done(stop.value)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # handed to the caller, who raises it
        return _Done(error)
    return _finish(awaitable, context, waits_for)


async def _finish(coroutine: Coroutine[Any, Any, Any], context: contextvars.Context, waits_for: Any) -> Any:
    """Drive a started coroutine to its end on the running loop, step by step in its context:
    wait for the future it yielded (a bare ``None`` is one turn of the loop), then resume it."""
    while True:
        if waits_for is None:
            await asyncio.sleep(0)
        else:
            waits_for._asyncio_future_blocking = False
            await asyncio.wait([waits_for])
        try:
            waits_for = context.run(coroutine.send, None)
        except StopIteration as stop:
            return stop.value


async def _gather(awaitables: list[Awaitable[Any]]) -> list[Any]:
    """Results in order, an exception in place of each that failed."""
    if len(awaitables) == 1:  # the common case, without a task per awaitable
        try:
            return [await awaitables[0]]
        except BaseException as error:  # handed to the caller, who raises it
            return [error]
    return list(await asyncio.gather(*awaitables, return_exceptions=True))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_hook_loop: _HookLoop | None = None
_create_lock = threading.Lock()


def settle(awaitables: list[Awaitable[Any]]) -> list[Any]:
    """Await ``awaitables`` together on the hook loop; their results in order, with an
    exception in place of each that failed."""
    global _hook_loop
    if _hook_loop is None:
        with _create_lock:
            if _hook_loop is None:
                _hook_loop = _HookLoop()
    return _hook_loop.settle(awaitables)


def _forget_loop() -> None:
    global _hook_loop, _create_lock
    _hook_loop = None  # a forked child has the loop object but maybe not the thread running it
    _create_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_loop)
