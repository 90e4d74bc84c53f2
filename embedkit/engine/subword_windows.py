"""Window updates on subword rows (fastText): a token's input vector is the mean of its rows.

The marker (:class:`~embedkit.engine.modes.SubwordsSg` / ``SubwordsCbow``) carries a CSR table
``token -> rows of W``: for fastText, the word's own row and its hashed n-gram rows. Plain
word2vec never compiles this module's code (its markers have no table).

Skip-gram follows fastText's orientation: the centre's input ``h = mean(W[rows(centre)])``
predicts every context's output row, with k negatives drawn per (centre, context) pair. The
output rows are updated pair by pair; the input gradient ``sum_pairs sum_t g_t u_t`` (the
gradient with respect to ``h``) is accumulated over the window and added to *each* of the
centre's rows once the window is done, as fastText and gensim add it to each row. With
per-pair negatives ``h`` also moves by the gradient after each pair, as fastText's and
gensim's rows do (they update the rows after every pair); with shared negatives ``h`` stays
fixed over the window.
CBOW: ``h`` is the mean over the contexts of their row means, and the gradient with respect to
``h`` is added to each row of each context (word2vec.c's convention for CBOW).

Window functions take ``(table, negatives, buf, i, lo, hi, lr, run)``; see
:mod:`embedkit.engine.sgns` for the rest of the conventions (``tests/naive.py`` has the NumPy
reference).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.intrinsics import prefetch_row
from embedkit.engine.loss import gradient_scales, label_probability, loss_commit, loss_term
from embedkit.engine.negatives import draw_negatives
from embedkit.engine.params import FASTMATH, STAT_PAIRS
from embedkit.engine.rows import axpy, dot, gather_add, scatter_add, score_rows, zero_rows

__all__ = ["row_mean", "subword_sg_window", "subword_sg_shared_window", "subword_cbow_window"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def row_mean(table, W, token, out, weight):
    """``out[0] += weight * mean(W[rows(token)])``; returns the token's row count."""
    a = table.indptr[token]
    b = table.indptr[token + 1]
    if b <= a:
        return 0
    g = np.float32(weight / (b - a))
    for p in range(a, b):
        axpy(g, W, table.rows[p], out, 0)
    return b - a


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def _add_to_rows(table, token, grad, W):
    for p in range(table.indptr[token], table.indptr[token + 1]):
        axpy(np.float32(1.0), grad, 0, W, table.rows[p])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def _copy_row(src, dst):
    """``dst[0] = src[0]``."""
    for x in range(src.shape[1]):
        dst[0, x] = src[0, x]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def _moved_mean(h0, grad, h):
    """``h[0] = h0[0] + grad[0]``: the centre's mean after the gradient so far."""
    for x in range(h.shape[1]):
        h[0, x] = h0[0, x] + grad[0, x]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def _pair(run, target, lr):
    """One (h, target) step with k negatives: C updated now, h's gradient into in_grad."""
    sc = run.scratch
    sc.targets[0] = target
    sc.mask[0] = 1
    score_rows(sc.anchor, 0, run.C, sc.targets, sc.gs)
    gradient_scales(sc.gs, sc.mask, sc.gs, lr, np.float32(1.0), run.params.compute_loss,
                    run.acc)
    gather_add(run.C, sc.targets, sc.gs, sc.in_grad, 0)  # from the rows before the step
    scatter_add(sc.anchor, 0, run.C, sc.targets, sc.gs)
    run.acc[STAT_PAIRS] += 1.0


@njit(nogil=True, cache=True, error_model="numpy", forceinline=True, _nrt=False)
def _prefetch_rows(table, W, token):
    """Start loading the input rows of ``token`` (the next centre) into the cache."""
    for p in range(table.indptr[token], table.indptr[token + 1]):
        prefetch_row(W, table.rows[p])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def subword_sg_window(table, negatives, buf, i, lo, hi, lr, run):
    """Skip-gram: the centre's row mean predicts each context of ``buf[lo:hi]``.

    As in fastText and gensim, each pair sees the centre's vector moved by the pairs before
    it: ``h = h0 + g`` with ``g`` the input gradient so far, which is the mean the centre's
    rows would have if ``g`` were added to each of them after every pair (exactly so when the
    rows are distinct). The rows themselves get ``g`` once, when the window is done.
    """
    sc = run.scratch
    if i + 1 < hi:
        _prefetch_rows(table, run.W, buf[i + 1])
    centre = buf[i]
    zero_rows(sc.anchor)
    if row_mean(table, run.W, centre, sc.anchor, 1.0) == 0 or hi - lo < 2:
        return
    zero_rows(sc.in_grad)
    h0 = sc.out_grads  # row 0 keeps the centre's starting mean
    _copy_row(sc.anchor, h0)
    for j in range(lo, hi):
        if j == i:
            continue
        draw_negatives(negatives, run, buf[j], buf, lo, hi, i)
        _pair(run, buf[j], lr)
        _moved_mean(h0, sc.in_grad, sc.anchor)
    _add_to_rows(table, centre, sc.in_grad, run.W)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def _shared_negatives_step(run, m, lr):
    """k negatives against ``h``, standing for ``m`` pairs of the window.

    With ``h`` fixed over the window, the m pairs' terms of a shared negative are one term
    counted m times: its gradient is scaled by m and its loss counted m times.
    """
    sc = run.scratch
    prod, direct, neg_sig, terms = 1.0, 0.0, 0.0, 0
    sc.targets[0] = sc.targets[1]  # unused slot (gradient 0): keeps score_rows' grouping
    sc.mask[0] = 0
    score_rows(sc.anchor, 0, run.C, sc.targets, sc.gs)
    sc.gs[0] = 0.0
    for t in range(1, sc.targets.shape[0]):
        if sc.mask[t] == 0:
            sc.gs[t] = 0.0
            continue
        f = sc.gs[t]
        sig, q, _ = label_probability(f, 0)
        sc.gs[t] = -lr * sig * np.float32(m)
        if run.params.compute_loss:
            for _ in range(m):
                prod, direct = loss_term(f, q, prod, direct)
            neg_sig += sig * m
            terms += m
    if run.params.compute_loss:
        loss_commit(prod, direct, neg_sig, terms, run.acc)
    gather_add(run.C, sc.targets, sc.gs, sc.in_grad, 0)  # from the rows before the step
    scatter_add(sc.anchor, 0, run.C, sc.targets, sc.gs)


#: Contexts that share one set of k negatives in the shared-negatives skip-gram window.
#: Sharing one set across a whole window is fastest but the centre's rows then see few
#: distinct negatives, each with a large step: on the 7M-token corpus analogy accuracy fell
#: from 0.51 (per-pair, = gensim) to 0.45; one set per 2 contexts gave 0.507 for ~20 % more
#: CPU than one per window (3 contexts: 0.498).
SHARE_CONTEXTS = 2


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def subword_sg_shared_window(table, negatives, buf, i, lo, hi, lr, run):
    """Skip-gram, one set of k negatives per :data:`SHARE_CONTEXTS` contexts of the window.

    The centre's row mean ``h`` is computed once; each context's positive term updates its
    output row at once; then each set of negatives (drawn for the centre; one equal to a
    context of the window is skipped) is scored once against ``h``, standing for its group of
    contexts; the summed gradient of ``h`` goes to every centre row at the end.
    """
    sc = run.scratch
    C = run.C
    if i + 1 < hi:
        _prefetch_rows(table, run.W, buf[i + 1])
    m = hi - lo - 1
    centre = buf[i]
    if m < 1:
        return
    zero_rows(sc.anchor)
    if row_mean(table, run.W, centre, sc.anchor, 1.0) == 0:
        return
    zero_rows(sc.in_grad)
    prod, direct, terms = 1.0, 0.0, 0
    for j in range(lo, hi):
        if j == i:
            continue
        c = buf[j]
        f = dot(sc.anchor, 0, C, c)
        sig, q, _ = label_probability(f, 1)
        g = lr * (np.float32(1.0) - sig)
        if run.params.compute_loss:
            prod, direct = loss_term(f, q, prod, direct)
            terms += 1
        axpy(g, C, c, sc.in_grad, 0)
        axpy(g, sc.anchor, 0, C, c)
    run.acc[STAT_PAIRS] += m
    if run.params.compute_loss:
        loss_commit(prod, direct, 0.0, terms, run.acc)
    k1 = sc.targets.shape[0]
    done = 0
    while k1 > 1 and done < m:
        group = min(SHARE_CONTEXTS, m - done)
        draw_negatives(negatives, run, centre, buf, lo, hi, i)
        for j in range(lo, hi):  # a negative equal to a context is skipped
            if j != i:
                for t in range(1, k1):
                    if sc.targets[t] == buf[j]:
                        sc.mask[t] = 0
        _shared_negatives_step(run, group, lr)
        done += group
    _add_to_rows(table, centre, sc.in_grad, run.W)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def subword_cbow_window(table, negatives, buf, i, lo, hi, lr, run):
    """CBOW: the mean of the contexts' row means predicts the centre ``buf[i]``."""
    sc = run.scratch
    zero_rows(sc.anchor)
    count = hi - lo - 1
    if count < 1:
        return
    for j in range(lo, hi):
        if j != i:
            row_mean(table, run.W, buf[j], sc.anchor, 1.0 / count)
    zero_rows(sc.in_grad)
    draw_negatives(negatives, run, buf[i], buf, lo, hi, i)
    _pair(run, buf[i], lr)
    for j in range(lo, hi):
        if j != i:
            _add_to_rows(table, buf[j], sc.in_grad, run.W)
