"""One first-run compile per machine: Dask workers on a host take turns at Numba's disk cache.

Worker processes on one machine share Numba's on-disk cache (by default ``__pycache__``
directories next to embedkit's modules, or ``NUMBA_CACHE_DIR``, which a ``LocalCluster``'s
workers inherit). Numba writes each cache file atomically, so workers compiling the same kernel
at once never corrupt it, but each of them compiles the whole kernel: with an empty cache, W
workers spend W times the CPU of one compile, all at the same moment. :func:`compile_turn`
makes the first worker that needs a kernel compile it under an inter-process file lock while
the others on the machine wait for it; they then load it from the cache (a fraction of a
second) instead of compiling it again. Once a kernel is compiled (in the process or on disk),
no lock is taken. Where file locks do not exist (Windows), every worker compiles, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator

from embedkit.engine.threads import is_compiled

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["compile_turn", "lock_path"]


def lock_path() -> str:
    """The lock file shared by every process that uses this embedkit and Numba cache."""
    from numba.core import config

    import embedkit

    key = f"{os.path.dirname(embedkit.__file__)}|{config.CACHE_DIR}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"embedkit-compile-{digest}.lock")


@contextlib.contextmanager
def compile_turn(dispatcher, args: tuple) -> Iterator[bool]:
    """Hold the machine's compile lock around a first call of ``dispatcher(*args)``.

    Yields whether the lock was taken: ``False`` when ``dispatcher`` already has code for
    ``args`` (in this process or in the disk cache) or locks are unavailable.

    Examples
    --------
    >>> from numba import njit
    >>> f = njit(lambda x: x + 1)
    >>> with compile_turn(f, (1,)) as waited:
    ...     f(1)
    2
    """
    if fcntl is None or is_compiled(dispatcher, args):
        yield False
        return
    with open(lock_path(), "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
