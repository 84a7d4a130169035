"""A web server the tests start as a user would (``manage.py runserver``, ``flask run``): a free
port, the process, and its URL once it listens; stopped afterwards whatever happened."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.support.wait import wait_until

__all__ = ["free_port", "listening_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def listening_server(server: subprocess.Popen, port: int, name: str, output: Callable[[], str]) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` once ``server`` accepts connections there (``output()`` says
    why when it exits first); terminates it on the way out."""

    def listening() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"{name} exited {server.returncode}:\n{output()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        wait_until(listening, timeout=60, message=f"{name} to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
