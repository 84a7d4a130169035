"""``bundle.services``: each build of a command's run on a service process no other build is
using, a companion started only when the first is busy, and one shared service otherwise (one
at a time on it when a companion could not start)."""

from __future__ import annotations

import threading
import time

from prebundle.bundle.services import ServiceLease
from prebundle.esbuild import ServiceStopped


class FakeService:
    """What the lease uses of a service, counting the builds on it at once."""

    def __init__(self, name: str, *, starts: bool = True) -> None:
        self.name = name
        self.starts = starts
        self.running = 0
        self.most_at_once = 0
        self.closed = False
        self._lock = threading.Lock()

    def start(self) -> int:
        if not self.starts:
            raise ServiceStopped("the service failed to start")
        return 1

    def close(self, timeout: float = 2.0) -> None:
        self.closed = True

    def build(self, *, hold: threading.Event | None = None, **_options) -> str:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        if hold is not None:
            hold.wait(5)
        with self._lock:
            self.running -= 1
        return self.name


def _two_builds_at_once(lease: ServiceLease, *, wait: float = 5) -> list[str]:
    """Two builds held in flight together (for up to ``wait`` seconds, while one of them waits
    for a service); the names of the services they ran on."""
    hold = threading.Event()
    names: list[str] = []
    threads = [threading.Thread(target=lambda: names.append(lease.build(hold=hold))) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + wait
    while _in_flight(lease) < 2 and time.monotonic() < deadline:  # both in flight, or one waits
        time.sleep(0.001)
    hold.set()
    for thread in threads:
        thread.join()
    return sorted(names)


def _in_flight(lease: ServiceLease) -> int:
    return lease.primary.running + sum(companion.running for companion in lease.companions)


def test_two_builds_at_once_run_on_two_services_and_never_share_one() -> None:
    primary = FakeService("primary")
    started: list[FakeService] = []
    lease = ServiceLease(primary, lambda: started.append(FakeService("companion")) or started[-1], most=2)
    assert _two_builds_at_once(lease) == ["companion", "primary"]
    assert len(started) == 1 and primary.most_at_once == 1 and started[0].most_at_once == 1
    assert _two_builds_at_once(lease) == ["companion", "primary"], "the companion is reused, not started again"
    assert len(started) == 1
    lease.close_companions()
    assert started[0].closed and lease.shared
    assert _two_builds_at_once(lease) == ["primary", "primary"], "after the close, the builds share the first"


def test_one_build_at_a_time_starts_no_companion() -> None:
    started: list[FakeService] = []
    lease = ServiceLease(FakeService("primary"), lambda: started.append(FakeService("c")) or started[-1])
    assert [lease.build() for _ in range(3)] == ["primary"] * 3
    assert started == []


def test_a_companion_that_cannot_start_leaves_the_builds_taking_turns_on_the_first() -> None:
    """The first service's memory limit may be set for one build: two never run on it at once."""
    primary = FakeService("primary")
    failed = FakeService("companion", starts=False)
    lease = ServiceLease(primary, lambda: failed, most=2)
    assert _two_builds_at_once(lease, wait=0.3) == ["primary", "primary"]
    assert lease.shared and lease.companions == [] and primary.most_at_once == 1
    assert _two_builds_at_once(lease, wait=0.3) == ["primary", "primary"] and primary.most_at_once == 1


def test_without_a_companion_the_builds_share_the_service() -> None:
    primary = FakeService("primary")
    lease = ServiceLease(primary)
    assert _two_builds_at_once(lease) == ["primary", "primary"] and primary.most_at_once == 2
