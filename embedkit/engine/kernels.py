"""Numba SGNS kernels: one kernel per objective (skip-gram, CBOW), shared by every sampler.

Conventions (see ``tests/naive.py`` for the plain NumPy reference these are tested against):

* ``W`` holds the input vectors v (one row per id) and ``C`` the output ("context") vectors u,
  both C-contiguous float32.
* A batch is a CSR set of id sequences cut into *chunks* of whole sequences. Chunks run in
  parallel (``prange``, lock-free "Hogwild" updates as in word2vec.c); each owns a xorshift
  stream seeded from ``(seed, epoch, chunk)`` so results never depend on which thread ran it.
* Per sequence the kernel drops ids < 0 and subsamples (keep id with probability
  ``keep_prob[id]``), then slides the window over the kept tokens. For each centre it draws a
  reduced window ``b ~ U{1..window}`` (unless ``shrink_window`` is off) and trains the pairs.
* Skip-gram follows word2vec.c: each context word's input vector predicts the centre word's
  output vector, which is equivalent in expectation to the centre predicting its contexts.
* ``shared_negatives``: draw one set of k negatives per centre window and reuse it for every
  context in that window, accumulating the output-row gradients and applying them once per
  window (the pWord2Vec / HogBatch idea: far fewer writes to hot output rows). Otherwise every
  (context, centre) pair draws its own k negatives, exactly as word2vec.c.
* Gradient step for input v, output u, label y in {0, 1}: ``g = lr * (y - sigmoid(v.u))``;
  ``v += g u`` and ``u += g v`` (ascent on ``log sigmoid(v.u) + sum log sigmoid(-v.u_n)``).
* The loss ``-log sigmoid(+-v.u)`` is exact and numerically stable, summed in float64 per chunk.
* Skipped work is marked with a 0/1 mask, never with NaN (``fastmath`` removes NaN checks).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from embedkit.engine.intrinsics import float32_from_bits, prefetch_row
from embedkit.rng import next_u64, rand_float

__all__ = ["KernelParams", "train_chunks", "N_STATS"]

#: LLVM fast-math flags of the kernels: every flag of ``fastmath=True`` except ``arcp`` and
#: ``afn``. Reassociation lets the row loops vectorise; approximate reciprocals are left out
#: so that a division gives the same float whether LLVM vectorises it (it would use an
#: estimate) or not: the same code inlined into two kernels must agree bit for bit.
FASTMATH = {"nnan", "ninf", "nsz", "contract", "reassoc"}

#: Columns of the per-chunk statistics array.
STAT_LOSS, STAT_TERMS, STAT_PAIRS, STAT_WORDS, STAT_NEG_SIGMOID = 0, 1, 2, 3, 4
STAT_PROD = 5  # scratch: pending product of label probabilities (0 = empty)
N_STATS = 6


class KernelParams(NamedTuple):
    """Scalar settings of one training run, as the kernel sees them."""

    window: int
    negative: int
    sg: bool
    shrink_window: bool
    shared_negatives: bool
    cbow_mean: bool
    lr0: float
    min_lr: float
    total_words: float  # raw tokens over all epochs: the denominator of the lr schedule
    compute_loss: bool
    # Block training (distributed block rotation): only pairs whose input (context) id is in
    # [in_lo, in_hi) and whose output (centre) id is in [out_lo, out_hi) are trained; W then
    # holds rows in_lo.. and C rows out_lo.., and the sampler tables cover the output block in
    # local numbering. The defaults (whole vocabulary) make this a no-op.
    in_lo: int = 0
    in_hi: int = 2**62
    out_lo: int = 0
    out_hi: int = 2**62
    neg_scale: float = 1.0  # weight of the negative terms' gradients (block reweighting)


# Row loops live in tiny functions over (matrix, row) pairs: LLVM vectorises each on its own,
# and no array views are created in the hot path (a view costs a reference-count update on the
# shared weight matrix, which threads would fight over).
@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _dot(A, a, B, b):
    """``A[a] . B[b]``."""
    s = np.float32(0.0)
    for x in range(A.shape[1]):
        s += A[a, x] * B[b, x]
    return s


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _axpy(g, X, i, Y, j):
    """``Y[j] += g * X[i]`` in place."""
    for x in range(X.shape[1]):
        Y[j, x] += g * X[i, x]


# Fused multi-row passes. With k negatives a pair touches k + 1 output rows; doing their dot
# products (or their updates) in one pass over the input row, with the row count fixed in the
# code, keeps the partial sums in vector registers and reads the input row once instead of
# k + 1 times. That halves the kernel's time at the default k = 5 (one group of six). Other k
# use groups of six, then of two, then single rows; the result is the same up to float
# summation order.
@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _dots6(X, i, Y, r0, r1, r2, r3, r4, r5):
    s0 = s1 = s2 = s3 = s4 = s5 = np.float32(0.0)
    for x in range(X.shape[1]):
        v = X[i, x]
        s0 += v * Y[r0, x]
        s1 += v * Y[r1, x]
        s2 += v * Y[r2, x]
        s3 += v * Y[r3, x]
        s4 += v * Y[r4, x]
        s5 += v * Y[r5, x]
    return s0, s1, s2, s3, s4, s5


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _dots2(X, i, Y, r0, r1):
    s0 = s1 = np.float32(0.0)
    for x in range(X.shape[1]):
        v = X[i, x]
        s0 += v * Y[r0, x]
        s1 += v * Y[r1, x]
    return s0, s1


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _scores(X, i, Y, rows, out):
    """``out[t] = X[i] . Y[rows[t]]`` for every t."""
    n = rows.shape[0]
    t = 0
    while t + 6 <= n:
        out[t], out[t + 1], out[t + 2], out[t + 3], out[t + 4], out[t + 5] = _dots6(
            X, i, Y, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], rows[t + 4], rows[t + 5])
        t += 6
    while t + 2 <= n:
        out[t], out[t + 1] = _dots2(X, i, Y, rows[t], rows[t + 1])
        t += 2
    if t < n:
        out[t] = _dot(X, i, Y, rows[t])


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _dots6x2(X, a, b, Y, r0, r1, r2, r3, r4, r5):
    """:func:`_dots6` for two input rows at once: each output row is read once for both."""
    a0 = a1 = a2 = a3 = a4 = a5 = np.float32(0.0)
    b0 = b1 = b2 = b3 = b4 = b5 = np.float32(0.0)
    for x in range(X.shape[1]):
        va = X[a, x]
        vb = X[b, x]
        y0 = Y[r0, x]
        y1 = Y[r1, x]
        y2 = Y[r2, x]
        y3 = Y[r3, x]
        y4 = Y[r4, x]
        y5 = Y[r5, x]
        a0 += va * y0
        a1 += va * y1
        a2 += va * y2
        a3 += va * y3
        a4 += va * y4
        a5 += va * y5
        b0 += vb * y0
        b1 += vb * y1
        b2 += vb * y2
        b3 += vb * y3
        b4 += vb * y4
        b5 += vb * y5
    return a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _scores2(X, a, b, Y, rows, out_a, out_b):
    """:func:`_scores` for input rows ``X[a]`` and ``X[b]``."""
    n = rows.shape[0]
    t = 0
    while t + 6 <= n:
        (out_a[t], out_a[t + 1], out_a[t + 2], out_a[t + 3], out_a[t + 4], out_a[t + 5],
         out_b[t], out_b[t + 1], out_b[t + 2], out_b[t + 3], out_b[t + 4], out_b[t + 5]) = \
            _dots6x2(X, a, b, Y, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], rows[t + 4],
                     rows[t + 5])
        t += 6
    while t + 2 <= n:
        out_a[t], out_a[t + 1] = _dots2(X, a, Y, rows[t], rows[t + 1])
        out_b[t], out_b[t + 1] = _dots2(X, b, Y, rows[t], rows[t + 1])
        t += 2
    if t < n:
        out_a[t] = _dot(X, a, Y, rows[t])
        out_b[t] = _dot(X, b, Y, rows[t])


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _accumulate(X, i, G, g):
    """``G[t] += g[t] * X[i]`` for every row t of ``G`` (a window's output-row gradients)."""
    for t in range(G.shape[0]):
        _axpy(g[t], X, i, G, t)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _accumulate2(X, a, b, G, g_a, g_b):
    """``G[t] += g_a[t] * X[a] + g_b[t] * X[b]`` for every row t of ``G``."""
    for t in range(G.shape[0]):
        ga = g_a[t]
        gb = g_b[t]
        for x in range(X.shape[1]):
            G[t, x] += ga * X[a, x] + gb * X[b, x]


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _outer(X, i, Y, rows, g):
    """``Y[rows[t]] += g[t] * X[i]`` for every t, one row at a time (rows may repeat)."""
    for t in range(rows.shape[0]):
        _axpy(g[t], X, i, Y, rows[t])


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _combine(Y, rows, g, X, i):
    """``X[i] += sum_t g[t] * Y[rows[t]]``."""
    n = rows.shape[0]
    t = 0
    while t + 6 <= n:
        r0, r1, r2, r3, r4, r5 = rows[t], rows[t + 1], rows[t + 2], rows[t + 3], rows[t + 4], \
            rows[t + 5]
        g0, g1, g2, g3, g4, g5 = g[t], g[t + 1], g[t + 2], g[t + 3], g[t + 4], g[t + 5]
        for x in range(X.shape[1]):
            X[i, x] += (g0 * Y[r0, x] + g1 * Y[r1, x] + g2 * Y[r2, x] + g3 * Y[r3, x]
                        + g4 * Y[r4, x] + g5 * Y[r5, x])
        t += 6
    while t + 2 <= n:
        r0, r1 = rows[t], rows[t + 1]
        g0, g1 = g[t], g[t + 1]
        for x in range(X.shape[1]):
            X[i, x] += g0 * Y[r0, x] + g1 * Y[r1, x]
        t += 2
    if t < n:
        _axpy(g[t], Y, rows[t], X, i)


# One-pass updates for the default k = 5 with shared negatives. After the scores, a step reads
# and writes every row it touches once (the input row(s), the six output rows, the window's six
# output-gradient rows) in a single loop, instead of one pass per row; the arithmetic is that of
# _accumulate/_accumulate2 + _combine, term for term. The window's first step writes the
# output gradients instead of adding them to zeroed rows.
# (Per-pair negatives keep the row-by-row updates: writing six shared output rows in one loop
# made two threads fight over their cache lines, 9.4 s -> 15.1 s on the 2-thread k-mer
# benchmark.)
@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _update6(X, i, Y, rows, G, lanes, first):
    """Input row ``X[i]`` against the six output rows, gradients ``g = lanes[LANE_GRAD, :6]``.

    ``G[t] += g[t] * X[i]`` (``X[i]`` before its update; ``=`` if ``first``), then
    ``X[i] += sum_t g[t] Y[rows[t]]``.
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
        h0 = g0 * v
        h1 = g1 * v
        h2 = g2 * v
        h3 = g3 * v
        h4 = g4 * v
        h5 = g5 * v
        if not first:
            h0 += G[0, x]
            h1 += G[1, x]
            h2 += G[2, x]
            h3 += G[3, x]
            h4 += G[4, x]
            h5 += G[5, x]
        X[i, x] = v + (g0 * y0 + g1 * y1 + g2 * y2 + g3 * y3 + g4 * y4 + g5 * y5)
        G[0, x] = h0
        G[1, x] = h1
        G[2, x] = h2
        G[3, x] = h3
        G[4, x] = h4
        G[5, x] = h5


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _update6x2(X, a, b, Y, rows, G, lanes, first):
    """:func:`_update6` for two different input rows ``a != b`` (lanes 0-5 and 6-11)."""
    r0, r1, r2, r3, r4, r5 = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]
    a0, a1, a2, a3, a4, a5 = (lanes[LANE_GRAD, 0], lanes[LANE_GRAD, 1], lanes[LANE_GRAD, 2],
                              lanes[LANE_GRAD, 3], lanes[LANE_GRAD, 4], lanes[LANE_GRAD, 5])
    b0, b1, b2, b3, b4, b5 = (lanes[LANE_GRAD, 6], lanes[LANE_GRAD, 7], lanes[LANE_GRAD, 8],
                              lanes[LANE_GRAD, 9], lanes[LANE_GRAD, 10], lanes[LANE_GRAD, 11])
    for x in range(X.shape[1]):
        va = X[a, x]
        vb = X[b, x]
        y0 = Y[r0, x]
        y1 = Y[r1, x]
        y2 = Y[r2, x]
        y3 = Y[r3, x]
        y4 = Y[r4, x]
        y5 = Y[r5, x]
        h0 = a0 * va + b0 * vb
        h1 = a1 * va + b1 * vb
        h2 = a2 * va + b2 * vb
        h3 = a3 * va + b3 * vb
        h4 = a4 * va + b4 * vb
        h5 = a5 * va + b5 * vb
        if not first:
            h0 += G[0, x]
            h1 += G[1, x]
            h2 += G[2, x]
            h3 += G[3, x]
            h4 += G[4, x]
            h5 += G[5, x]
        X[a, x] = va + (a0 * y0 + a1 * y1 + a2 * y2 + a3 * y3 + a4 * y4 + a5 * y5)
        X[b, x] = vb + (b0 * y0 + b1 * y1 + b2 * y2 + b3 * y3 + b4 * y4 + b5 * y5)
        G[0, x] = h0
        G[1, x] = h1
        G[2, x] = h2
        G[3, x] = h3
        G[4, x] = h4
        G[5, x] = h5


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _zero_rows(A):
    for r in range(A.shape[0]):
        for x in range(A.shape[1]):
            A[r, x] = 0.0


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _exp_nonpos(x):
    """``exp(x)`` for float32 ``x <= 0``, within 2 ulp; below -87.33 it returns exp(-87.33).

    A polynomial instead of a call to libm's ``expf``, so that loops over several scores
    vectorise: ``x = n ln2 + r`` with ``|r| <= ln2 / 2`` (the reduction in float64, which
    fast-math reassociation cannot spoil), a degree-7 Taylor polynomial for ``exp(r)``
    (truncation error below 5e-9), times ``2**n`` built from its bit pattern. The clamp keeps
    ``2**n`` a normal float32; :func:`_label_probability` needs nothing smaller.
    """
    x = max(x, np.float32(-87.33))
    n = np.floor(x * np.float32(1.4426950408889634) + np.float32(0.5))
    r = np.float32(np.float64(x) - np.float64(n) * 0.6931471805599453)
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    return p * float32_from_bits((np.int64(n) + 127) << 23)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _label_probability(f, label):
    """``(sigmoid(f), q, e)``: ``q = sigmoid(+-f)`` is the probability of the right label.

    Both come from ``e = exp(-|f|)`` (in (0, 1]: never overflows) without cancellation, and
    are picked by selects rather than branches on the sign of ``f``, which a pair's random
    negatives make unpredictable.
    """
    one = np.float32(1.0)
    e = _exp_nonpos(-abs(f))
    a = one / (one + e)  # sigmoid(|f|)
    b = e * a  # sigmoid(-|f|)
    pos = f >= 0
    sig = a if pos else b
    q = sig if label == 1 else (b if pos else a)
    return sig, q, e


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _sigmoid_loss(f, label, compute_loss, acc):
    """Return ``label - sigmoid(f)`` and account for the term's loss ``-log sigmoid(+-f)``.

    The loss is exact (:func:`_label_probability`), and the ``q`` of the terms are multiplied
    in float64 (``acc[STAT_PROD]``); :func:`_flush_loss` takes one ``log`` of the product only
    when it nears float64's range, instead of one per term. A term too small for the product
    is added directly. (:func:`_gradient_scales` is the same for a whole pair at once.)
    """
    sig, q, e = _label_probability(f, label)
    if compute_loss:
        if q > np.float32(1e-30):
            prod = acc[STAT_PROD]
            acc[STAT_PROD] = np.float64(q) if prod == 0.0 else prod * np.float64(q)
        else:  # -log q = |f| + log1p(e) exactly, for a hopelessly wrong score
            acc[STAT_LOSS] += np.float64(abs(f)) + np.float64(np.log1p(e))
        if label == 0:
            acc[STAT_NEG_SIGMOID] += sig
        acc[STAT_TERMS] += 1.0
    return np.float32(label) - sig


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _flush_loss(compute_loss, acc, final=False):
    """Move ``-log`` of the pending probability product into the loss.

    Called after each pair, it flushes only once the product drops below 1e-200 (the next
    pair multiplies it by at least 1e-100, see :func:`_gradient_scales`, so it cannot
    underflow); ``final=True`` (end of a chunk) always flushes, leaving ``acc[STAT_PROD]``
    at 0.
    """
    if compute_loss:
        prod = acc[STAT_PROD]
        if prod > 0.0 and (final or prod < 1e-200):
            acc[STAT_LOSS] -= np.log(prod)
            acc[STAT_PROD] = 0.0


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _alias_draw(tables, state, slot):
    n = tables.alias_prob.shape[0]
    r = next_u64(state, slot)
    j = np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
    u = np.float64(r & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)
    if u < tables.alias_prob[j]:
        return j
    return np.int64(tables.alias_idx[j])


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _draw_negative(tables, target, anchor, C, state, slot):
    """One negative for positive ``target``; ``anchor`` is the input vector used for scoring."""
    if tables.cand_mix > 0.0:
        lo = tables.cand_indptr[target]
        hi = tables.cand_indptr[target + 1]
        if hi > lo and rand_float(state, slot) < tables.cand_mix:
            k = np.int64(
                ((next_u64(state, slot) >> np.uint64(32)) * np.uint64(hi - lo)) >> np.uint64(32)
            )
            return np.int64(tables.cand_ids[lo + k])
    if tables.pool <= 1:
        return _alias_draw(tables, state, slot)
    if tables.pool_mix < 1.0 and rand_float(state, slot) >= tables.pool_mix:
        return _alias_draw(tables, state, slot)
    # Pool-and-pick: score `pool` base draws by the current model, keep the best or sample
    # proportionally to exp(score / temperature) (Gumbel-max trick, one pass).
    best = np.int64(-1)
    best_key = -np.inf
    for _ in range(tables.pool):
        cand = _alias_draw(tables, state, slot)
        s = np.float64(_dot(anchor, 0, C, cand))
        if tables.temperature > 0.0:
            u = rand_float(state, slot)
            s = s / tables.temperature - np.log(-np.log(u + 1e-300) + 1e-300)
        if s > best_key:
            best_key = s
            best = cand
    return best


@njit(nogil=True, cache=True, _nrt=False)
def _in_window(buf, lo, hi, skip, token):
    """Is ``token`` (a global id) one of the window's tokens other than the centre?"""
    for j in range(lo, hi):
        if j != skip and buf[j] == token:
            return True
    return False


@njit(nogil=True, cache=True, _nrt=False)
def _excluded(tables, target, token):
    """Is ``token`` on ``target``'s exclusion list (binary search in a sorted CSR row)?"""
    if tables.excl_indptr.shape[0] == 1:
        return False
    lo = tables.excl_indptr[target]
    hi = tables.excl_indptr[target + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        v = tables.excl_ids[mid]
        if v == token:
            return True
        if v < token:
            lo = mid + 1
        else:
            hi = mid
    return False


@njit(nogil=True, cache=True, _nrt=False)
def _rejected(tables, target, neg, buf, lo, hi, centre, out_lo):
    if neg == target:
        return True
    if tables.exclude_window and _in_window(buf, lo, hi, centre, neg + out_lo):
        return True
    return _excluded(tables, target, neg)


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _draw_negatives_general(tables, target, anchor, C, state, slot, buf, lo, hi, centre, out,
                            mask, out_lo):
    """Negatives with candidate lists, pools or window exclusion (the table-driven samplers)."""
    for t in range(1, out.shape[0]):
        neg = _draw_negative(tables, target, anchor, C, state, slot)
        if tables.exclude_window or tables.excl_indptr.shape[0] > 1:
            tries = 0
            while tries < 8 and _rejected(tables, target, neg, buf, lo, hi, centre, out_lo):
                neg = _draw_negative(tables, target, anchor, C, state, slot)
                tries += 1
            bad = _rejected(tables, target, neg, buf, lo, hi, centre, out_lo)
        else:
            bad = neg == target
        out[t] = neg
        mask[t] = 0 if bad else 1


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _draw_negatives(tables, target, anchor, C, state, slot, buf, lo, hi, centre, out, mask,
                    out_lo, ahead):
    """Fill ``out[1:]`` with negatives for ``target``; ``mask[t] = 0`` marks a skipped one.

    Like word2vec.c, a negative equal to the positive target is skipped, not redrawn.

    On the plain alias-table path the draws run one window ahead: ``ahead[1:]`` holds the next
    negatives of the stream (``ahead[0] = 1`` once filled), and their output rows are
    prefetched, so their cache misses overlap this window's arithmetic. The draws and their
    order are exactly those of drawing on demand.
    """
    if (tables.cand_mix == 0.0 and tables.pool <= 1 and not tables.exclude_window
            and tables.excl_indptr.shape[0] == 1):
        k1 = out.shape[0]
        if ahead[0] == 0:
            for t in range(1, k1):
                ahead[t] = _alias_draw(tables, state, slot)
            ahead[0] = 1
        for t in range(1, k1):
            neg = ahead[t]
            out[t] = neg
            mask[t] = 0 if neg == target else 1
            nxt = _alias_draw(tables, state, slot)
            ahead[t] = nxt
            prefetch_row(C, nxt)
    else:
        _draw_negatives_general(tables, target, anchor, C, state, slot, buf, lo, hi, centre, out,
                                mask, out_lo)


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _skip_negatives(state, slot, ahead, k):
    """Consume a skipped window's k shared negatives from the stream without drawing them.

    For the plain alias-table path of :func:`_draw_negatives`, which draws one window ahead:
    ``ahead`` holds this window's negatives when ``ahead[0]`` is set (the stream is then past
    them), else the stream stands at them. Each draw takes one 64-bit step, so skipping is k
    steps at most, and later windows get exactly the negatives they would have had.
    """
    if ahead[0] == 0:
        for _ in range(k):
            next_u64(state, slot)
    else:
        ahead[0] = 0


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _eff_window(params, states, slot):
    """This centre's window: ``window - b``, ``b`` uniform in ``[0, window)`` when shrinking."""
    if params.shrink_window:
        b = np.int64(((next_u64(states, slot) >> np.uint64(32)) * np.uint64(params.window))
                     >> np.uint64(32))
        return params.window - b
    return params.window


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _sequence_lr(params, chunk_pos, offset, pos_scale):
    """Learning rate of a sequence starting ``offset`` ids into a chunk at ``chunk_pos``.

    Linear decay by the raw-token position of the sequence start (word2vec.c also updates it
    per sentence).
    """
    progress = (chunk_pos + offset * pos_scale) / params.total_words
    return np.float32(params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0))


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _subsample(ids, start, stop, keep_prob, state, slot, buf):
    """Copy the kept in-vocabulary ids of ``ids[start:stop]`` into ``buf``; return their count."""
    n = 0
    for i in range(start, stop):
        w = ids[i]
        if w < 0:
            continue
        p = keep_prob[w]
        if p < 1.0 and rand_float(state, slot) >= p:
            continue
        buf[n] = w
        n += 1
    return n


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _loss_term(f, q, prod, direct):
    """Account for one term ``-log q`` (``q`` the right label's probability, score ``f``).

    ``q`` joins the float64 product ``prod``; ``-log`` of it moves into ``direct`` once per
    ~200 decades of probability. A ``q`` too small for the product is added directly, exactly:
    ``-log q = |f| + log1p(exp(-|f|))``.
    """
    if q > np.float32(1e-30):
        prod *= np.float64(q)
        if prod < 1e-200:
            direct -= np.log(prod)
            prod = 1.0
    else:
        direct += np.float64(abs(f)) + np.float64(np.log1p(_exp_nonpos(-abs(f))))
    return prod, direct


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _loss_commit(prod, direct, neg_sig, terms, acc):
    """Add a pair's loss terms (gathered by :func:`_loss_term`) to the chunk's ``acc``."""
    acc[STAT_TERMS] += terms
    acc[STAT_NEG_SIGMOID] += neg_sig
    if prod < 1e-100:  # keeps the pending product above 1e-300 (see _flush_loss)
        direct -= np.log(prod)
    else:
        pending = acc[STAT_PROD]
        acc[STAT_PROD] = prod if pending == 0.0 else pending * prod
    acc[STAT_LOSS] += direct
    _flush_loss(True, acc)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _gradient_scales(scores, mask, gs, lr, neg_scale, compute_loss, acc):
    """``gs[t] = lr * (label_t - sigmoid(score_t))``, times ``neg_scale`` for negatives.

    The same arithmetic as :func:`_sigmoid_loss`, arranged for the hot path: the loss terms
    are gathered in locals and added to ``acc`` once per pair (updating ``acc`` per term chains
    every term through memory). (:func:`_lane_gradients` does the same for the default k = 5
    with shared negatives, vectorised.)
    """
    one = np.float32(1.0)
    prod = 1.0  # float64 product of the right labels' probabilities
    direct = 0.0  # -log of terms too small for the product
    neg_sig = 0.0
    terms = 0
    for t in range(scores.shape[0]):
        if mask[t] == 0:
            gs[t] = 0.0
            continue
        f = scores[t]
        sig, q, e = _label_probability(f, 1 if t == 0 else 0)
        gs[t] = lr * (one - sig) if t == 0 else lr * (-sig) * neg_scale
        if compute_loss:
            prod, direct = _loss_term(f, q, prod, direct)
            if t > 0:
                neg_sig += sig
            terms += 1
    if compute_loss:
        _loss_commit(prod, direct, neg_sig, terms, acc)


# The default k = 5 with shared negatives has a vectorised path: a window's six output rows
# (centre + five negatives) are scored against two input rows at a time, and the twelve
# scores' gradients come out of one 16-lane loop (lanes 0-5: the first input row, 6-11: the
# second, 12-15: padding with weight 0). ``lanes`` rows:
LANE_LABEL, LANE_WEIGHT, LANE_SCORE, LANE_GRAD, LANE_SIG, LANE_Q = 0, 1, 2, 3, 4, 5
N_LANE_ROWS, N_LANES = 6, 16


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _set_lanes(lanes, mask, neg_scale):
    """A window's labels and weights (0 for a skipped negative, ``neg_scale`` for the others)."""
    for t in range(N_LANES):
        lanes[LANE_LABEL, t] = 0.0
        lanes[LANE_WEIGHT, t] = 0.0
    for base in (0, 6):
        lanes[LANE_LABEL, base] = 1.0
        lanes[LANE_WEIGHT, base] = 1.0
        for t in range(1, 6):
            lanes[LANE_WEIGHT, base + t] = neg_scale if mask[t] != 0 else np.float32(0.0)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _lane_gradients(lanes, lr):
    """:func:`_gradient_scales` for all 16 lanes at once, without branches (it vectorises)."""
    for t in range(N_LANES):
        label = lanes[LANE_LABEL, t]
        sig, q, _ = _label_probability(lanes[LANE_SCORE, t], label)  # label 1.0 or 0.0
        lanes[LANE_SIG, t] = sig
        lanes[LANE_Q, t] = q
        lanes[LANE_GRAD, t] = lr * lanes[LANE_WEIGHT, t] * (label - sig)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _lane_loss(lanes, mask, base, acc):
    """The loss terms of lanes ``base .. base + 5`` (one pair), as :func:`_gradient_scales`."""
    prod = 1.0
    direct = 0.0
    neg_sig = 0.0
    terms = 0
    for t in range(6):
        if mask[t] == 0:
            continue
        prod, direct = _loss_term(lanes[LANE_SCORE, base + t], lanes[LANE_Q, base + t], prod,
                                  direct)
        if t > 0:
            neg_sig += lanes[LANE_SIG, base + t]
        terms += 1
    _loss_commit(prod, direct, neg_sig, terms, acc)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _pair_step(W, cw, C, targets, mask, gs, lr, neg_scale, shared, gout, neu,
               compute_loss, acc):
    """One SGD step for input row ``W[cw]`` against output rows ``C[targets]`` (label 1 first).

    All k + 1 scores come from the current rows, and every update uses the rows as they were
    before this step (a simultaneous update). With ``shared`` negatives the output-row
    gradients go to ``gout`` (applied once per window); otherwise straight to ``C``.
    """
    _scores(W, cw, C, targets, gs)
    _gradient_scales(gs, mask, gs, lr, neg_scale, compute_loss, acc)
    if shared:
        _accumulate(W, cw, gout, gs)  # gout[t] += gs[t] * v  (v before its update)
        _combine(C, targets, gs, W, cw)  # v += sum_t gs[t] * u_t
    else:
        _zero_rows(neu)
        _combine(C, targets, gs, neu, 0)
        _outer(W, cw, C, targets, gs)
        _axpy(np.float32(1.0), neu, 0, W, cw)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _pair2_step(W, a, b, C, targets, mask, gs, gs2, lr, neg_scale, gout, compute_loss, acc):
    """:func:`_pair_step` (shared negatives) for two different input rows ``a != b`` at once.

    With shared negatives the output rows stay fixed until the window ends, and the two input
    rows are distinct, so the two steps do not interact: this gives the same result as two
    calls of :func:`_pair_step`, reading each output row once instead of twice.
    """
    _scores2(W, a, b, C, targets, gs, gs2)
    _gradient_scales(gs, mask, gs, lr, neg_scale, compute_loss, acc)
    _gradient_scales(gs2, mask, gs2, lr, neg_scale, compute_loss, acc)
    _accumulate2(W, a, b, gout, gs, gs2)
    _combine(C, targets, gs, W, a)
    _combine(C, targets, gs2, W, b)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _step6(W, a, b, C, targets, mask, lanes, gout, lr, compute_loss, acc, first):
    """:func:`_pair2_step` (``b >= 0``) or :func:`_pair_step` (``b < 0``) for k = 5 shared.

    The same arithmetic on the 16-lane path (:func:`_lane_gradients`, :func:`_update6`);
    ``first`` says whether this is the window's first step.
    """
    r0, r1, r2, r3, r4, r5 = targets[0], targets[1], targets[2], targets[3], targets[4], \
        targets[5]
    if b >= 0:
        (lanes[LANE_SCORE, 0], lanes[LANE_SCORE, 1], lanes[LANE_SCORE, 2], lanes[LANE_SCORE, 3],
         lanes[LANE_SCORE, 4], lanes[LANE_SCORE, 5], lanes[LANE_SCORE, 6], lanes[LANE_SCORE, 7],
         lanes[LANE_SCORE, 8], lanes[LANE_SCORE, 9], lanes[LANE_SCORE, 10],
         lanes[LANE_SCORE, 11]) = _dots6x2(W, a, b, C, r0, r1, r2, r3, r4, r5)
    else:
        (lanes[LANE_SCORE, 0], lanes[LANE_SCORE, 1], lanes[LANE_SCORE, 2], lanes[LANE_SCORE, 3],
         lanes[LANE_SCORE, 4], lanes[LANE_SCORE, 5]) = _dots6(W, a, C, r0, r1, r2, r3, r4, r5)
    _lane_gradients(lanes, lr)
    if compute_loss:
        _lane_loss(lanes, mask, 0, acc)
        if b >= 0:
            _lane_loss(lanes, mask, 6, acc)
    # A literal flag, so that each call compiles to its own loop without the untaken branch.
    if b >= 0:
        if first:
            _update6x2(W, a, b, C, targets, gout, lanes, True)
        else:
            _update6x2(W, a, b, C, targets, gout, lanes, False)
    elif first:
        _update6(W, a, C, targets, gout, lanes, True)
    else:
        _update6(W, a, C, targets, gout, lanes, False)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _sg_window(W, C, buf, i, lo, hi, lr, params, tables, state, slot, targets, mask, gs, gs2,
               gout, neu, anchor, ahead, lanes, ctx, acc):
    """Skip-gram updates for the centre ``buf[i]`` and its contexts ``buf[lo:hi]``.

    Row indices are local to the trained block: ``W[id - in_lo]``, ``C[id - out_lo]``.
    """
    k1 = targets.shape[0]
    w = buf[i]
    if w < params.out_lo or w >= params.out_hi:
        return
    in_lo = params.in_lo
    in_hi = params.in_hi
    wl = w - params.out_lo
    targets[0] = wl
    mask[0] = 1
    neg_scale = np.float32(params.neg_scale)
    if not params.shared_negatives:
        for j in range(lo, hi):
            cw = buf[j]
            if j == i or cw < in_lo or cw >= in_hi:
                continue
            cw -= in_lo
            acc[STAT_PAIRS] += 1.0
            if tables.pool > 1:
                _zero_rows(anchor)
                _axpy(np.float32(1.0), W, cw, anchor, 0)
            _draw_negatives(tables, wl, anchor, C, state, slot, buf, lo, hi, i, targets, mask,
                            params.out_lo, ahead)
            _pair_step(W, cw, C, targets, mask, gs, lr, neg_scale, False, gout, neu,
                       params.compute_loss, acc)
        return
    # Shared negatives: one draw for the window, then its contexts (the input rows of the
    # block; a block cell often has none) are trained two at a time, a context repeated
    # right after itself alone (the second step must see the first).
    if tables.pool > 1:
        _zero_rows(anchor)
        for j in range(lo, hi):
            if j != i and in_lo <= buf[j] < in_hi:
                _axpy(np.float32(1.0), W, buf[j] - in_lo, anchor, 0)
    _draw_negatives(tables, wl, anchor, C, state, slot, buf, lo, hi, i, targets, mask,
                    params.out_lo, ahead)
    n = 0
    for j in range(lo, hi):
        if j != i and in_lo <= buf[j] < in_hi:
            ctx[n] = buf[j] - in_lo
            n += 1
    if n == 0:
        return
    acc[STAT_PAIRS] += n
    if k1 == 6:
        _set_lanes(lanes, mask, neg_scale)  # (the first step writes gout)
    else:
        _zero_rows(gout)
    t = 0
    while t < n:
        a = ctx[t]
        b = -1
        first = t == 0
        t += 1
        if t < n and ctx[t] != a:
            b = ctx[t]
            t += 1
        if k1 == 6:
            _step6(W, a, b, C, targets, mask, lanes, gout, lr, params.compute_loss, acc, first)
        elif b >= 0:
            _pair2_step(W, a, b, C, targets, mask, gs, gs2, lr, neg_scale, gout,
                        params.compute_loss, acc)
        else:
            _pair_step(W, a, C, targets, mask, gs, lr, neg_scale, True, gout, neu,
                       params.compute_loss, acc)
    for t in range(k1):
        if mask[t] != 0:
            _axpy(np.float32(1.0), gout, t, C, targets[t])


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always", _nrt=False)
def _cbow_window(W, C, buf, i, lo, hi, lr, params, tables, state, slot, targets, mask, gs, neu,
                 h, ahead, acc):
    """CBOW update: the (mean or sum of the) context input vectors predict the centre."""
    d = W.shape[1]
    w = buf[i]
    _zero_rows(h)
    count = 0
    for j in range(lo, hi):
        if j != i:
            count += 1
            _axpy(np.float32(1.0), W, buf[j], h, 0)
    if count == 0:
        return
    if params.cbow_mean:
        inv = np.float32(1.0 / count)
        for x in range(d):
            h[0, x] *= inv
    targets[0] = w
    mask[0] = 1
    _draw_negatives(tables, w, h, C, state, slot, buf, lo, hi, i, targets, mask, 0, ahead)
    acc[STAT_PAIRS] += 1.0
    _scores(h, 0, C, targets, gs)
    _gradient_scales(gs, mask, gs, lr, np.float32(1.0), params.compute_loss, acc)
    _zero_rows(neu)
    _combine(C, targets, gs, neu, 0)  # input gradient from the output rows before the step
    _outer(h, 0, C, targets, gs)
    # word2vec.c adds the full input gradient to every context vector, mean or sum.
    for j in range(lo, hi):
        if j != i:
            _axpy(np.float32(1.0), neu, 0, W, buf[j])


@njit(nogil=True, cache=True, inline="always")
def window_scratch(k1, d, window):
    """Scratch of :func:`_sg_window` / :func:`_cbow_window`: k1 output rows of width d.

    ``(targets, mask, gs, gs2, gout, neu, anchor, ahead, lanes, ctx)``, in the order the window
    functions take them; ``ahead`` starts empty (see :func:`_draw_negatives`), ``ctx`` holds
    up to ``2 * window`` context rows.
    """
    return (np.empty(k1, dtype=np.int64), np.empty(k1, dtype=np.uint8),
            np.empty(k1, dtype=np.float32), np.empty(k1, dtype=np.float32),
            np.empty((k1, d), dtype=np.float32), np.empty((1, d), dtype=np.float32),
            np.empty((1, d), dtype=np.float32), np.zeros(k1, dtype=np.int64),
            np.zeros((N_LANE_ROWS, N_LANES), dtype=np.float32),
            np.empty(2 * window, dtype=np.int64))


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _train_chunk(W, C, ids, offsets, s0, s1, word_pos, pos_scale, keep_prob, params, tables,
                 states, c, acc, buf, targets, mask, gs, gs2, gout, neu, h, ahead, lanes, ctx):
    tok = 2 * c  # this chunk's token stream; tok + 1 is its negative stream
    for s in range(s0, s1):
        start = offsets[s]
        n = _subsample(ids, start, offsets[s + 1], keep_prob, states, tok, buf)
        acc[STAT_WORDS] += n
        lr = _sequence_lr(params, word_pos, start - offsets[s0], pos_scale)
        for i in range(n):
            eff = _eff_window(params, states, tok)
            lo = max(0, i - eff)
            hi = min(n, i + eff + 1)
            if i + 1 < n:  # the next centre's output row and the word entering the window
                nxt = buf[i + 1] - params.out_lo
                if 0 <= nxt < C.shape[0]:
                    prefetch_row(C, nxt)
                if i + 1 + params.window < n:
                    nxt = buf[i + 1 + params.window] - params.in_lo
                    if 0 <= nxt < W.shape[0]:
                        prefetch_row(W, nxt)
            if params.sg:
                _sg_window(W, C, buf, i, lo, hi, lr, params, tables, states, tok + 1, targets,
                           mask, gs, gs2, gout, neu, h, ahead, lanes, ctx, acc)
            else:
                _cbow_window(W, C, buf, i, lo, hi, lr, params, tables, states, tok + 1, targets,
                             mask, gs, neu, h, ahead, acc)
    _flush_loss(params.compute_loss, acc, True)


@njit(nogil=True, cache=True, parallel=True)
def train_chunks(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params, tables,
                 states, stats):
    """Train every chunk of a batch; chunks run in parallel.

    Parameters
    ----------
    W, C : float32 (n, d)
        Input and output vectors, updated in place.
    ids, offsets : int32, int64
        The batch (CSR of id sequences).
    chunk_seq : int64 (n_chunks + 1,)
        Chunk ``c`` covers sequences ``chunk_seq[c]:chunk_seq[c + 1]``.
    chunk_pos : float64 (n_chunks,)
        Raw-token position of each chunk's start in the whole run (drives the lr schedule).
    pos_scale : float
        Raw tokens per id in this batch (``n_raw / len(ids)``).
    keep_prob : float32 (n,)
    params : KernelParams
    tables : SamplerTables
    states : uint64 (2 * n_chunks,)
        Two xorshift states per chunk (tokens, negatives; see :func:`embedkit.rng.engine_states`),
        advanced in place.
    stats : float64 (n_chunks, N_STATS)
        Per-chunk loss, loss terms, pairs, kept words and summed sigmoid of negatives.
    """
    for c in prange(chunk_seq.shape[0] - 1):
        s0 = chunk_seq[c]
        s1 = chunk_seq[c + 1]
        maxlen = 0
        for s in range(s0, s1):
            maxlen = max(maxlen, offsets[s + 1] - offsets[s])
        # Scratch space is allocated here, once per chunk: the helpers run without Numba's
        # reference counting (_nrt=False), which would otherwise make every call touch the
        # shared weights' reference counts from all threads.
        _train_chunk(W, C, ids, offsets, s0, s1, chunk_pos[c], pos_scale, keep_prob, params,
                     tables, states, c, stats[c], np.empty(maxlen, dtype=np.int32),
                     *window_scratch(params.negative + 1, W.shape[1], params.window))
