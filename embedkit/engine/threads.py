"""Running the kernels: chunk slices on threads at once (GIL released), and compile checks.

The training kernels are plain ``nogil`` functions; parallelism comes from Python threads, one
contiguous slice of chunks each (:func:`embedkit.contexts.spans.run_parallel`, shared with the
walk kernels of :mod:`embedkit.contexts`). This keeps Numba's parallel compiler (slow to
compile, and its workqueue layer cannot run two parallel kernels at once) out of the training
path.
"""

from __future__ import annotations

from embedkit.contexts.spans import run_parallel

__all__ = ["run_parallel", "is_compiled"]


def is_compiled(dispatcher, args: tuple) -> bool:
    """Has ``dispatcher`` code for ``args``, in this process or in Numba's on-disk cache?

    ``False`` means the next call compiles (the first run after an install or an upgrade).
    Reads Numba's cache index, whose layout is Numba's own: when it cannot be read, the answer
    is ``False`` (a message about compiling is then at worst shown needlessly).
    """
    import numba

    sig = tuple(numba.typeof(a) for a in args)
    if sig in dispatcher.overloads:
        return True
    try:
        index = dispatcher._cache._cache_file._load_index()  # noqa: SLF001 - Numba internals
        return any(key[0] == sig for key in index)
    except Exception:  # noqa: BLE001 - any failure means "unknown"
        return False
