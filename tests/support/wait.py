"""Waiting for something to happen: poll a condition until it holds or a deadline passes."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10, *, interval: float = 0.02,
               message: str | Callable[[], str] = "") -> T:
    """Call ``predicate`` until it returns something truthy, and return that value. After
    ``timeout`` seconds, raise ``AssertionError`` with ``message`` (a string, or a function
    called then, for a description of the state at that moment) and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"not within {timeout} s: {text or getattr(predicate, '__name__', predicate)}"
                                 f" (last value: {value!r})")
        time.sleep(interval)
