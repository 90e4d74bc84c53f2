"""Distributed workers on one machine take turns at a first-run compile (a file lock)."""

from __future__ import annotations

import threading
import time

import pytest
from numba import njit

compile_once = pytest.importorskip("embedkit.distributed.compile_once")
fcntl = pytest.importorskip("fcntl")


def test_no_lock_once_compiled():
    f = njit(lambda x: x + 1)
    f(1)
    with compile_once.compile_turn(f, (1,)) as took:
        assert took is False


def test_a_second_worker_waits_for_the_first_compile():
    f = njit(lambda x: x * 2)  # not compiled yet: the turn takes the machine's lock
    events = []
    with open(compile_once.lock_path(), "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another worker is compiling

        def worker():
            with compile_once.compile_turn(f, (3,)) as took:
                events.append(("in", took, time.perf_counter()))
                f(3)

        t = threading.Thread(target=worker)
        t.start()
        time.sleep(0.3)
        assert events == []  # still waiting
        released = time.perf_counter()
        fcntl.flock(fh, fcntl.LOCK_UN)
    t.join(timeout=30)
    assert len(events) == 1 and events[0][1] is True and events[0][2] >= released
    with compile_once.compile_turn(f, (3,)) as took:  # now compiled in this process
        assert took is False
