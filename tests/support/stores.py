"""Real storage servers for the remote cache tests: Debian's ``nginx`` as a WebDAV server and
``redis-server``, each on a free loopback port with everything it writes (config, pid, logs,
temp files, data) in a folder of the test's own.

Both can be stopped and started again on the same port mid-test (a remote that goes away and
comes back), and Redis can be paused (SIGSTOP: the kernel still accepts connections, nobody
answers: the stalled server a timeout must survive). A missing binary skips the test on a
developer's machine and fails it in CI (``CI`` set), where ``make test`` installs them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.servers import free_port
from tests.support.wait import wait_until

__all__ = ["NginxDav", "RedisServer", "require_binary", "running"]

DAV_EXT_MODULE = Path("/usr/lib/nginx/modules/ngx_http_dav_ext_module.so")
"""nginx's PROPFIND (``libnginx-mod-http-dav-ext``): OpenDAL's WebDAV ``stat`` asks it."""


def require_binary(name: str, package: str) -> str:
    """The path of ``name``; skips the test when it is missing, unless in CI where that is a
    broken setup and fails."""
    found = shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name)
                                        if p.exists()), None)
    if found:
        return found
    _missing(f"{name} is not installed (apt-get install {package}, or `make servers`)")


def _missing(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class _Server:
    """A server subprocess on a fixed port, stoppable and restartable."""

    name = ""
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        """Start and wait until the port accepts connections."""
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"{self.name} exited {process.returncode}:\n{self.log()}")
            return _accepts(self.port)

        wait_until(listening, timeout=30, message=f"{self.name} to listen on {self.port}")

    def stop(self) -> None:
        """Stop it (resumed first if paused); the port refuses connections afterwards."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGCONT)  # a paused server cannot stop
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # nginx's workers too
            process.wait()
        wait_until(lambda: not _accepts(self.port), timeout=10, message=f"{self.name} to stop listening")

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the process: connections are still accepted (by the kernel), never answered."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGCONT)


class NginxDav(_Server):
    """nginx serving ``<folder>/root`` over WebDAV (PUT, DELETE, MKCOL, COPY, MOVE, and
    PROPFIND unless ``propfind=False``: nginx's own DAV module has no PROPFIND) at
    ``http://127.0.0.1:<port>/``; ``url`` is that address."""

    name = "nginx"

    def __init__(self, folder: Path, *, propfind: bool = True) -> None:
        self.binary = require_binary("nginx", "nginx libnginx-mod-http-dav-ext")
        self.propfind = propfind
        if propfind and not DAV_EXT_MODULE.exists():
            _missing(f"{DAV_EXT_MODULE} is missing (apt-get install libnginx-mod-http-dav-ext, or `make servers`)")
        self.folder = folder
        self.port = free_port()
        self.root = folder / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        (folder / "temp").mkdir(exist_ok=True)
        (folder / "nginx.conf").write_text(self._config())
        self.url = f"http://127.0.0.1:{self.port}"

    def _config(self) -> str:
        # As root, workers would drop to `nobody` and could not write into pytest's 0700 tmp dirs.
        user = "user root;" if os.geteuid() == 0 else ""
        temp = self.folder / "temp"
        dav_ext = f"load_module {DAV_EXT_MODULE};" if self.propfind else ""
        propfind = "dav_ext_methods PROPFIND OPTIONS;" if self.propfind else ""
        return f"""
{dav_ext}
{user}
daemon off;
worker_processes 2;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.root};
        location / {{
            dav_methods PUT DELETE MKCOL COPY MOVE;
            {propfind}
            create_full_put_path on;
            dav_access user:rw group:rw all:r;
            client_max_body_size 0;
        }}
    }}
}}
"""

    def command(self) -> list[str]:
        return [self.binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"),
                "-c", str(self.folder / "nginx.conf")]

    def log(self) -> str:
        path = self.folder / "error.log"
        return super().log() + (path.read_text(errors="replace") if path.exists() else "")


class RedisServer(_Server):
    """``redis-server`` without persistence on ``127.0.0.1:<port>``; ``url`` is
    ``redis://[:password@]127.0.0.1:<port>``."""

    name = "redis-server"

    def __init__(self, folder: Path, password: str | None = None) -> None:
        self.binary = require_binary("redis-server", "redis-server")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"]
        return command + (["--requirepass", self.password] if self.password else [])


@contextmanager
def running(server: _Server) -> Iterator[_Server]:
    """``server`` started, and stopped on the way out whatever happened."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
