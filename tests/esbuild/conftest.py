"""Fixtures for the esbuild client tests: the real binary from fixtures/npm, and a service."""

from __future__ import annotations

from pathlib import Path

import pytest

from prebundle.esbuild import Service

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "fixtures" / "npm" / "node_modules"
BINARY = MODULES / "@esbuild" / "linux-x64" / "bin" / "esbuild"


@pytest.fixture(scope="session")
def esbuild_bin(npm_modules: Path) -> Path:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: run `make test` (it runs `npm ci` in fixtures/npm)")
    return BINARY


@pytest.fixture(scope="session")
def service(esbuild_bin: Path):
    """One shared service for the tests that don't kill or close it."""
    with Service(esbuild_bin, stderr=False) as svc:
        yield svc


@pytest.fixture
def own_service(esbuild_bin: Path):
    """A service of the test's own, for tests that kill or close it."""
    with Service(esbuild_bin, stderr=False) as svc:
        yield svc
