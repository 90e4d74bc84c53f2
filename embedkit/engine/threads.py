"""Threads for the kernels: a batch's chunk slices trained at once, the GIL released.

The training kernels are plain ``nogil`` functions; parallelism comes from Python threads, one
contiguous slice of chunks each. This keeps Numba's parallel compiler (slow to compile, and
its workqueue layer cannot run two parallel kernels at once) out of the training path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

__all__ = ["run_parallel"]

_POOLS: dict[int, ThreadPoolExecutor] = {}


def run_parallel(fn: Callable[..., object], jobs: Sequence[tuple]) -> list:
    """``[fn(*job) for job in jobs]``, the jobs on threads at once (in order if only one)."""
    if len(jobs) <= 1:
        return [fn(*job) for job in jobs]
    pool = _POOLS.get(len(jobs))
    if pool is None:
        pool = _POOLS[len(jobs)] = ThreadPoolExecutor(len(jobs),
                                                      thread_name_prefix="embedkit-kernel")
    return [f.result() for f in [pool.submit(fn, *job) for job in jobs]]
