"""The loop async hooks run on: results and errors in order, one loop for every call, tasks
that keep running between calls, and callers on many threads or inside another loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from prebundle.plugins.hook_loop import settle

VAR = contextvars.ContextVar("VAR", default="caller")


async def finishes_at_once():
    return "quick"


async def waits():  # the scenario: a hook that suspends (a timer, then a bare yield)
    await asyncio.sleep(0.005)
    await asyncio.sleep(0)
    return "waited"


async def fails_at_once():
    raise ValueError("at once")


async def fails_later():
    await asyncio.sleep(0.001)  # the scenario: it fails after suspending once
    raise KeyError("later")


async def on_a_future():
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(0.005, future.set_result, "from the loop")
    return await future


def test_results_and_errors_come_back_in_order():
    results = settle([finishes_at_once(), waits(), fails_at_once(), fails_later(), on_a_future()])
    assert results[:2] == ["quick", "waited"] and results[4] == "from the loop"
    assert isinstance(results[2], ValueError) and isinstance(results[3], KeyError)


def test_every_call_runs_on_the_same_loop_so_async_resources_survive():
    async def loop_of():
        return asyncio.get_running_loop()

    lock_holder = {}

    async def use_a_lock():
        lock = lock_holder.setdefault("lock", asyncio.Lock())
        async with lock:  # a lock bound to another loop would raise here
            await asyncio.sleep(0)  # the scenario: suspend while holding it
        return True

    first, second = settle([loop_of()]), settle([loop_of()])
    assert first[0] is second[0]
    assert settle([use_a_lock()]) == [True] and settle([use_a_lock()]) == [True]


def test_a_hook_sets_context_variables_in_its_own_context():
    async def sets():
        VAR.set("hook")
        await asyncio.sleep(0)  # the scenario: the variable must survive a suspension
        return VAR.get()

    assert settle([sets()]) == ["hook"]
    assert VAR.get() == "caller"


def test_tasks_a_hook_starts_keep_running_between_calls():
    ticks = []
    ticked = threading.Event()

    async def ticker():
        while len(ticks) < 20:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)  # the scenario: a background task ticking on a timer
        ticked.set()

    async def start():
        asyncio.get_running_loop().create_task(ticker())

    settle([start()])
    assert ticked.wait(5)  # no hook runs now: the loop runs on in the background
    assert len(ticks) == 20
    assert settle([waits()]) == ["waited"]  # and a caller takes it back


def test_callers_on_many_threads_and_inside_another_loop():
    async def echo(value):
        if value % 3 == 0:
            await asyncio.sleep(0.001)  # the scenario: some calls suspend, so callers interleave
        return value

    wrong = []

    def caller():
        for i in range(100):
            if settle([echo(i), echo(i + 1)]) != [i, i + 1]:
                wrong.append(i)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads) and wrong == []

    async def inside_a_loop():  # this thread runs a loop of its own: the work is handed over
        return settle([echo(3)])

    assert asyncio.run(inside_a_loop()) == [3]


def test_an_interrupt_is_not_swallowed():
    async def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        settle([interrupted()])
    assert settle([finishes_at_once()]) == ["quick"]  # the loop is free again
