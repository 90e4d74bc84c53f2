"""Skip-gram with frozen input rows: the window update of the ``Locked`` mode.

``Word2Vec(init=..., freeze_init=True)`` trains new words against pretrained vectors that must
not move. The engine then runs this window instead of the plain shared-negatives one: the same
skip-gram step (shared negatives, ``g = lr * (y - sigmoid(v.u))``, ``u += g v`` accumulated per
window), except that a context whose input row is frozen (``run.noise[row] != 0``; the mode's
per-row array, which NCE uses for its noise) gets no ``v += g u``. Output rows all learn, so
the frozen vectors still teach the new words. Only a fit with frozen rows compiles it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.loss import gradient_scales
from embedkit.engine.modes import Locked
from embedkit.engine.negatives import draw_negatives
from embedkit.engine.params import FASTMATH, STAT_PAIRS
from embedkit.engine.rows import accumulate, axpy, gather_add, score_rows, zero_rows

__all__ = ["Locked", "locked_window"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def locked_window(negatives, buf, i, lo, hi, lr, run):
    """Skip-gram updates for centre ``buf[i]`` (one set of negatives); frozen inputs stay."""
    w = buf[i]
    if w < run.params.out_lo or w >= run.params.out_hi:
        return
    sc = run.scratch
    sc.targets[0] = w - run.params.out_lo
    sc.mask[0] = 1
    in_lo = run.params.in_lo
    in_hi = run.params.in_hi
    if run.tables.pool > 1:
        zero_rows(sc.anchor)
        for j in range(lo, hi):
            if j != i and in_lo <= buf[j] < in_hi:
                axpy(np.float32(1.0), run.W, buf[j] - in_lo, sc.anchor, 0)
    draw_negatives(negatives, run, sc.targets[0], buf, lo, hi, i)
    zero_rows(sc.out_grads)
    neg_scale = np.float32(run.params.neg_scale)
    W, C = run.W, run.C
    for j in range(lo, hi):
        if j == i or buf[j] < in_lo or buf[j] >= in_hi:
            continue
        a = buf[j] - in_lo
        run.acc[STAT_PAIRS] += 1.0
        score_rows(W, a, C, sc.targets, sc.gs)
        gradient_scales(sc.gs, sc.mask, sc.gs, lr, neg_scale, run.params.compute_loss, run.acc)
        accumulate(W, a, sc.out_grads, sc.gs)  # out_grads[t] += gs[t] * v
        if run.noise[buf[j]] == 0:
            gather_add(C, sc.targets, sc.gs, W, a)  # v += sum_t gs[t] * u_t
    for t in range(sc.targets.shape[0]):
        if sc.mask[t] != 0:
            axpy(np.float32(1.0), sc.out_grads, t, C, sc.targets[t])
