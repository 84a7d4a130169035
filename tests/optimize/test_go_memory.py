"""The esbuild service of a command's run (``one_shot``): Go's collector off up to a soft
limit when earlier builds say the run is small (``bundle.go_memory``), less often than Go's
default for a run of unknown or large packages, Go's default for a daemon and the user's own
``GOGC``/``GOMEMLIMIT`` when set; the service ends once the run has built, while a daemon's
lives on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from prebundle import esbuild, load_config
from prebundle.bundle.go_memory import (BATCH_HEAP_LIMIT, HEAP_PER_OUTPUT_BYTE, UNBOUNDED_GOGC, held_at_once,
                                        service_env)
from prebundle.optimizer import optimize
from tests.support.apps import make_app

BATCH = {"GOGC": "off", "GOMEMLIMIT": f"{BATCH_HEAP_LIMIT >> 20}MiB"}
EACH_OF_TWO = {"GOGC": "off", "GOMEMLIMIT": f"{(BATCH_HEAP_LIMIT // 2) >> 20}MiB"}
"""A command's run: two service processes, one build on each, sharing the budget."""
UNBOUNDED = {"GOGC": UNBOUNDED_GOGC}
"""A command's run whose heap cannot be bounded ahead (sizes unknown, or too large)."""
SOURCE = "import _ from 'lodash';\nimport dayjs from 'dayjs';\nconsole.log(_, dayjs);\n"


def test_small_known_runs_collect_late() -> None:
    assert service_env(2_000_000, environ={}) == BATCH
    largest = BATCH_HEAP_LIMIT // (2 * HEAP_PER_OUTPUT_BYTE)
    assert service_env(largest, environ={}) == BATCH
    assert service_env(largest + 1, environ={}) == UNBOUNDED  # the live heap could near the limit


def test_two_processes_share_the_budget() -> None:
    largest = BATCH_HEAP_LIMIT // 2 // (2 * HEAP_PER_OUTPUT_BYTE)
    assert service_env(largest, environ={}, processes=2) == EACH_OF_TWO
    assert service_env(largest + 1, environ={}, processes=2) == UNBOUNDED


def test_each_process_holds_its_share_of_the_largest_builds() -> None:
    sizes = [1_000_000, 5_000_000, 4_000_000, 3_000_000]
    assert held_at_once(sizes, 2, processes=2) == 5_000_000  # one build on each process
    assert held_at_once(sizes, 2, processes=1) == 9_000_000  # both builds on one
    assert held_at_once([2_000_000], 2, processes=1) == 2_000_000
    assert held_at_once(None, 2, processes=2) is None
    assert service_env(held_at_once(sizes, 2, processes=2), environ={}, processes=2) == EACH_OF_TWO


def test_unknown_sizes_collect_less_often_and_the_users_settings_are_kept() -> None:
    assert service_env(None, environ={}) == UNBOUNDED
    assert service_env(None, environ={}, processes=2) == UNBOUNDED
    assert service_env(1_000, environ={"GOGC": "50"}) is None
    assert service_env(1_000, environ={"GOMEMLIMIT": "1GiB"}) is None


STARTED: list[int] = []
"""The esbuild service processes started during a test, by pid."""
_ENVIRONS: dict[int, dict[str, str]] = {}
"""Their environments, read from ``/proc`` as each started (a command's run ends its own)."""


def _service_environ(_root: Path) -> dict[str, str]:
    """The environment the last esbuild service process started with."""
    assert STARTED, "the run started no esbuild service"
    return _ENVIRONS[STARTED[-1]]


@pytest.fixture()
def fresh_service(tmp_path: Path, monkeypatch):
    """The app, with no esbuild service running for it before or after the test, no Go settings
    of the machine's own, and the environment of each service process read as it starts."""
    import prebundle.esbuild._transport as transport

    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    real = transport.Connection._handshake

    def handshake(connection) -> None:  # the process runs: read its environment from /proc
        raw = Path(f"/proc/{connection.proc.pid}/environ").read_bytes()
        _ENVIRONS[connection.proc.pid] = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
        STARTED.append(connection.proc.pid)
        real(connection)

    monkeypatch.setattr(transport.Connection, "_handshake", handshake)
    STARTED.clear()
    root = make_app(tmp_path / "app", SOURCE, packages=["lodash", "dayjs"])
    service = esbuild.get_service(root)
    service.close()
    service.env = None
    yield root
    service.close()
    service.env = None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_commands_force_run_starts_the_service_with_late_collection(fresh_service: Path) -> None:
    config = load_config(fresh_service)
    optimize(config, one_shot=True)  # the first build: no earlier build tells the sizes
    first = _service_environ(fresh_service)
    assert first.get("GOGC") == UNBOUNDED_GOGC and "GOMEMLIMIT" not in first

    service = esbuild.get_service(fresh_service)
    service.close()
    before = len(STARTED)
    result = optimize(config, force=True, one_shot=True)
    assert result.built, "--force re-bundles"
    started = STARTED[before:]
    assert len(started) == 2, "two builds in flight, each on a service process of its own"
    for pid in started:
        assert {name: _ENVIRONS[pid].get(name) for name in EACH_OF_TWO} == EACH_OF_TWO
    assert service.env is None, "a service started later in this process gets no setting of that run"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_daemons_service_and_the_users_gogc_are_left_alone(fresh_service: Path, monkeypatch) -> None:
    config = load_config(fresh_service)
    optimize(config, one_shot=True)
    service = esbuild.get_service(fresh_service)
    service.close()
    optimize(config, force=True, trigger="startup")  # a daemon's service lives on
    assert "GOGC" not in _service_environ(fresh_service)

    service.close()
    monkeypatch.setenv("GOGC", "150")
    before = len(STARTED)
    optimize(config, force=True, one_shot=True)
    environ = _service_environ(fresh_service)
    assert environ.get("GOGC") == "150" and "GOMEMLIMIT" not in environ
    assert len(STARTED) - before == 1, "the user's setting is per process: one process keeps it"

    service.close()
    monkeypatch.delenv("GOGC")
    monkeypatch.setenv("GOMAXPROCS", "1")  # the user's cap on esbuild's threads
    before = len(STARTED)
    optimize(config, force=True, one_shot=True)
    assert len(STARTED) - before == 1
    monkeypatch.delenv("GOMAXPROCS")

    service.close()
    service.env = {"GOMEMLIMIT": "2GiB"}  # a caller's own setting on the service
    optimize(config, force=True, one_shot=True)
    environ = _service_environ(fresh_service)
    assert environ.get("GOMEMLIMIT") == "2GiB" and "GOGC" not in environ
    assert service.env == {"GOMEMLIMIT": "2GiB"}


def test_a_commands_run_ends_its_service_once_built_and_a_daemons_keeps_it(fresh_service: Path) -> None:
    config = load_config(fresh_service)
    before = len(STARTED)
    optimize(config, force=True, one_shot=True)
    assert len(STARTED) - before == 2
    _services_closed()
    for pid in STARTED[before:]:  # the run's service and its companion: ended and reaped
        assert not Path(f"/proc/{pid}").exists(), f"esbuild {pid} outlived the run's builds ({_state(pid)})"
    assert esbuild.get_service(fresh_service).pid is None

    before = len(STARTED)
    optimize(config, force=True, trigger="startup")
    assert esbuild.get_service(fresh_service).pid == STARTED[-1], "a daemon's service lives on"
    assert len(STARTED) - before == 1, "a daemon's builds share its one service"


def _services_closed() -> None:
    """Wait for the threads a run closes its esbuild services on."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "prebundle-esbuild-close":
            thread.join(timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_commands_run_that_fails_ends_both_its_services(fresh_service: Path) -> None:
    from prebundle.errors import PrebundleError

    broken = make_app(fresh_service.parent / "broken", SOURCE + "import 'broken-dep'\n", packages=["lodash", "dayjs"],
                      extra={"node_modules/broken-dep/package.json":
                             '{"name": "broken-dep", "version": "1.0.0", "module": "index.js"}',
                             "node_modules/broken-dep/index.js": "export const = ;\n"})
    esbuild.get_service(broken).close()
    before = len(STARTED)
    with pytest.raises(PrebundleError, match="broken-dep/index.js:1:"):
        optimize(load_config(broken), force=True, one_shot=True)
    assert len(STARTED) - before == 2, "the other builds ran on a second service"
    _services_closed()
    for pid in STARTED[before:]:
        assert not Path(f"/proc/{pid}").exists(), f"esbuild {pid} outlived the failed run ({_state(pid)})"


def test_a_companion_that_cannot_start_leaves_the_builds_on_one_service(fresh_service: Path, monkeypatch) -> None:
    """No second process (a process limit, say): the run builds on its one service, as before."""
    from prebundle.optimizer import OptimizeRun

    monkeypatch.setattr(OptimizeRun, "_companion",
                        lambda self: esbuild.Service(fresh_service / "no-such-esbuild", version="0.0.0"))
    before = len(STARTED)
    result = optimize(load_config(fresh_service), force=True, one_shot=True)
    assert len(result.built) == 2, "both packages built, on the one service"
    assert len(STARTED) - before == 1


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def test_builds_on_two_services_write_what_builds_on_one_write(fresh_service: Path) -> None:
    """Which service process built a group changes nothing in the output."""
    config = load_config(fresh_service)
    deps = optimize(config, force=True, trigger="startup").deps_dir  # a daemon's: one service
    one = {p.relative_to(deps): p.read_bytes() for p in deps.rglob("*") if p.is_file() and p.suffix != ".json"}
    esbuild.get_service(fresh_service).close()
    before = len(STARTED)
    optimize(config, force=True, one_shot=True)
    assert len(STARTED) - before == 2
    two = {p.relative_to(deps): p.read_bytes() for p in deps.rglob("*") if p.is_file() and p.suffix != ".json"}
    assert two == one and len(one) >= 4
