"""Running chunked kernels on Python threads: contiguous spans of chunks, the GIL released.

Context kernels (random walks, metapath walks) and the training kernels are plain
``@njit(nogil=True, cache=True)`` functions that work on a span of chunks; parallelism comes from
Python threads, one span each. This keeps Numba's parallel compiler (``parallel=True`` and
``prange``: slow to compile, and its workqueue threading layer cannot run two parallel kernels
at once) out of every fit. Each chunk draws from its own random stream, so the results do not
depend on how the chunks are split among threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

__all__ = ["ChunkSpan", "chunk_spans", "run_parallel", "run_spans"]

_POOLS: dict[tuple[str, int], ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


class ChunkSpan(NamedTuple):
    """Chunks ``lo, lo + 1, ..., hi - 1`` of a batch (what one thread runs)."""

    lo: int
    hi: int


def chunk_spans(n_chunks: int, n_threads: int) -> list[ChunkSpan]:
    """``n_chunks`` chunks cut into at most ``n_threads`` contiguous, near-equal spans.

    Examples
    --------
    >>> chunk_spans(5, 2)
    [ChunkSpan(lo=0, hi=2), ChunkSpan(lo=2, hi=5)]
    >>> chunk_spans(0, 4)
    []
    """
    n = max(0, int(n_chunks))
    k = max(1, min(int(n_threads), n))
    cuts = [n * i // k for i in range(k + 1)]
    return [ChunkSpan(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def _pool(name: str, n: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get((name, n))
        if pool is None:
            pool = _POOLS[name, n] = ThreadPoolExecutor(n, thread_name_prefix=f"embedkit-{name}")
        return pool


def run_parallel(fn: Callable[..., object], jobs: Sequence[tuple], pool: str = "kernel"
                 ) -> list:
    """``[fn(*job) for job in jobs]``, the jobs on threads at once (in order if only one).

    ``pool`` names the set of worker threads: context generators (``"contexts"``) have their
    own, so a batch being generated in the background never queues behind, or ahead of, the
    training kernels' slices.
    """
    if len(jobs) <= 1:
        return [fn(*job) for job in jobs]
    executor = _pool(pool, len(jobs))
    return [f.result() for f in [executor.submit(fn, *job) for job in jobs]]


def run_spans(kernel: Callable[..., object], args: tuple, n_chunks: int,
              threads: int | None = None) -> None:
    """``kernel(*args, span)`` for spans of ``n_chunks`` chunks, one thread per span.

    ``threads=None`` uses ``numba.get_num_threads()`` of the calling thread (what
    ``numba.set_num_threads`` set there; all cores by default).
    """
    if threads is None:
        import numba

        threads = numba.get_num_threads()
    spans = chunk_spans(n_chunks, threads)
    run_parallel(kernel, [(*args, span) for span in spans], pool="contexts")
