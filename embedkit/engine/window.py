"""Run the engine's own skip-gram update on one hand-picked centre window.

:func:`embedkit.engine.kernels.train_chunks` always trains both directions of a pair (a
two-token sequence ``[a, b]`` trains centre a with context b *and* centre b with context a), so it
cannot show a single update. :func:`train_window` calls the skip-gram window update
(:mod:`embedkit.engine.sgns`), the exact code ``train_chunks`` runs for every centre, on one
centre and a chosen slice of context positions, with the same
:class:`~embedkit.engine.params.KernelParams`,
:class:`~embedkit.samplers.SamplerTables` and random stream. Nothing is re-implemented here: this
is for teaching and tests (``examples/one_step.py``), not for training.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.loss import flush_loss
from embedkit.engine.objectives import kernel_mode
from embedkit.engine.params import N_STATS, ChunkRun, KernelParams, make_scratch
from embedkit.engine.stream import window_update
from embedkit.samplers.base import SamplerTables

__all__ = ["train_window"]


@njit(nogil=True, cache=True, error_model="numpy")
def _window_kernel(mode, buf, centre, lo, hi, lr, run):
    window_update(mode, buf, centre, lo, hi, lr, run)
    flush_loss(run.params.compute_loss, run.acc, True)


def train_window(
    W: np.ndarray,
    C: np.ndarray,
    tokens: np.ndarray,
    centre: int,
    lo: int,
    hi: int,
    *,
    lr: float,
    params: KernelParams,
    tables: SamplerTables,
    state: int,
) -> dict:
    """One skip-gram update of the engine for centre ``tokens[centre]``, contexts ``tokens[lo:hi]``.

    Each context's input vector v predicts the centre's output vector u, against ``params.negative``
    negatives drawn from ``tables`` with the xorshift stream seeded by ``state``.

    Returns
    -------
    dict
        ``targets`` (positive then negatives), ``mask`` (0 = skipped negative), ``scales``
        (with ``shared_negatives=False``: the kernel's ``lr * (label - sigmoid)`` of the last
        pair), ``stats`` (N_STATS floats).

    Examples
    --------
    >>> from embedkit.engine.params import KernelParams
    >>> from embedkit.samplers import make_tables
    >>> W = np.eye(2, dtype=np.float32); C = np.zeros((2, 2), np.float32)
    >>> p = KernelParams(1, 1, True, False, False, True, 0.1, 0.1, 1.0, True)
    >>> t = make_tables(np.ones(2))
    >>> out = train_window(W, C, np.array([0, 1]), 0, 0, 2, lr=0.1, params=p, tables=t, state=7)
    >>> int(out["targets"][0])
    0
    """
    for name, a in (("W", W), ("C", C)):
        if a.dtype != np.float32 or not a.flags.c_contiguous or a.ndim != 2:
            raise TypeError(f"{name} must be a C-contiguous float32 matrix")
    buf = np.ascontiguousarray(tokens, dtype=np.int32)
    if not 0 <= lo <= centre < hi <= buf.size:
        raise ValueError(f"need 0 <= lo <= centre < hi <= len(tokens), got {lo}, {centre}, {hi}")
    if buf.size and (buf.min() < 0 or buf.max() >= W.shape[0]):
        raise ValueError("tokens must be valid ids of W's rows")
    if state == 0:
        raise ValueError("state must be non-zero (xorshift)")
    acc = np.zeros(N_STATS, dtype=np.float64)
    st = np.array([state], dtype=np.uint64)
    scratch = make_scratch(params.negative + 1, W.shape[1], params.window, 1, 0)
    run = ChunkRun(W, C, params, tables, st, 0, scratch, acc, np.zeros(0, dtype=np.float32))
    _window_kernel(kernel_mode(params._replace(sg=True), tables), buf, int(centre), int(lo),
                   int(hi), np.float32(lr), run)
    return {"targets": scratch.targets, "mask": scratch.mask, "scales": scratch.gs, "stats": acc}
