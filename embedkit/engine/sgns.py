"""The SGNS window updates: skip-gram (shared or per-pair negatives) and CBOW.

Conventions (see ``tests/naive.py`` for the plain NumPy reference these are tested against):

* ``run.W`` holds the input vectors v and ``run.C`` the output ("context") vectors u, both
  C-contiguous float32. Row indices are local to the trained block: ``W[id - in_lo]``,
  ``C[id - out_lo]`` (the whole vocabulary outside block training).
* Skip-gram follows word2vec.c: each context word's input vector predicts the centre word's
  output vector, which is equivalent in expectation to the centre predicting its contexts.
* Gradient step for input v, output u, label y in {0, 1}: ``g = lr * (y - sigmoid(v.u))``;
  ``v += g u`` and ``u += g v`` (ascent on ``log sigmoid(v.u) + sum log sigmoid(-v.u_n)``).
  Every update of a step uses the rows as they were before it (a simultaneous step).
* Shared negatives: one set of k negatives per centre window, reused for every context in that
  window; the output-row gradients are accumulated in ``scratch.out_grads`` and applied once per
  window (the pWord2Vec / HogBatch idea: far fewer writes to hot output rows). Per-pair
  negatives draw k negatives for every (context, centre) pair, exactly as word2vec.c.
* Skipped work is marked with a 0/1 mask, never with NaN (``fastmath`` removes NaN checks).

Each window function takes ``(negatives, buf, i, lo, hi, lr, run)``: the negatives marker, the
kept ids of the sequence, the centre position, the window ``buf[lo:hi]``, the learning rate and
the chunk's :class:`~embedkit.engine.params.ChunkRun`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.loss import gradient_scales, lane_gradients, lane_loss, set_lanes
from embedkit.engine.negatives import draw_negatives
from embedkit.engine.params import FASTMATH, LANE_SCORE, STAT_PAIRS
from embedkit.engine.rows import (
    accumulate,
    accumulate2,
    axpy,
    centre_row,
    dots6,
    dots6x2,
    gather_add,
    scatter_add,
    score_rows,
    score_rows2,
    update6,
    update6x2,
    zero_rows,
)

__all__ = ["sg_pairs_window", "sg_shared_window", "sg6_window", "cbow_window"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _pair_step(run, cw, lr, neg_scale, shared):
    """One SGD step for input row ``W[cw]`` against the output rows ``C[targets]``.

    All k + 1 scores come from the current rows. With ``shared`` negatives the output-row
    gradients go to ``scratch.out_grads`` (applied once per window); otherwise straight to C.
    """
    W, C, sc = run.W, run.C, run.scratch
    score_rows(W, cw, C, sc.targets, sc.gs)
    gradient_scales(sc.gs, sc.mask, sc.gs, lr, neg_scale, run.params.compute_loss, run.acc)
    if shared:
        accumulate(W, cw, sc.out_grads, sc.gs)  # out_grads[t] += gs[t] * v (v before update)
        gather_add(C, sc.targets, sc.gs, W, cw)  # v += sum_t gs[t] * u_t
    else:
        zero_rows(sc.in_grad)
        gather_add(C, sc.targets, sc.gs, sc.in_grad, 0)
        scatter_add(W, cw, C, sc.targets, sc.gs)
        axpy(np.float32(1.0), sc.in_grad, 0, W, cw)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _shared_step(run, a, b, lr, neg_scale):
    """Shared-negatives steps for input rows ``a`` and ``b != a`` at once (``b >= 0``), or for
    ``a`` alone (``b < 0``): the arithmetic of :func:`_pair_step` with ``shared``.

    With shared negatives the output rows stay fixed until the window ends, and the two input
    rows are distinct, so the two steps do not interact: this gives the same result as two
    steps, reading each output row once instead of twice. The per-row parts (gradient scales,
    input-row update) run in a loop over the one or two rows instead of being written out once
    per case, which halves the code a first run compiles; the operations and their order are
    those of separate steps.
    """
    W, C, sc = run.W, run.C, run.scratch
    two = b >= 0
    if two:
        score_rows2(W, a, b, C, sc.targets, sc.gs, sc.gs2)
    else:
        score_rows(W, a, C, sc.targets, sc.gs)
    rows = (a, b)
    scales = (sc.gs, sc.gs2)
    n_rows = 2 if two else 1
    for r in range(n_rows):
        gradient_scales(scales[r], sc.mask, scales[r], lr, neg_scale, run.params.compute_loss,
                        run.acc)
    # out_grads[t] += gs[t] * v (+ gs2[t] * v_b), from the input rows before their update
    if two:
        accumulate2(W, a, b, sc.out_grads, sc.gs, sc.gs2)
    else:
        accumulate(W, a, sc.out_grads, sc.gs)
    for r in range(n_rows):
        gather_add(C, sc.targets, scales[r], W, rows[r])  # v += sum_t gs[t] * u_t


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _lane_step(run, a, b, lr, first):
    """Two steps (``b >= 0``) or one (``b < 0``) for k = 5 shared, on the 16-lane path.

    The arithmetic of :func:`_pair2_step` / :func:`_pair_step`, with the gradients of all
    twelve scores from one vectorised loop; ``first`` says whether this is the window's first
    step (it writes the output gradients instead of adding to them).
    """
    W, C, sc = run.W, run.C, run.scratch
    rows, lanes = sc.targets, sc.lanes
    r0, r1, r2, r3, r4, r5 = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]
    if b >= 0:
        (lanes[LANE_SCORE, 0], lanes[LANE_SCORE, 1], lanes[LANE_SCORE, 2], lanes[LANE_SCORE, 3],
         lanes[LANE_SCORE, 4], lanes[LANE_SCORE, 5], lanes[LANE_SCORE, 6], lanes[LANE_SCORE, 7],
         lanes[LANE_SCORE, 8], lanes[LANE_SCORE, 9], lanes[LANE_SCORE, 10],
         lanes[LANE_SCORE, 11]) = dots6x2(W, a, b, C, r0, r1, r2, r3, r4, r5)
    else:
        (lanes[LANE_SCORE, 0], lanes[LANE_SCORE, 1], lanes[LANE_SCORE, 2], lanes[LANE_SCORE, 3],
         lanes[LANE_SCORE, 4], lanes[LANE_SCORE, 5]) = dots6(W, a, C, r0, r1, r2, r3, r4, r5)
    lane_gradients(lanes, lr)
    if run.params.compute_loss:  # lanes 0-5, then 6-11 for a second row: one copy of the code
        for base in range(0, 12 if b >= 0 else 6, 6):
            lane_loss(lanes, sc.mask, base, run.acc)
    # A literal flag, so that each call compiles to its own loop without the untaken branch.
    if b >= 0:
        if first:
            update6x2(W, a, b, C, rows, sc.out_grads, lanes, True)
        else:
            update6x2(W, a, b, C, rows, sc.out_grads, lanes, False)
    elif first:
        update6(W, a, C, rows, sc.out_grads, lanes, True)
    else:
        update6(W, a, C, rows, sc.out_grads, lanes, False)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def sg_pairs_window(negatives, buf, i, lo, hi, lr, run):
    """Skip-gram updates for centre ``buf[i]``, k fresh negatives for every context."""
    centre = centre_row(run, buf, i)
    if centre < 0:
        return
    in_lo = run.params.in_lo
    in_hi = run.params.in_hi
    anchor = run.scratch.anchor
    neg_scale = np.float32(run.params.neg_scale)
    for j in range(lo, hi):
        cw = buf[j]
        if j == i or cw < in_lo or cw >= in_hi:
            continue
        cw -= in_lo
        run.acc[STAT_PAIRS] += 1.0
        if run.tables.pool > 1:
            zero_rows(anchor)
            axpy(np.float32(1.0), run.W, cw, anchor, 0)
        draw_negatives(negatives, run, centre, buf, lo, hi, i)
        _pair_step(run, cw, lr, neg_scale, False)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _shared_window_start(negatives, buf, i, lo, hi, run):
    """Draw a window's shared negatives and list its contexts (input rows of the block).

    Returns how many contexts ``scratch.ctx`` holds (0: nothing to train).
    """
    centre = centre_row(run, buf, i)
    if centre < 0:
        return 0
    in_lo = run.params.in_lo
    in_hi = run.params.in_hi
    anchor = run.scratch.anchor
    if run.tables.pool > 1:
        zero_rows(anchor)
        for j in range(lo, hi):
            if j != i and in_lo <= buf[j] < in_hi:
                axpy(np.float32(1.0), run.W, buf[j] - in_lo, anchor, 0)
    draw_negatives(negatives, run, centre, buf, lo, hi, i)
    n = 0
    ctx = run.scratch.ctx
    for j in range(lo, hi):
        if j != i and in_lo <= buf[j] < in_hi:
            ctx[n] = buf[j] - in_lo
            n += 1
    run.acc[STAT_PAIRS] += n
    return n


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _shared_window_end(run):
    """Apply a window's accumulated output-row gradients to C."""
    sc = run.scratch
    for t in range(sc.targets.shape[0]):
        if sc.mask[t] != 0:
            axpy(np.float32(1.0), sc.out_grads, t, run.C, sc.targets[t])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def sg_shared_window(negatives, buf, i, lo, hi, lr, run):
    """Skip-gram updates for centre ``buf[i]`` with one set of negatives for the window.

    Contexts are trained two at a time; a context repeated right after itself is trained
    alone (the second step must see the first).
    """
    n = _shared_window_start(negatives, buf, i, lo, hi, run)
    if n == 0:
        return
    zero_rows(run.scratch.out_grads)
    neg_scale = np.float32(run.params.neg_scale)
    ctx = run.scratch.ctx
    t = 0
    while t < n:
        a = ctx[t]
        t += 1
        b = -1
        if t < n and ctx[t] != a:
            b = ctx[t]
            t += 1
        _shared_step(run, a, b, lr, neg_scale)
    _shared_window_end(run)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def sg6_window(negatives, buf, i, lo, hi, lr, run):
    """:func:`sg_shared_window` for k = 5 on the 16-lane path (the default)."""
    n = _shared_window_start(negatives, buf, i, lo, hi, run)
    if n == 0:
        return
    set_lanes(run.scratch.lanes, run.scratch.mask, np.float32(run.params.neg_scale))
    ctx = run.scratch.ctx
    t = 0
    while t < n:
        a = ctx[t]
        b = -1
        first = t == 0
        t += 1
        if t < n and ctx[t] != a:
            b = ctx[t]
            t += 1
        _lane_step(run, a, b, lr, first)
    _shared_window_end(run)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def cbow_window(negatives, buf, i, lo, hi, lr, run):
    """CBOW update: the (mean or sum of the) context input vectors predict the centre."""
    W, C, sc = run.W, run.C, run.scratch
    h = sc.anchor
    w = buf[i]
    zero_rows(h)
    count = 0
    for j in range(lo, hi):
        if j != i:
            count += 1
            axpy(np.float32(1.0), W, buf[j], h, 0)
    if count == 0:
        return
    if run.params.cbow_mean:
        inv = np.float32(1.0 / count)
        for x in range(W.shape[1]):
            h[0, x] *= inv
    sc.targets[0] = w
    sc.mask[0] = 1
    draw_negatives(negatives, run, w, buf, lo, hi, i)
    run.acc[STAT_PAIRS] += 1.0
    score_rows(h, 0, C, sc.targets, sc.gs)
    gradient_scales(sc.gs, sc.mask, sc.gs, lr, np.float32(1.0), run.params.compute_loss,
                    run.acc)
    zero_rows(sc.in_grad)
    gather_add(C, sc.targets, sc.gs, sc.in_grad, 0)  # input gradient from rows before the step
    scatter_add(h, 0, C, sc.targets, sc.gs)
    # word2vec.c adds the full input gradient to every context vector, mean or sum.
    for j in range(lo, hi):
        if j != i:
            axpy(np.float32(1.0), sc.in_grad, 0, W, buf[j])
