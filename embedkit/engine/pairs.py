"""Skip-gram with per-pair negatives for k = 5 on a fused, vectorised path.

word2vec.c's algorithm (k fresh negatives for every (context, centre) pair; each pair's step
uses the rows as they were before it and writes the centre's and its negatives' output rows
at once), the same as :func:`embedkit.engine.sgns.sg_pairs_window` (any k, scalar gradients,
output rows updated one at a time) and tested against the same reference (``tests/naive.py``):

* :func:`sg_pairs6_window` (marker :class:`~embedkit.engine.modes.SgPairs6`), k = 5 with
  plain negatives, the default of graphs and k-mers: a pair's six scores come out of one pass
  over the input row, their six gradients out of one 8-lane loop with the polynomial ``exp``
  (:func:`~embedkit.engine.loss.label_probability`), and the input row and the six output rows
  are all updated in one more pass (:func:`update6_pairs`), which reads and writes each row
  once instead of once per output row.

A pair's output rows may repeat (a negative equal to the centre, which is masked, or two equal
negatives). The fused pass reads all six rows before it writes any, so repeated rows would
lose updates; :func:`merge_repeats` first moves the gradient of every earlier copy of a row
onto its last copy, whose write then carries the sum, exactly the sequential result.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.loss import label_probability, lane_loss
from embedkit.engine.negatives import draw_negatives
from embedkit.engine.params import (
    FASTMATH,
    LANE_GRAD,
    LANE_LABEL,
    LANE_Q,
    LANE_SCORE,
    LANE_SIG,
    LANE_WEIGHT,
    STAT_PAIRS,
)
from embedkit.engine.rows import centre_row, dots6

__all__ = ["sg_pairs6_window", "pair6_step", "merge_repeats", "update6_pairs", "pair_lanes",
           "pair_gradients"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def merge_repeats(rows, lanes):
    """Move the gradient of every earlier copy of a repeated row onto its last copy.

    ``rows`` (6,) are a pair's output rows, ``lanes[LANE_GRAD, :6]`` their gradients. After
    this a fused pass that reads all six rows and then writes them in order leaves each row
    with the sum of its gradients (the last write wins and carries them all).
    """
    for t in range(5):
        for s in range(t + 1, 6):
            if rows[s] == rows[t]:
                lanes[LANE_GRAD, s] += lanes[LANE_GRAD, t]
                lanes[LANE_GRAD, t] = 0.0
                break


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def update6_pairs(X, i, Y, rows, lanes):
    """``Y[rows[t]] += g[t] * X[i]`` and ``X[i] += sum_t g[t] * Y[rows[t]]`` in one pass.

    ``g = lanes[LANE_GRAD, :6]``; every term uses the rows as they were before the step
    (rows repeated after :func:`merge_repeats` only).
    """
    r0, r1, r2, r3, r4, r5 = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]
    g0, g1, g2, g3, g4, g5 = (lanes[LANE_GRAD, 0], lanes[LANE_GRAD, 1], lanes[LANE_GRAD, 2],
                              lanes[LANE_GRAD, 3], lanes[LANE_GRAD, 4], lanes[LANE_GRAD, 5])
    for x in range(X.shape[1]):
        v = X[i, x]
        y0 = Y[r0, x]
        y1 = Y[r1, x]
        y2 = Y[r2, x]
        y3 = Y[r3, x]
        y4 = Y[r4, x]
        y5 = Y[r5, x]
        X[i, x] = v + (g0 * y0 + g1 * y1 + g2 * y2 + g3 * y3 + g4 * y4 + g5 * y5)
        Y[r0, x] = y0 + g0 * v
        Y[r1, x] = y1 + g1 * v
        Y[r2, x] = y2 + g2 * v
        Y[r3, x] = y3 + g3 * v
        Y[r4, x] = y4 + g4 * v
        Y[r5, x] = y5 + g5 * v


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def pair_lanes(lanes, mask, neg_scale):
    """Labels and weights of one pair's lanes 0-7 (0 for a skipped negative and lanes 6, 7)."""
    lanes[LANE_LABEL, 0] = 1.0
    lanes[LANE_WEIGHT, 0] = 1.0
    for t in range(1, 6):
        lanes[LANE_LABEL, t] = 0.0
        lanes[LANE_WEIGHT, t] = neg_scale if mask[t] != 0 else np.float32(0.0)
    for t in range(6, 8):
        lanes[LANE_LABEL, t] = 0.0
        lanes[LANE_WEIGHT, t] = 0.0
        lanes[LANE_SCORE, t] = 0.0


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def pair_gradients(lanes, lr):
    """``lr * weight * (label - sigmoid(score))`` of lanes 0-7, branch-free (it vectorises)."""
    for t in range(8):
        label = lanes[LANE_LABEL, t]
        sig, q, _ = label_probability(lanes[LANE_SCORE, t], label)
        lanes[LANE_SIG, t] = sig
        lanes[LANE_Q, t] = q
        lanes[LANE_GRAD, t] = lr * lanes[LANE_WEIGHT, t] * (label - sig)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def pair6_step(run, cw, lr, neg_scale):
    """One per-pair step for k = 5: fused scores, 8-lane gradients, one fused update pass."""
    W, C, sc = run.W, run.C, run.scratch
    rows, lanes = sc.targets, sc.lanes
    (lanes[LANE_SCORE, 0], lanes[LANE_SCORE, 1], lanes[LANE_SCORE, 2], lanes[LANE_SCORE, 3],
     lanes[LANE_SCORE, 4], lanes[LANE_SCORE, 5]) = dots6(W, cw, C, rows[0], rows[1], rows[2],
                                                          rows[3], rows[4], rows[5])
    pair_lanes(lanes, sc.mask, neg_scale)
    pair_gradients(lanes, lr)
    if run.params.compute_loss:
        lane_loss(lanes, sc.mask, 0, run.acc)
    merge_repeats(rows, lanes)
    update6_pairs(W, cw, C, rows, lanes)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def sg_pairs6_window(negatives, buf, i, lo, hi, lr, run):
    """Skip-gram updates for centre ``buf[i]``, 5 fresh negatives per context (fused)."""
    centre = centre_row(run, buf, i)
    if centre < 0:
        return
    in_lo = run.params.in_lo
    in_hi = run.params.in_hi
    neg_scale = np.float32(run.params.neg_scale)
    for j in range(lo, hi):
        cw = buf[j]
        if j == i or cw < in_lo or cw >= in_hi:
            continue
        cw -= in_lo
        run.acc[STAT_PAIRS] += 1.0
        draw_negatives(negatives, run, centre, buf, lo, hi, i)
        pair6_step(run, cw, lr, neg_scale)
