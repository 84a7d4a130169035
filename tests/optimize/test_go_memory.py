"""The esbuild service of a command's run collects garbage late (``bundle.go_memory``): Go's
collector off up to a soft limit, when earlier builds say the run is small; Go's default for a
daemon, a run of unknown or large packages, and whenever the user set ``GOGC``/``GOMEMLIMIT``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from prebundle import esbuild, load_config
from prebundle.bundle.go_memory import BATCH_HEAP_LIMIT, HEAP_PER_OUTPUT_BYTE, service_env
from prebundle.optimizer import optimize
from tests.support.apps import make_app

BATCH = {"GOGC": "off", "GOMEMLIMIT": f"{BATCH_HEAP_LIMIT >> 20}MiB"}
SOURCE = "import _ from 'lodash';\nimport dayjs from 'dayjs';\nconsole.log(_, dayjs);\n"


def test_small_known_runs_collect_late() -> None:
    assert service_env(2_000_000, environ={}) == BATCH
    largest = BATCH_HEAP_LIMIT // (2 * HEAP_PER_OUTPUT_BYTE)
    assert service_env(largest, environ={}) == BATCH
    assert service_env(largest + 1, environ={}) is None  # the live heap could near the limit


def test_unknown_sizes_and_the_users_settings_keep_gos_default() -> None:
    assert service_env(None, environ={}) is None
    assert service_env(1_000, environ={"GOGC": "50"}) is None
    assert service_env(1_000, environ={"GOMEMLIMIT": "1GiB"}) is None


def _service_environ(root: Path) -> dict[str, str]:
    """The environment of the esbuild service process the last run in this process used."""
    pid = esbuild.get_service(root).pid
    assert pid is not None, "the run started no esbuild service"
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


@pytest.fixture()
def fresh_service(tmp_path: Path, monkeypatch):
    """The app, with no esbuild service running for it before or after the test, and no Go
    settings of the machine's own."""
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
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
    assert "GOGC" not in first and "GOMEMLIMIT" not in first

    service = esbuild.get_service(fresh_service)
    service.close()
    result = optimize(config, force=True, one_shot=True)
    assert result.built, "--force re-bundles"
    environ = _service_environ(fresh_service)
    assert {name: environ.get(name) for name in BATCH} == BATCH
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
    optimize(config, force=True, one_shot=True)
    environ = _service_environ(fresh_service)
    assert environ.get("GOGC") == "150" and "GOMEMLIMIT" not in environ

    service.close()
    monkeypatch.delenv("GOGC")
    service.env = {"GOMEMLIMIT": "2GiB"}  # a caller's own setting on the service
    optimize(config, force=True, one_shot=True)
    environ = _service_environ(fresh_service)
    assert environ.get("GOMEMLIMIT") == "2GiB" and "GOGC" not in environ
    assert service.env == {"GOMEMLIMIT": "2GiB"}
