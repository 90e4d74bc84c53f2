"""Walker/Vose alias tables: O(n) build, O(1) draws from a discrete distribution.

One builder (:func:`vose_fill`) serves the negative-sampling tables
(:mod:`embedkit.samplers.base`) and the per-node transition tables of random walks
(:mod:`embedkit.contexts.walks`, :mod:`embedkit.contexts.metapath`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["vose_fill", "build_alias_table", "build_alias_tables", "alias_probabilities"]


@njit(cache=True, nogil=True)
def vose_fill(weights, lo, d, prob, alias, scaled, small, large):
    """Vose's alias build for ``weights[lo:lo + d]`` into ``prob``/``alias[lo:lo + d]``.

    ``alias`` holds positions local to the row (``0..d-1``); ``scaled``, ``small`` and
    ``large`` are scratch arrays of at least ``d`` entries. Shared by the negative-sampling
    table and the per-node tables of random walks.
    """
    total = 0.0
    for k in range(d):
        total += weights[lo + k]
    ns = 0
    nl = 0
    for k in range(d):
        scaled[k] = weights[lo + k] * d / total
        alias[lo + k] = k
        if scaled[k] < 1.0:
            small[ns] = k
            ns += 1
        else:
            large[nl] = k
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        prob[lo + s] = scaled[s]
        alias[lo + s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    for i in range(ns):  # leftovers are 1 up to rounding
        prob[lo + small[i]] = 1.0
    for i in range(nl):
        prob[lo + large[i]] = 1.0


@njit(cache=True, nogil=True)
def _vose(p):
    n = p.shape[0]
    prob = np.ones(n, dtype=np.float64)
    alias = np.zeros(n, dtype=np.int32)
    vose_fill(p, 0, n, prob, alias, np.empty(n, dtype=np.float64), np.empty(n, dtype=np.int64),
              np.empty(n, dtype=np.int64))
    return prob, alias


def build_alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method: O(n) build, O(1) draws from ``weights / weights.sum()``.

    Returns ``(prob, alias)``: draw ``j`` uniformly, keep it with probability ``prob[j]``,
    otherwise take ``alias[j]``.

    Examples
    --------
    >>> prob, alias = build_alias_table(np.array([1.0, 3.0]))
    >>> np.allclose(alias_probabilities(prob, alias), [0.25, 0.75])
    True
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size == 0:
        raise ValueError("cannot build an alias table over zero outcomes")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sampling weights must be finite and non-negative")
    total = w.sum()
    if total <= 0:
        raise ValueError("sampling weights must not all be zero")
    return _vose(w / total)


def alias_probabilities(prob: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """The exact distribution an alias table encodes (for tests and diagnostics)."""
    n = prob.size
    out = prob / n
    np.add.at(out, alias, (1.0 - prob) / n)
    return out


@njit(nogil=True, cache=True)
def build_alias_tables(indptr, weights):
    """Per-node Vose alias tables over each CSR row (O(E) time and memory).

    Returns ``alias_prob`` (float64) and ``alias_idx`` (int32, a position inside the row), both
    aligned with the CSR arcs: to draw from row ``v``, pick ``k`` uniformly in the row, keep it
    with probability ``alias_prob[indptr[v] + k]``, else take ``alias_idx[indptr[v] + k]``.
    """
    n = indptr.shape[0] - 1
    prob = np.ones(weights.shape[0], dtype=np.float64)
    alias = np.zeros(weights.shape[0], dtype=np.int32)
    max_deg = 0
    for v in range(n):
        max_deg = max(max_deg, indptr[v + 1] - indptr[v])
    scaled = np.empty(max_deg, dtype=np.float64)
    small = np.empty(max_deg, dtype=np.int64)
    large = np.empty(max_deg, dtype=np.int64)
    for v in range(n):
        lo = indptr[v]
        d = indptr[v + 1] - lo
        if d > 0:
            vose_fill(weights, lo, d, prob, alias, scaled, small, large)
    return prob, alias
