"""`make demo`: the example app (examples/demo) in production and in development at once, from the
Flask example's one template.

1. `prebundle build examples/demo` writes the production build into examples/demo/dist.
2. The Flask example serves it (Assets mode "production": hashed files, SRI) on port 8000 (or a
   free port), and the same app in mode "development" on 8001 (or a free port), from threads.
3. `prebundle daemon examples/demo` runs in the foreground on port 5174 (or a free port): it
   compiles the app's TSX on request and reloads the development pages when a file changes.

Ctrl-C stops everything.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

HERE = Path(__file__).resolve().parent
DEMO = HERE / "demo"
HOST = "127.0.0.1"


def port(preferred: int) -> int:
    """``preferred`` when nothing listens there, else a free port (another demo may be running)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((HOST, preferred))
        except OSError:
            probe.bind((HOST, 0))
        return probe.getsockname()[1]


def flask_example() -> ModuleType:
    """examples/flask/app.py, loaded by path (it is not a package)."""
    spec = importlib.util.spec_from_file_location("flask_example", HERE / "flask" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve_flask(mode: str, at: int) -> BaseWSGIServer:
    """The Flask example in ``mode`` on ``at``, from a thread; the server, to shut down."""
    from werkzeug.serving import make_server

    server = make_server(HOST, at, flask_example().create_app(DEMO, mode=mode), threaded=True)
    threading.Thread(target=server.serve_forever, name=f"flask-{mode}", daemon=True).start()
    return server


def announce_when_ready(daemon: subprocess.Popen, daemon_port: int, production: int, development: int) -> None:
    """Print the URLs once the daemon answers, so they come after its start-up lines."""
    status = f"http://{HOST}:{daemon_port}/@prebundle/status"
    while daemon.poll() is None:
        try:
            with urllib.request.urlopen(status, timeout=2) as answer:
                if json.load(answer).get("state") != "optimizing":
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        return
    print(f"""
prebundle demo: examples/demo, one template (examples/flask/templates/index.html) in both modes
  production   http://{HOST}:{production}/   the Flask example on the build in examples/demo/dist
  development  http://{HOST}:{daemon_port}/   prebundle daemon: the app's TSX compiled on request
               http://{HOST}:{development}/   the Flask example, the same template, loading from the daemon
Try: edit examples/demo/src/App.tsx and save: the development pages reload with the change; the
production page keeps the build until `prebundle build examples/demo` runs again.
Ctrl-C stops everything.
""", flush=True)


def stop(daemon: subprocess.Popen) -> None:
    """After Ctrl-C: a terminal sent the daemon SIGINT too, and it stops cleanly on its own; one
    that did not get it (a signal sent to this process alone) is sent one."""
    for signal_to_send in (None, signal.SIGINT, signal.SIGKILL):
        if signal_to_send is not None:
            daemon.send_signal(signal_to_send)
        try:
            daemon.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def interrupted(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM, as Ctrl-C: the servers are stopped in ``main``."""
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGINT, interrupted)   # also when started where SIGINT was ignored
    signal.signal(signal.SIGTERM, interrupted)  # `kill` stops everything as Ctrl-C does
    if not (DEMO / "node_modules" / "react" / "package.json").is_file():
        print("examples/demo is not installed: run `make npm` first", file=sys.stderr)
        return 1
    built = subprocess.run([sys.executable, "-m", "prebundle", "build", str(DEMO)])
    if built.returncode != 0:
        return built.returncode
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request among the daemon's
    production, development, daemon_port = port(8000), port(8001), port(5174)
    servers = [serve_flask("production", production), serve_flask("development", development)]
    daemon = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(DEMO), "--port", str(daemon_port)])
    threading.Thread(target=announce_when_ready, args=(daemon, daemon_port, production, development),
                     daemon=True).start()
    try:
        return daemon.wait()
    except KeyboardInterrupt:
        stop(daemon)
        return 0
    finally:
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # during the build: it stopped, nothing else runs yet
        sys.exit(130)
