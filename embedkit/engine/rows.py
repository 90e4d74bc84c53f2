"""Row operations of the kernels: dot products and updates over (matrix, row) pairs.

Row loops live in tiny functions over (matrix, row) pairs: LLVM vectorises each on its own, and
no array views are created in the hot path (a view costs a reference-count update on the shared
weight matrix, which threads would fight over). They are inlined where they are used.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.params import FASTMATH, LANE_GRAD

__all__ = ["centre_row", "dot", "axpy", "dots6", "dots2", "score_rows", "dots6x2", "score_rows2",
           "accumulate", "accumulate2", "scatter_add", "gather_add", "update6", "update6x2",
           "zero_rows"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def dot(A, a, B, b):
    """``A[a] . B[b]``."""
    s = np.float32(0.0)
    for x in range(A.shape[1]):
        s += A[a, x] * B[b, x]
    return s


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def axpy(g, X, i, Y, j):
    """``Y[j] += g * X[i]`` in place."""
    for x in range(X.shape[1]):
        Y[j, x] += g * X[i, x]


# Fused multi-row passes. With k negatives a pair touches k + 1 output rows; doing their dot
# products (or their updates) in one pass over the input row, with the row count fixed in the
# code, keeps the partial sums in vector registers and reads the input row once instead of
# k + 1 times. That halves the kernel's time at the default k = 5 (one group of six). Other k
# use groups of six, then of two, then single rows; the result is the same up to float
# summation order.
@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def dots6(X, i, Y, r0, r1, r2, r3, r4, r5):
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


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def dots2(X, i, Y, r0, r1):
    s0 = s1 = np.float32(0.0)
    for x in range(X.shape[1]):
        v = X[i, x]
        s0 += v * Y[r0, x]
        s1 += v * Y[r1, x]
    return s0, s1


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def score_rows(X, i, Y, rows, out):
    """``out[t] = X[i] . Y[rows[t]]`` for every t."""
    n = rows.shape[0]
    t = 0
    while t + 6 <= n:
        out[t], out[t + 1], out[t + 2], out[t + 3], out[t + 4], out[t + 5] = dots6(
            X, i, Y, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], rows[t + 4], rows[t + 5])
        t += 6
    while t + 2 <= n:
        out[t], out[t + 1] = dots2(X, i, Y, rows[t], rows[t + 1])
        t += 2
    if t < n:
        out[t] = dot(X, i, Y, rows[t])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def dots6x2(X, a, b, Y, r0, r1, r2, r3, r4, r5):
    """:func:`dots6` for two input rows at once: each output row is read once for both."""
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


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def score_rows2(X, a, b, Y, rows, out_a, out_b):
    """:func:`score_rows` for input rows ``X[a]`` and ``X[b]``."""
    n = rows.shape[0]
    t = 0
    while t + 6 <= n:
        (out_a[t], out_a[t + 1], out_a[t + 2], out_a[t + 3], out_a[t + 4], out_a[t + 5],
         out_b[t], out_b[t + 1], out_b[t + 2], out_b[t + 3], out_b[t + 4], out_b[t + 5]) = \
            dots6x2(X, a, b, Y, rows[t], rows[t + 1], rows[t + 2], rows[t + 3], rows[t + 4],
                     rows[t + 5])
        t += 6
    while t + 2 <= n:
        out_a[t], out_a[t + 1] = dots2(X, a, Y, rows[t], rows[t + 1])
        out_b[t], out_b[t + 1] = dots2(X, b, Y, rows[t], rows[t + 1])
        t += 2
    if t < n:
        out_a[t] = dot(X, a, Y, rows[t])
        out_b[t] = dot(X, b, Y, rows[t])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def accumulate(X, i, G, g):
    """``G[t] += g[t] * X[i]`` for every row t of ``G`` (a window's output-row gradients)."""
    for t in range(G.shape[0]):
        axpy(g[t], X, i, G, t)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def accumulate2(X, a, b, G, g_a, g_b):
    """``G[t] += g_a[t] * X[a] + g_b[t] * X[b]`` for every row t of ``G``."""
    for t in range(G.shape[0]):
        ga = g_a[t]
        gb = g_b[t]
        for x in range(X.shape[1]):
            G[t, x] += ga * X[a, x] + gb * X[b, x]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def scatter_add(X, i, Y, rows, g):
    """``Y[rows[t]] += g[t] * X[i]`` for every t, one row at a time (rows may repeat)."""
    for t in range(rows.shape[0]):
        axpy(g[t], X, i, Y, rows[t])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def gather_add(Y, rows, g, X, i):
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
        axpy(g[t], Y, rows[t], X, i)


# One-pass updates for the default k = 5 with shared negatives. After the scores, a step reads
# and writes every row it touches once (the input row(s), the six output rows, the window's six
# output-gradient rows) in a single loop, instead of one pass per row; the arithmetic is that of
# accumulate/accumulate2 + gather_add, term for term. The window's first step writes the
# output gradients instead of adding them to zeroed rows.
# (Per-pair negatives keep the row-by-row updates: writing six shared output rows in one loop
# made two threads fight over their cache lines, 9.4 s -> 15.1 s on the 2-thread k-mer
# benchmark.)
@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def update6(X, i, Y, rows, G, lanes, first):
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


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def update6x2(X, a, b, Y, rows, G, lanes, first):
    """:func:`update6` for two different input rows ``a != b`` (lanes 0-5 and 6-11)."""
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


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def zero_rows(A):
    for r in range(A.shape[0]):
        for x in range(A.shape[1]):
            A[r, x] = 0.0


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def centre_row(run, buf, i):
    """The centre's local output row (``-1`` outside the output block); sets the positive."""
    w = buf[i]
    if w < run.params.out_lo or w >= run.params.out_hi:
        return -1
    local = w - run.params.out_lo
    run.scratch.targets[0] = local
    run.scratch.mask[0] = 1
    return local
